// The disclosure log (log pengungkapan, contract §18.4) of the house chosen in the header (or of
// all the user's houses), for managers and admins: every time a resident's data left the database to a person — read (a
// sensitive field), export (a CSV or print page naming them), seen by a partner — newest last as
// the server keeps it, page by page; narrowed by resident, user, kind and house dates (inclusive).
// The same selection as CSV (every match; the server records no disclosure for it: it holds no
// names). Names come from what discloses nothing: the residents on the bed board, the partners of
// the house and (admins) the users; anyone else is shown by the start of their id.
import { getAll, qs } from '../js/api.js';
import { h, clear, fld, inp, sel, badge, check } from '../js/dom.js';
import { pager } from '../js/list.js';
import { t, en, options, fmtDT } from '../js/i18n.js';
import { state, tz, heading, may, flash, download, loadBoard } from '../js/core.js';

const short = (id) => (id ? id.slice(0, 8) : '');
const KIND_CLASS = { read: 'out', export: 'overdue', partner_view: 'free' };

function row(d, names) {
  // each cell one element: on a phone a cell is a row of its label and its content (dom.js tbl)
  const who = h('span', null, d.user_id === state.user.id ? t('dl_you') : names.users.get(d.user_id) || short(d.user_id),
    h('small', { class: 'muted' }, ' ' + en('role', d.role)),
    d.partner_id ? h('small', { class: 'muted' }, ' · ' + (names.partners.get(d.partner_id) || t('partner'))) : null);
  const resident = h('a', { href: '#/resident/' + d.resident_id, 'data-resident': d.resident_id }, names.residents.get(d.resident_id) || short(d.resident_id));
  const entity = h('span', null, h('code', null, d.entity), d.entity_id ? h('small', { class: 'muted' }, ' ' + short(d.entity_id)) : null);
  return {
    attrs: { 'data-id': d.id, 'data-kind': d.kind },
    cells: [fmtDT(d.at, tz()), badge(en('ph_kind', d.kind), KIND_CLASS[d.kind] || ''), who, resident, entity,
      d.fields.length ? h('span', { class: 'dl-fields' }, d.fields.join(', ')) : '—', d.purpose || '—'],
  };
}

export default async function disclosures(box, { query }) {
  // the names to show: none of these reads appends a disclosure record
  const [board, partners, users] = await Promise.all([loadBoard(), getAll('/partners' + qs({ house_id: state.houseId }), 200),
    may('users.list') ? getAll('/users', 1000) : []]);
  const names = {
    residents: new Map(board.filter((b) => b.occupant).map((b) => [b.occupant.resident_id, b.occupant.full_name])),
    partners: new Map(partners.map((p) => [p.id, p.name])),
    users: new Map(users.map((u) => [u.id, u.full_name])),
  };
  const residentOpts = [...names.residents].sort((a, b) => a[1].localeCompare(b[1]));
  if (query.resident_id && !names.residents.has(query.resident_id)) residentOpts.unshift([query.resident_id, short(query.resident_id)]);
  const resident = sel('resident_id', residentOpts, { value: query.resident_id || '' }, t('dl_all_residents'));
  const userOpts = users.length ? users.map((u) => [u.id, u.full_name + ' (' + en('role', u.role) + ')']) : [[state.user.id, t('dl_you')]];
  if (query.user_id && !userOpts.some(([v]) => v === query.user_id)) userOpts.unshift([query.user_id, short(query.user_id)]);
  const user = sel('user_id', userOpts, { value: query.user_id || '' }, t('dl_all_users'));
  const kind = sel('kind', options('ph_kind'), { value: query.kind || '' }, t('all'));
  const from = inp('from', { type: 'date', value: query.from || '' });
  const to = inp('to', { type: 'date', value: query.to || '' });
  const filters = () => ({ resident_id: resident.value, user_id: user.value, kind: kind.value, from: from.value, to: to.value });
  // a user of several houses (an admin, a manager of more than one) may look at all of them
  const all = state.houses.length > 1 ? check('all', t('all_houses'), { checked: query.all === '1' }) : null;
  const scope = () => ({ house_id: all?.querySelector('input').checked ? '' : state.houseId });

  const list = pager({
    cols: [t('when'), t('dl_kind'), t('who'), t('dl_resident'), t('dl_entity'), t('ph_fields'), t('ph_purpose')],
    attrs: { id: 'dl-table' }, row: (d) => row(d, names), empty: t('dl_none'),
  });
  function load() {
    history.replaceState(null, '', '#/disclosures' + qs({ ...filters(), all: scope().house_id ? '' : '1' }));
    return list.load('/disclosures', { ...scope(), ...filters() });
  }
  const csv = () => download('/disclosures' + qs({ ...scope(), ...filters() }), 'text/csv',
    `log-pengungkapan-${from.value || 'awal'}-${to.value || 'kini'}.csv`).catch((e) => flash(e.words || String(e), 'error'));
  const form = h('form', { class: 'inline', role: 'search', id: 'dl-filter' },
    fld(t('dl_resident'), resident), fld(t('dl_user'), user), fld(t('dl_kind'), kind), fld(t('from'), from), fld(t('to'), to), all,
    h('button', { type: 'submit' }, t('show')), h('button', { type: 'button', class: 'secondary', id: 'dl-csv', onclick: csv }, t('csv_download')));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('nav_disclosures')), h('p', { class: 'muted' }, t('dl_hint')), form, list.el);
  await load();
}
