// The programme report (§16.9): for managers and admins of the house chosen in the header
// (optionally one partner's programmes), and a partner user's own — its partner's programmes over
// the houses it works with, where the server has hidden every count of 1–4 people and every total
// holding one (§16.3): shown as hidden, never guessed. Totals, by kind, by programme, businesses by
// stage, exits; the programmes also as CSV.
import { get, getAll, qs } from '../js/api.js';
import { h, clear, fld, inp, sel, failBox, tbl, badge } from '../js/dom.js';
import { t, en, enumValues, fmtNum, today } from '../js/i18n.js';
import { state, tz, heading, role, count, pct, flash, download } from '../js/core.js';

// [key, format, the word for it when hidden]: a rate or hours of a hidden count are not "< 5"
const METRICS = [['participants'], ['sessions_held'], ['attendance_rate', pct, 'hidden'], ['hours_delivered', (n) => fmtNum(n, 2, 0), 'hidden'],
  ['completions'], ['certificates']];
const figure = (m, [k, f, w]) => count(m[k], m, f, w);
const cells = (m) => METRICS.map((x) => figure(m, x));
/** figures as tiles: [[key (its label pr_key), shown value]] */
const tiles = (id, rows) => h('ul', { class: 'counts', id }, rows.map(([k, v]) => h('li', { 'data-metric': k }, h('b', null, v), t('pr_' + k))));

function draw(r) {
  const cols = METRICS.map(([k]) => [t('pr_' + k), 'num']);
  const b = r.businesses, x = r.exits;
  return [r.suppressed ? h('p', { class: 'alert warn', id: 'pr-suppressed' }, t('pr_suppressed')) : null,
    h('h2', null, t('pr_totals')), tiles('pr-totals', METRICS.map((x) => [x[0], figure(r.totals, x)])),
    h('h2', null, t('pr_by_kind')), Object.keys(r.by_kind).length ? tbl([t('prog_kind'), ...cols], Object.entries(r.by_kind).map(([k, m]) =>
      ({ attrs: { 'data-kind': k }, cells: [en('programme_kind', k), ...cells(m)] })), { id: 'pr-kinds' }) : h('p', { class: 'muted' }, t('none')),
    h('h2', null, t('pr_programmes')), r.programmes.length ? tbl([t('prog_title'), t('status'), ...cols], r.programmes.map((p) =>
      ({ attrs: { 'data-programme': p.programme_id, 'data-suppressed': String(p.suppressed) },
        cells: [h('a', { href: '#/programme/' + p.programme_id }, p.title), badge(en('programme_status', p.status), p.status), ...cells(p)] })), { id: 'pr-programmes' })
      : h('p', { class: 'muted', id: 'pr-programmes' }, t('none')),
    h('div', { class: 'tiles pr-side' },
      h('section', { class: 'card' }, h('h2', null, t('pr_businesses')), h('ul', { class: 'counts', id: 'pr-businesses' },
        enumValues('business_stage').map((k) => h('li', { 'data-stage': k }, h('b', null, count(b.by_stage[k], b)), en('business_stage', k))))),
      h('section', { class: 'card' }, h('h2', null, t('pr_exits')),
        tiles('pr-exits', [['stays_closed', count(x.stays_closed, x)], ['with_business', count(x.with_business, x)]])))];
}

export default async function progreport(box, { query }) {
  const partner = role() === 'partner';
  const from = inp('from', { type: 'date', value: query.from || today(tz(), -89), required: true });
  const to = inp('to', { type: 'date', value: query.to || today(tz()), required: true });
  // a house user may narrow it to one partner of the house; a partner's report is always its own
  const partners = partner ? [] : await getAll('/partners' + qs({ house_id: state.houseId }), 200);
  const pick = partner ? null : sel('partner_id', partners.map((p) => [p.id, p.name]), { value: query.partner_id || '' }, t('all_partners'));
  const params = () => qs({ house_id: partner ? null : state.houseId, partner_id: pick?.value, from: from.value, to: to.value });
  const out = h('div', { id: 'pr-out' });
  async function load() {
    history.replaceState(null, '', '#/programme-report' + qs({ from: from.value, to: to.value, partner_id: pick?.value }));
    try {
      clear(out, draw(await get('/reports/programme' + params())));
    } catch (err) {
      clear(out, failBox(err, load));
    }
  }
  const csv = () => download('/reports/programme' + params(), 'text/csv', `laporan-program-${from.value}-${to.value}.csv`)
    .catch((err) => flash(err.words || String(err), 'error'));
  const form = h('form', { class: 'inline', id: 'pr-form' }, fld(t('from'), from), fld(t('to'), to), pick ? fld(t('partner'), pick) : null,
    h('button', { type: 'submit' }, t('show')), h('button', { type: 'button', class: 'secondary', id: 'pr-csv', onclick: csv }, t('csv_download')));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('pr_title')), partner ? h('p', { class: 'muted' }, t('partner_hint')) : null, form, out);
  await load();
}
