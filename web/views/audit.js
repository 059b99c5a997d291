// The audit trail of a resident (GET /audit?entity_id=): the resident's own records and those of
// their stays, violations, exit plans and goals, newest first, with what changed.
import { get, getAll, qs, ApiError } from '../js/api.js';
import { h, clear, fld, inp, tbl } from '../js/dom.js';
import { t, fmtDT } from '../js/i18n.js';
import { state, tz, heading } from '../js/core.js';

const SKIP = new Set(['updated_at', 'created_at', 'version', 'id']);
const show = (v) => { const s = v == null ? '∅' : typeof v === 'object' ? JSON.stringify(v) : String(v); return s.length > 80 ? s.slice(0, 77) + '…' : s; };

export default async function audit(box, { query }) {
  const idIn = inp('entity_id', { value: query.entity_id || '', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'inline', role: 'search' }, fld(t('entity_id'), idIn), h('button', { type: 'submit' }, t('show')));
  form.addEventListener('submit', (e) => { e.preventDefault(); location.hash = '#/audit' + qs({ entity_id: idIn.value.trim() }); });
  const id = query.entity_id;
  let title = t('audit_title'), records = [];
  if (id) {
    const ids = [id];
    const r = await get('/residents/' + encodeURIComponent(id)).catch((e) => { if (e instanceof ApiError && e.status === 404) return null; throw e; });
    if (r) {
      title = t('audit_for', { name: r.full_name });
      const [stays, viols, moves] = await Promise.all([getAll('/stays' + qs({ resident_id: id }), 200), getAll('/violations' + qs({ resident_id: id }), 400),
        getAll(`/houses/${r.house_id}/movements`, 5000)]);
      ids.push(...stays.map((s) => s.id), ...viols.map((v) => v.id), ...moves.filter((m) => m.resident_id === id).map((m) => m.id));
      const plans = await Promise.all(stays.map((s) => get(`/stays/${s.id}/exit-plan`).catch(() => null)));
      for (const p of plans.filter(Boolean)) ids.push(p.id, ...(p.goals || []).map((g) => g.id));
    }
    const lists = await Promise.all(ids.map((x) => getAll('/audit' + qs({ entity_id: x }), 1000)));
    const seen = new Set();
    records = lists.flat().filter((a) => !seen.has(a.id) && seen.add(a.id)).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
  const rows = records.map((a) => {
    const changes = [];
    const after = a.after || {}, before = a.before || {};
    for (const k of Object.keys({ ...before, ...after })) {
      if (SKIP.has(k) || JSON.stringify(before[k]) === JSON.stringify(after[k]) || (!a.before && after[k] == null)) continue;
      changes.push(h('li', null, h('code', null, k), ': ', a.before ? show(before[k]) + ' → ' : '', show(after[k])));
    }
    return [fmtDT(a.at, tz()), a.user_id === state.user.id ? state.user.username : (a.user_id || '').slice(0, 8), a.action, a.entity,
      changes.length ? h('ul', { class: 'list-plain' }, changes) : ''];
  });
  clear(box, heading(title), form, id ? (rows.length ? tbl([t('when'), t('who'), t('action'), t('object'), t('changes')], rows, { id: 'audit' })
    : h('p', { class: 'muted' }, t('no_audit'))) : null);
}
