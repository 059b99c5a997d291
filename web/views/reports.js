// Manager reports: occupancy of the houses, the 90-day census and the capacity forecast as SVG
// charts drawn here, exits.
import { get, qs } from '../js/api.js';
import { h, svg, clear, fld, inp, sel, check, failBox, tbl } from '../js/dom.js';
import { t, en, fmtD, fmtShortD, fmtNum, today } from '../js/i18n.js';
import { state, tz, house, heading, pct } from '../js/core.js';

export default function reports(box, ctx) {
  return { occupancy, census, exits, forecast }[ctx.name](box, ctx);
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

async function exits(box, { query }) {
  const from = inp('from', { type: 'date', value: query.from || today(tz(), -89), required: true });
  const to = inp('to', { type: 'date', value: query.to || today(tz()), required: true });
  const all = state.houses.length > 1 ? check('all', t('all_houses'), { checked: query.all === '1' }) : null;
  const form = h('form', { class: 'inline' }, fld(t('from'), from), fld(t('to'), to), all, h('button', { type: 'submit' }, t('show')));
  const out = h('div');
  const bars = (title, kind, counts) => {
    const rows = Object.entries(counts || {}).filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]);
    const max = Math.max(1, ...rows.map((r) => r[1]));
    return h('section', { class: 'card' }, h('h2', null, title), rows.length ? h('table', null, h('tbody', null, rows.map(([k, c]) => {
      const bar = h('div', { class: 'bar' });
      bar.style.width = (100 * c) / max + '%';
      return h('tr', null, h('th', { scope: 'row' }, en(kind, k)), h('td', { class: 'num' }, c), h('td', { class: 'barcell' }, bar));
    }))) : h('p', { class: 'muted' }, t('none')));
  };
  async function load() {
    const allHouses = all?.querySelector('input').checked;
    history.replaceState(null, '', '#/exits' + qs({ from: from.value, to: to.value, all: allHouses ? '1' : '' }));
    try {
      const r = await get('/reports/exits' + qs({ from: from.value, to: to.value, house_id: allHouses ? '' : state.houseId }));
      clear(out, h('ul', { class: 'counts' }, h('li', null, h('b', null, r.stays_closed), t('stays_closed')),
        h('li', null, h('b', null, r.average_length_of_stay_days == null ? '—' : fmtNum(r.average_length_of_stay_days, 1)), t('avg_los'))),
      h('div', { class: 'tiles' }, bars(t('exit_reason'), 'exit_reason', r.by_exit_reason), bars(t('destination'), 'destination', r.by_destination)));
    } catch (err) {
      clear(out, failBox(err, load));
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('exits_title')), form, out);
  await load();
}
