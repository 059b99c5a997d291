// Manager reports: occupancy of the houses, the 90-day census and the capacity forecast as SVG
// charts drawn here, exits and the outcomes of the post-exit follow-ups as bar charts.
import { get, qs } from '../js/api.js';
import { h, svg, clear, fld, inp, sel, check, failBox, tbl } from '../js/dom.js';
import { t, en, fmtD, fmtShortD, fmtNum, today } from '../js/i18n.js';
import { state, tz, house, heading, pct, count, role, flash, download } from '../js/core.js';

export default function reports(box, ctx) {
  return { occupancy, census, exits, forecast, outcomes }[ctx.name](box, ctx);
}

async function occupancy(box) {
  const { items } = await get('/occupancy');
  const names = new Map(state.houses.map((x) => [x.id, x.code + ' — ' + x.name]));
  const sexRow = (k, v) => h('tr', null, h('th', { scope: 'row' }, t('room_sex_' + k)), [v.beds_total, v.beds_occupied, v.beds_free, v.beds_out_of_service].map((n) => h('td', { class: 'num' }, n)));
  clear(box, heading(t('occupancy_title')), h('div', { class: 'tiles' }, items.map((o) => h('section', { class: 'card' },
    h('h2', null, names.get(o.house_id) || o.house_id),
    h('p', null, h('span', { class: 'big' }, pct(o.occupancy_rate)), ' ', t('occupancy_rate')),
    h('ul', { class: 'counts' }, h('li', { class: 'occupied' }, h('b', null, o.beds_occupied), t('st_occupied')), h('li', { class: 'free' }, h('b', null, o.beds_free), t('st_free')),
      h('li', { class: 'out_of_service' }, h('b', null, o.beds_out_of_service), t('st_out_of_service')), h('li', null, h('b', null, o.beds_total), t('total'))),
    h('p', null, h('a', { href: '#/out' }, t('residents_out_n', { n: o.residents_out }))),
    h('table', null, h('caption', { class: 'muted' }, t('by_sex')), h('thead', null, h('tr', null, h('td'), [t('total'), t('st_occupied'), t('st_free'), t('st_out_of_service')].map((x) => h('th', { scope: 'col', class: 'num' }, x)))),
      h('tbody', null, ['male', 'female', 'any'].filter((k) => o.by_sex?.[k]).map((k) => sexRow(k, o.by_sex[k]))))))));
}

/** a chart of days, drawn for the width it gets so that its text stays readable on a phone,
 *  and its legend: people each midnight (occ, a line over an area; alt, a dashed line; cap, the
 *  beds usable) above, the day's arrivals (ins) up and departures (outs) down below.
 *  o: { id, title, desc, items, occ, alt, cap, ins, outs, labels: { occ, alt, cap, ins, outs } } */
function dayChart(box, o) {
  const { items, labels: lb } = o;
  const W = Math.round(Math.max(300, Math.min(960, box.clientWidth || 720))), H = 300, L = 36, R = 12, T = 14, B1 = 200, B2 = 268;
  const n = items.length;
  const maxOcc = Math.max(1, o.cap || 0, ...items.map(o.occ), ...(o.alt ? items.map(o.alt) : []));
  const step = maxOcc <= 5 ? 1 : maxOcc <= 12 ? 2 : maxOcc <= 30 ? 5 : maxOcc <= 60 ? 10 : 20;
  const top = Math.ceil((maxOcc + step / 2) / step) * step;
  const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v) => B1 - (v * (B1 - T)) / top;
  const maxMove = Math.max(1, ...items.map((d) => Math.max(o.ins(d), o.outs(d))));
  const mid = (B1 + 22 + B2) / 2, half = (B2 - B1 - 22) / 2;
  const bw = Math.max(2, (W - L - R) / Math.max(n, 1) - 1);
  const path = (f) => items.map((d, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(f(d)).toFixed(1)).join(' ');
  const line = path(o.occ);
  const ticks = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  const every = Math.max(1, Math.round(n / (W < 560 ? 3 : 6)));
  const xl = items.map((d, i) => [d, i]).filter(([, i]) => (i % every === 0 && n - 1 - i >= every / 2) || i === n - 1);
  const bar = (cls, v, up, label) => (v ? svg('rect', { class: cls, x: 0, y: up ? mid - (v * half) / maxMove : mid, width: bw, height: (v * half) / maxMove }, svg('title', null, label + ' ' + v)) : null);
  const keys = [['k-occ', lb.occ], o.alt && ['k-alt', lb.alt], o.cap != null && ['k-cap', lb.cap], ['k-in', lb.ins], ['k-out', lb.outs]];
  return [h('ul', { class: 'legend' }, keys.filter(Boolean).map(([k, l]) => h('li', null, h('span', { class: k }), l))),
    svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${o.id}-t ${o.id}-d`, id: o.id + '-chart', 'data-points': n },
      svg('title', { id: o.id + '-t' }, o.title + ' — ' + (house()?.name || '')), svg('desc', { id: o.id + '-d' }, o.desc),
      ticks.map((v) => [svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }), svg('text', { class: 'axis', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, v)]),
      n ? svg('path', { class: 'area', d: line + ` L${x(n - 1).toFixed(1)} ${B1} L${L} ${B1} Z` }) : null,
      o.cap != null ? svg('line', { class: 'cap', x1: L, x2: W - R, y1: y(o.cap), y2: y(o.cap) }) : null,
      n ? svg('path', { class: 'line', d: line }) : null,
      n && o.alt ? svg('path', { class: 'alt', d: path(o.alt) }) : null,
      xl.map(([d, i]) => svg('text', { class: 'axis', x: x(i), y: B1 + 15, 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' }, fmtShortD(d.date))),
      svg('line', { class: 'grid', x1: L, x2: W - R, y1: mid, y2: mid }),
      items.map((d, i) => svg('g', { transform: `translate(${Math.min(W - R - bw, Math.max(L, x(i) - bw / 2)).toFixed(1)} 0)` },
        bar('in', o.ins(d), true, fmtD(d.date) + ': ' + lb.ins), bar('out', o.outs(d), false, fmtD(d.date) + ': ' + lb.outs))),
      svg('text', { class: 'axis', x: L - 6, y: mid - half + 8, 'text-anchor': 'end' }, '+' + maxMove),
      svg('text', { class: 'axis', x: L - 6, y: mid + half, 'text-anchor': 'end' }, '−' + maxMove))];
}

async function census(box) {
  const from = today(tz(), -89), to = today(tz());
  const { items } = await get(`/houses/${state.houseId}/census` + qs({ from, to }));
  const desc = t('census_desc', { from: fmtD(from), to: fmtD(to), max: Math.max(1, ...items.map((d) => d.occupied)), last: items.at(-1)?.occupied ?? 0 });
  const table = h('details', null, h('summary', null, t('table_view')), tbl([t('date'), [t('occupied_n'), 'num'], [t('check_ins'), 'num'], [t('check_outs'), 'num']],
    items.slice().reverse().map((d) => [fmtD(d.date), d.occupied, d.check_ins, d.check_outs])));
  clear(box, heading(t('census_title'), h('span', { class: 'muted' }, house()?.name || '')), h('p', null, desc),
    dayChart(box, { id: 'census', title: t('census_title'), desc, items, occ: (d) => d.occupied, ins: (d) => d.check_ins, outs: (d) => d.check_outs,
      labels: { occ: t('occupied_n'), ins: t('check_ins'), outs: t('check_outs') } }), table);
}

/** the capacity forecast (§17.10): a chart of the days, and a table by day (30 days) or by week
 *  (longer: a week's peak occupancy, its fewest free beds and its movements summed) */
async function forecast(box, { query }) {
  const days = [30, 60, 90].includes(+query.days) ? +query.days : 90;
  const f = await get(`/houses/${state.houseId}/forecast` + qs({ days }));
  const items = f.items, cap = items.length ? items[0].beds_total - items[0].beds_out_of_service : 0;
  const pick = sel('days', [30, 60, 90].map((d) => [d, t('fc_days_n', { n: d })]), { id: 'fc-days', value: days,
    onchange: (e) => { location.hash = '#/forecast' + qs({ days: e.target.value }); } });
  const low = items.reduce((a, d) => (d.expected_free < a.expected_free ? d : a), items[0]);
  const desc = low ? t('fc_desc', { from: fmtD(f.from), to: fmtD(items.at(-1).date), cap, max: Math.max(...items.map((d) => d.expected_occupied)), free: low.expected_free, on: fmtD(low.date) }) : '';
  const size = days > 31 ? 7 : 1, rows = [];
  for (let i = 0; i < items.length; i += size) {
    const g = items.slice(i, i + size), sum = (k) => g.reduce((a, d) => a + d[k], 0), max = (k) => Math.max(...g.map((d) => d[k]));
    const free = Math.min(...g.map((d) => d.expected_free));
    rows.push({ attrs: { class: free < 0 ? 'overdue' : null, 'data-date': g[0].date },
      cells: [size > 1 ? fmtShortD(g[0].date) + ' – ' + fmtD(g.at(-1).date) : fmtD(g[0].date), max('expected_occupied'), free, max('expected_occupied_legal'),
        sum('arrivals'), sum('exits'), sum('pending_arrivals'), sum('supervision_ends')] });
  }
  clear(box, heading(t('nav_forecast'), h('span', { class: 'muted' }, house()?.name || '')),
    h('form', { class: 'inline bare', id: 'fc-pick', onsubmit: (e) => e.preventDefault() }, fld(t('fc_days'), pick)), h('p', null, desc),
    dayChart(box, { id: 'forecast', title: t('nav_forecast'), desc, items, cap, occ: (d) => d.expected_occupied, alt: (d) => d.expected_occupied_legal,
      ins: (d) => d.arrivals, outs: (d) => d.exits,
      labels: { occ: t('fc_occupied'), alt: t('fc_legal'), cap: t('fc_capacity'), ins: t('fc_arrivals'), outs: t('fc_exits') } }),
    h('h2', null, t(size > 1 ? 'fc_by_week' : 'fc_by_day')),
    tbl([t(size > 1 ? 'fc_week' : 'date'), [t('fc_occupied_peak'), 'num'], [t('fc_free_low'), 'num'], [t('fc_legal_col'), 'num'], [t('fc_arrivals'), 'num'],
      [t('fc_exits'), 'num'], [t('fc_pending'), 'num'], [t('fc_sup_ends'), 'num']], rows, { id: 'fc-table' }));
}

/** the period form of the exits and outcome reports: from and to (by default the last DAYS days),
 *  "all houses" for a user of several (not for a partner user: its report covers its partner's
 *  houses), and the query of the report's path (house_id) and of the page's hash (all) */
function period(query, days, name) {
  const from = inp('from', { type: 'date', value: query.from || today(tz(), 1 - days), required: true });
  const to = inp('to', { type: 'date', value: query.to || today(tz()), required: true });
  const partner = role() === 'partner';
  const all = !partner && state.houses.length > 1 ? check('all', t('all_houses'), { checked: query.all === '1' }) : null;
  const every = () => partner || !!all?.querySelector('input').checked;
  const form = h('form', { class: 'inline', id: name + '-form' }, fld(t('from'), from), fld(t('to'), to), all, h('button', { type: 'submit' }, t('show')));
  return { form, from, to, params: () => qs({ from: from.value, to: to.value, house_id: every() ? '' : state.houseId }),
    keep: () => history.replaceState(null, '', '#/' + name + qs({ from: from.value, to: to.value, all: every() && !partner ? '1' : '' })) };
}

/** a row of a bar chart: a label, its figures, a bar FRAC (0..1) of the cell's width */
function barRow(label, cells, frac) {
  const bar = h('div', { class: 'bar' });
  bar.style.width = 100 * frac + '%';
  return h('tr', null, h('th', { scope: 'row' }, label), cells.map((c) => h('td', { class: 'num' }, c)), h('td', { class: 'barcell' }, bar));
}

async function exits(box, { query }) {
  const p = period(query, 90, 'exits');
  const out = h('div');
  const bars = (title, kind, counts) => {
    const rows = Object.entries(counts || {}).filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]);
    const max = Math.max(1, ...rows.map((r) => r[1]));
    return h('section', { class: 'card' }, h('h2', null, title), rows.length
      ? h('table', null, h('tbody', null, rows.map(([k, c]) => barRow(en(kind, k), [c], c / max)))) : h('p', { class: 'muted' }, t('none')));
  };
  async function load() {
    p.keep();
    try {
      const r = await get('/reports/exits' + p.params());
      clear(out, h('ul', { class: 'counts' }, h('li', null, h('b', null, r.stays_closed), t('stays_closed')),
        h('li', null, h('b', null, r.average_length_of_stay_days == null ? '—' : fmtNum(r.average_length_of_stay_days, 1)), t('avg_los'))),
      h('div', { class: 'tiles' }, bars(t('exit_reason'), 'exit_reason', r.by_exit_reason), bars(t('destination'), 'destination', r.by_destination)));
    } catch (err) {
      clear(out, failBox(err, load));
    }
  }
  p.form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('exits_title')), p.form, out);
  await load();
}

const OUTCOMES = ['housing_stable', 'employed', 'business_operating', 'reoffended', 'reporting_compliant'];

/** the outcome report (§18.9): for each checkpoint after the exits of a period, those reached of
 *  those due and, of those reached, each outcome: counts and a bar of the rate. A partner user's
 *  has small cells hidden by the server (§16.3): shown as hidden, never guessed. Also as CSV. */
async function outcomes(box, { query }) {
  const p = period(query, 365, 'outcomes');
  const out = h('div', { id: 'oc-out' });
  const rate = (c, k, base) => (c.rates[k] != null ? pct(c.rates[k]) : c[k] == null || c[base] == null ? t('hidden') : '—');
  const point = (c) => h('section', { class: 'card', 'data-offset': c.offset_days, 'data-suppressed': String(c.suppressed) },
    h('h2', null, t('oc_day_n', { n: c.offset_days })),
    h('ul', { class: 'counts' }, ['scheduled', 'due', 'unreachable'].map((k) => h('li', { 'data-count': k }, h('b', null, count(c[k], c)), t('oc_' + k)))),
    h('table', null, h('tbody', null, ['reached', ...OUTCOMES].map((k) =>
      barRow(t('oc_' + k), [count(c[k], c), rate(c, k, k === 'reached' ? 'due' : 'reached')], c.rates[k] || 0)))));
  async function load() {
    p.keep();
    try {
      const r = await get('/reports/outcomes' + p.params());
      clear(out, r.suppressed ? h('p', { class: 'alert warn', id: 'oc-suppressed' }, t('oc_suppressed')) : null,
        h('ul', { class: 'counts' }, h('li', { id: 'oc-exits' }, h('b', null, count(r.exits, r)), t('oc_exits'))),
        r.checkpoints.length ? h('div', { class: 'tiles' }, r.checkpoints.map(point)) : h('p', { class: 'muted' }, t('none')));
    } catch (err) {
      clear(out, failBox(err, load));
    }
  }
  const csv = () => download('/reports/outcomes' + p.params(), 'text/csv', `hasil-pendampingan-${p.from.value}-${p.to.value}.csv`)
    .catch((err) => flash(err.words || String(err), 'error'));
  p.form.append(h('button', { type: 'button', class: 'secondary', id: 'oc-csv', onclick: csv }, t('csv_download')));
  p.form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('oc_title')), h('p', { class: 'muted' }, t('oc_hint')), p.form, out);
  await load();
}
