// A resident's processing history (rekam jejak pemrosesan, contract §18.5) on the resident page,
// for caseworkers, managers and admins: every change of the resident's records and every
// disclosure of them, oldest first, page by page — when (house time), who, what, which fields,
// for what purpose — never a value, so reading it records nothing. Folded until asked for. The
// print page to hand to the resident is downloaded as a file like the roll-call's sheet (the
// console's CSP would not let a page it opens use the sheet's own style).
import { getAll, qs } from '../js/api.js';
import { h, fld, inp, badge, fold } from '../js/dom.js';
import { pager } from '../js/list.js';
import { t, en, fmtDT } from '../js/i18n.js';
import { state, tz, may, flash, download } from '../js/core.js';

function row(e, partners) {
  // each cell one element: on a phone a cell is a row of its label and its content (dom.js tbl)
  const who = e.user ? h('span', null, e.user.full_name, h('small', { class: 'muted' }, ' ' + en('role', e.user.role)))
    : e.partner_id ? partners.get(e.partner_id) || t('partner') : t('ph_system');
  const what = e.type === 'change' ? h('span', null, badge(t('ph_change')), ' ', h('code', null, e.action))
    : h('span', null, badge(t('ph_disclosure'), 'out'), ' ', en('ph_kind', e.action), ' · ', h('code', null, e.entity));
  const fields = e.redacted ? h('em', null, t('ph_redacted')) : e.fields.length ? h('span', { class: 'ph-fields' }, e.fields.join(', ')) : '—';
  return { attrs: { 'data-type': e.type }, cells: [fmtDT(e.at, tz()), who, what, fields, e.purpose || '—'] };
}

/** the panel, or null for a role that may not read the history */
export function historyPanel(id) {
  if (!may('processing_history.get')) return null;
  let partners = null;
  const list = pager({
    cols: [t('when'), t('who'), t('ph_what'), t('ph_fields'), t('ph_purpose')], attrs: { id: 'ph-table' },
    row: (e) => row(e, partners), empty: t('ph_none'),
  });
  const from = inp('from', { type: 'date' }), to = inp('to', { type: 'date' });
  const path = () => `/residents/${id}/processing-history`;
  const period = () => ({ from: from.value, to: to.value });
  async function load() {
    partners ||= new Map((await getAll('/partners' + qs({ house_id: state.houseId }), 200)).map((p) => [p.id, p.name]));
    return list.load(path(), period());
  }
  const print = () => download(path() + qs(period()), 'text/html', `rekam-jejak-${id.slice(0, 8)}.html`)
    .catch((e) => flash(e.words || String(e), 'error'));
  const form = h('form', { class: 'inline', id: 'ph-period' }, fld(t('from'), from), fld(t('to'), to),
    h('button', { type: 'submit' }, t('show')), h('button', { type: 'button', class: 'secondary', id: 'ph-print', onclick: print }, t('ph_print')));
  form.addEventListener('submit', (e) => { e.preventDefault(); load().catch((err) => flash(err.words || String(err), 'error')); });
  // the house's disclosure log narrowed to this resident (managers and admins: who may read it)
  const log = may('disclosures.list')
    ? h('p', null, h('a', { href: '#/disclosures' + qs({ resident_id: id }), id: 'ph-disclosures' }, t('ph_disclosure_log')))
    : null;
  const body = h('div', null, h('p', { class: 'muted' }, t('ph_hint')), form, list.el, log);
  const f = fold('ph-box', t('ph_open'), body);
  let loaded = false;
  f.addEventListener('toggle', () => {
    if (f.open && !loaded) { loaded = true; load().catch((err) => { loaded = false; flash(err.words || String(err), 'error'); }); }
  });
  return h('section', { id: 'history', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, t('ph_title')), f);
}
