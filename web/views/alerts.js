// Alerts (§15.5): what the role may see in the house, critical first, each with the resident it
// concerns, since when, what is due by when and its details; an acknowledgement with a note for
// the kinds the role may acknowledge (spec.js ALERT_KINDS: staff only some), the others shown
// as such. The list is read again on live events (there is no alert.raised event) and every minute.
import { api, getAll, qs } from '../js/api.js';
import { h, clear, fld, sel, badge } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, enumValues, fmtD, fmtDT } from '../js/i18n.js';
import { state, tz, heading, role, may, flash, pct } from '../js/core.js';
import { ALERT_KINDS } from '../js/spec.js';
import { refreshBadge } from '../js/badge.js';

const SEVERITY_CLASS = { critical: 'overdue', warning: 'out', info: '' };
const DATE = /^\d{4}-\d{2}-\d{2}$/, INSTANT = /^\d{4}-\d{2}-\d{2}T/, ID = /_id$/;

/** whether the role may acknowledge alerts of a kind (§15.1: staff only the kinds marked so) */
export const mayAck = (kind) => may('alerts.acknowledge') && (role() !== 'staff' || !!ALERT_KINDS[kind]?.staff_acks);

/** a detail's value as words: dates, instants, booleans, enums and fractions */
function detailValue(k, v) {
  if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
  if (k === 'legal_basis_type') return en('basis_type', v);
  if (k === 'purpose') return en('purpose', v);
  if (k === 'status') return en('referral_status', v); // referral_arrival_overdue's only
  if (k === 'readiness') return pct(v);
  if (typeof v === 'string' && DATE.test(v)) return fmtD(v);
  if (typeof v === 'string' && INSTANT.test(v)) return fmtDT(v, tz());
  return String(v);
}

/** one alert: severity, kind, the resident, the times, the details, the acknowledgement */
export function alertItem(a, names, reload) {
  const who = a.resident_id ? h('a', { href: '#/resident/' + a.resident_id }, names.get(a.resident_id) || t('resident')) : h('span', { class: 'muted' }, t('alert_house'));
  const facts = [[t('alert_since'), fmtDT(a.since, tz())], a.due_at ? [t('alert_due_at'), fmtDT(a.due_at, tz())] : null,
    ...Object.entries(a.details || {}).filter(([k, v]) => v != null && !ID.test(k)).map(([k, v]) => [en('alert_detail', k), detailValue(k, v)])].filter(Boolean);
  let foot = null;
  if (a.acknowledged_at) {
    foot = h('p', { class: 'muted' }, t('acked', { when: fmtDT(a.acknowledged_at, tz()) }), a.note ? ' — ' + a.note : '');
  } else if (mayAck(a.kind)) {
    foot = h('details', { class: 'fold' }, h('summary', null, t('ack_fold')), formFor('alerts.acknowledge', [
      { name: 'note', label: 'ack_note', attrs: { rows: 2 } }], {
      class: 'bare', submit: t('ack_btn'), shape: (v) => ({ ...v, key: a.key }),
      send: (body, key) => api('POST', '/alerts/acknowledge', { body, key }),
      done() { flash(t('ack_done')); refreshBadge(); return reload(); },
    }));
  }
  return h('li', { class: 'alert-item ' + a.severity + (a.acknowledged_at ? ' acked' : ''), 'data-key': a.key, 'data-kind': a.kind },
    h('div', { class: 'row' }, badge(en('alert_severity', a.severity), SEVERITY_CLASS[a.severity]), h('strong', { class: 'grow' }, en('alert_kind', a.kind)), who),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))), foot);
}

export default async function alerts(box, { query }) {
  const severity = sel('severity', enumValues('alert_severity').map((v) => [v, en('alert_severity', v)]), { value: query.severity || '' }, t('all_severities'));
  const shown = sel('acknowledged', [['false', t('alerts_open')], ['', t('alerts_all')]], { value: query.all === '1' ? '' : 'false' });
  const form = h('form', { class: 'inline', role: 'search' }, fld(t('alerts_severity'), severity), fld(t('alerts_show'), shown), h('button', { type: 'submit' }, t('show')));
  const list = h('ul', { class: 'list', id: 'alerts' });
  const names = new Map();
  let seq = 0;

  async function reload() {
    const mine = ++seq;
    history.replaceState(null, '', '#/alerts' + qs({ severity: severity.value, all: shown.value ? '' : '1' }));
    const [items, residents] = await Promise.all([
      getAll('/alerts' + qs({ house_id: state.houseId, severity: severity.value, acknowledged: shown.value }), 1000),
      names.size ? null : getAll('/residents' + qs({ house_id: state.houseId }), 5000)]);
    if (mine !== seq) return;
    for (const r of residents || []) names.set(r.id, r.full_name);
    clear(list, items.map((a) => alertItem(a, names, reload)));
    empty.hidden = items.length > 0;
  }
  const empty = h('p', { class: 'muted empty' }, t('alerts_none'));
  form.addEventListener('submit', (e) => { e.preventDefault(); reload(); });
  clear(box, heading(t('alerts_title')), role() === 'staff' ? h('p', { class: 'hint' }, t('ack_some')) : null, form, list, empty);
  await reload();
  // any change may raise or clear an alert, and time passes: read again, but never redraw an
  // acknowledgement being typed under the user's hand
  const calm = () => !list.querySelector('details[open]');
  const timer = setInterval(() => { if (!box.isConnected) clearInterval(timer); else if (calm()) reload().catch(() => {}); }, 60000);
  let soon = null;
  return {
    onEvent() {
      clearTimeout(soon);
      soon = setTimeout(() => { if (box.isConnected && calm()) reload().catch(() => {}); }, 500);
    },
  };
}
