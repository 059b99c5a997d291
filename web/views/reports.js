// Manager reports: occupancy of the houses, the 90-day census as an SVG chart drawn here, exits.
import { get, qs } from '../js/api.js';
import { h, svg, clear, fld, inp, check, failBox, tbl } from '../js/dom.js';
import { t, en, fmtD, fmtShortD, fmtNum, today } from '../js/i18n.js';
import { state, tz, house, heading, pct } from '../js/core.js';

export default function reports(box, ctx) {
  return { occupancy, census, exits }[ctx.name](box, ctx);
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

async function census(box) {
  const from = today(tz(), -89), to = today(tz());
  const { items } = await get(`/houses/${state.houseId}/census` + qs({ from, to }));
  // drawn for the width it gets, so that its text stays readable on a phone
  const W = Math.round(Math.max(300, Math.min(960, box.clientWidth || 720))), H = 300, L = 36, R = 12, T = 14, B1 = 200, B2 = 268;
  const n = items.length;
  const maxOcc = Math.max(1, ...items.map((d) => d.occupied));
  const step = maxOcc <= 5 ? 1 : maxOcc <= 12 ? 2 : maxOcc <= 30 ? 5 : maxOcc <= 60 ? 10 : 20;
  const top = Math.ceil((maxOcc + step / 2) / step) * step;
  const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (v) => B1 - (v * (B1 - T)) / top;
  const maxMove = Math.max(1, ...items.map((d) => Math.max(d.check_ins, d.check_outs)));
  const mid = (B1 + 22 + B2) / 2, half = (B2 - B1 - 22) / 2;
  const bw = Math.max(2, (W - L - R) / Math.max(n, 1) - 1);
  const line = items.map((d, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(d.occupied).toFixed(1)).join(' ');
  const ticks = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  const every = W < 560 ? 30 : 15;
  const xl = items.map((d, i) => [d, i]).filter(([, i]) => (i % every === 0 && n - 1 - i >= every / 2) || i === n - 1);
  const last = items[n - 1]?.occupied ?? 0;
  const desc = t('census_desc', { from: fmtD(from), to: fmtD(to), max: maxOcc, last });
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'census-t census-d', id: 'census-chart', 'data-points': n },
    svg('title', { id: 'census-t' }, t('census_title') + ' — ' + (house()?.name || '')), svg('desc', { id: 'census-d' }, desc),
    ticks.map((v) => [svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }), svg('text', { class: 'axis', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, v)]),
    n ? svg('path', { class: 'area', d: line + ` L${x(n - 1).toFixed(1)} ${B1} L${L} ${B1} Z` }) : null,
    n ? svg('path', { class: 'line', d: line }) : null,
    xl.map(([d, i]) => svg('text', { class: 'axis', x: x(i), y: B1 + 15, 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' }, fmtShortD(d.date))),
    svg('line', { class: 'grid', x1: L, x2: W - R, y1: mid, y2: mid }),
    items.map((d, i) => [
      d.check_ins ? svg('rect', { class: 'in', x: x(i) - bw / 2, y: mid - (d.check_ins * half) / maxMove, width: bw, height: (d.check_ins * half) / maxMove }, svg('title', null, fmtD(d.date) + ': ' + t('check_ins') + ' ' + d.check_ins)) : null,
      d.check_outs ? svg('rect', { class: 'out', x: x(i) - bw / 2, y: mid, width: bw, height: (d.check_outs * half) / maxMove }, svg('title', null, fmtD(d.date) + ': ' + t('check_outs') + ' ' + d.check_outs)) : null]),
    svg('text', { class: 'axis', x: L - 6, y: mid - half + 8, 'text-anchor': 'end' }, '+' + maxMove),
    svg('text', { class: 'axis', x: L - 6, y: mid + half, 'text-anchor': 'end' }, '−' + maxMove));
  const table = h('details', null, h('summary', null, t('table_view')), tbl([t('date'), [t('occupied_n'), 'num'], [t('check_ins'), 'num'], [t('check_outs'), 'num']],
    items.slice().reverse().map((d) => [fmtD(d.date), d.occupied, d.check_ins, d.check_outs])));
  clear(box, heading(t('census_title'), h('span', { class: 'muted' }, house()?.name || '')), h('p', null, desc),
    h('ul', { class: 'legend' }, h('li', null, h('span', { class: 'k-occ' }), t('occupied_n')), h('li', null, h('span', { class: 'k-in' }), t('check_ins')), h('li', null, h('span', { class: 'k-out' }), t('check_outs'))),
    chart, table);
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
