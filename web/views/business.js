// Micro-businesses (§16.8): a resident's programmes and businesses on the resident page (with a
// new business), and a business's page — its stage line, the stage change with the fields of
// the stage chosen, the monthly figures with a small chart, the credit-readiness summary and
// the form of a month.
import { api, get, getAll, qs } from '../js/api.js';
import { h, fold, clear, badge, dl, tbl, svg, inp } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, lang, fmtD, fmtNum, today } from '../js/i18n.js';
import { tz, heading, flash, go, may } from '../js/core.js';
import { OPS } from '../js/spec.js';

const monthName = (m) => new Date(m + '-01T00:00:00Z').toLocaleDateString(lang() === 'en' ? 'en-GB' : 'id-ID', { timeZone: 'UTC', month: 'short', year: '2-digit' });
const idr = (n) => (n == null ? '—' : 'Rp' + fmtNum(n));
// the fields a stage takes (§16.8); the others are hidden and not sent
const FOR_STAGE = { registered: ['nib', 'sku_number', 'sku_issued_on'], funded: ['capital_source', 'amount_idr'] };

/** programmePanel(resident id, rerender) → the <section> of the resident's enrolments and businesses */
export async function programmePanel(rid, rerender) {
  const [enrols, biz] = await Promise.all([may('enrolments.list') ? getAll('/enrolments' + qs({ resident_id: rid }), 200) : null,
    may('businesses.list') ? getAll('/businesses' + qs({ resident_id: rid }), 100) : null]);
  if (!enrols && !biz) return null;
  const parts = [h('h2', { id: 'res-prog-title' }, t('res_programmes'))];
  if (enrols) {
    const titles = new Map((await Promise.all([...new Set(enrols.map((e) => e.programme_id))].map((p) => get('/programmes/' + p)))).map((p) => [p.id, p.title]));
    parts.push(enrols.length ? tbl([t('programme'), t('stage')], enrols.map((e) => ({ attrs: { 'data-enrolment': e.id },
      cells: [h('a', { href: '#/programme/' + e.programme_id }, titles.get(e.programme_id)),
        [badge(en('enrolment_stage', e.stage), e.stage), e.certificate_number ? ' ' + t('cert_no', { n: e.certificate_number }) : null]] })), { id: 'res-enrolments' })
      : h('p', { class: 'muted', id: 'res-enrolments' }, t('no_enrolments')));
  }
  if (biz) {
    parts.push(h('h3', null, t('businesses')), biz.length ? tbl([t('biz_name'), t('sector'), t('stage'), t('credit_ready')], biz.map((b) => ({ attrs: { 'data-business': b.id },
      cells: [h('a', { href: '#/business/' + b.id }, b.name), en('sector', b.sector), badge(en('business_stage', b.stage), b.stage),
        b.credit_readiness?.ready ? t('yes') : t('no')] })), { id: 'res-businesses' }) : h('p', { class: 'muted', id: 'res-businesses' }, t('none')));
    if (may('businesses.create')) {
      const initial = ['idea', 'business_plan', 'trained'];
      parts.push(fold('biz-new-box', t('biz_new'), formFor('businesses.create', [
        [{ name: 'name', label: 'biz_name' }, { name: 'sector', label: 'sector', enum: 'sector' }],
        [{ name: 'stage', label: 'stage', enum: 'business_stage', control: h('select', { name: 'stage' }, initial.map((x) => h('option', { value: x }, en('business_stage', x)))) },
          { name: 'started_on', label: 'started_on' }],
        { name: 'description', label: 'description', attrs: { rows: 2 } }], {
        id: 'biz-new', class: 'bare', submit: t('biz_create'), shape: (v) => ({ resident_id: rid, ...v }),
        send: (body, key) => api('POST', '/businesses', { body, key }),
        done(b) { flash(t('biz_created')); go('#/business/' + b.id); },
      })));
    }
  }
  return h('section', { id: 'res-programmes', 'aria-labelledby': 'res-prog-title' }, parts);
}

/** revenue and costs of each month as bars, profit as a line (inline SVG) */
function chart(months) {
  const W = 400, H = 200, L = 52, R = 8, T = 10, B = 24;
  const n = months.length;
  const max = Math.max(1, ...months.map((m) => Math.max(m.revenue_idr, m.costs_idr)));
  const min = Math.min(0, ...months.map((m) => m.profit_idr));
  const y = (v) => T + ((max - v) * (H - T - B)) / (max - min);
  const step = (W - L - R) / Math.max(n, 1), bw = Math.min(28, step / 3);
  const cx = (i) => L + step * (i + 0.5);
  const line = months.map((m, i) => (i ? 'L' : 'M') + cx(i).toFixed(1) + ' ' + y(m.profit_idr).toFixed(1)).join(' ');
  const short = (v) => (v >= 1e6 ? fmtNum(v / 1e6, 1) + ' jt' : fmtNum(v));
  return svg('svg', { class: 'chart', id: 'biz-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('biz_chart') },
    [max, max / 2, 0].map((v) => [svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }), svg('text', { class: 'axis', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, short(v))]),
    months.map((m, i) => [
      svg('rect', { class: 'in', x: cx(i) - bw, y: y(m.revenue_idr), width: bw, height: y(0) - y(m.revenue_idr) }, svg('title', null, m.month + ': ' + t('revenue_idr') + ' ' + idr(m.revenue_idr))),
      svg('rect', { class: 'out', x: cx(i), y: y(m.costs_idr), width: bw, height: y(0) - y(m.costs_idr) }, svg('title', null, m.month + ': ' + t('costs_idr') + ' ' + idr(m.costs_idr))),
      n <= 12 || i % Math.ceil(n / 12) === 0 ? svg('text', { class: 'axis', x: cx(i), y: H - 6, 'text-anchor': 'middle' }, monthName(m.month)) : null]),
    n > 1 ? svg('path', { class: 'line', d: line }) : null);
}

export default async function business(box, { args, rerender }) {
  const id = encodeURIComponent(args[0]);
  const [b, months] = await Promise.all([get('/businesses/' + id), getAll(`/businesses/${id}/months`, 120)]);
  const cr = b.credit_readiness;
  const parts = [heading(b.name, badge(en('business_stage', b.stage), b.stage)),
    h('p', null, h('a', { href: '#/resident/' + b.resident_id }, '← ' + t('resident'))),
    h('div', { class: 'card' }, dl([[t('sector'), en('sector', b.sector)], [t('started_on'), fmtD(b.started_on)], [t('nib'), b.nib],
      [t('sku_number'), b.sku_number && b.sku_number + (b.sku_issued_on ? ' · ' + fmtD(b.sku_issued_on) : '')],
      [t('capital'), b.capital.length ? b.capital.map((c) => en('capital_source', c.source) + ' ' + idr(c.amount_idr) + ' (' + fmtD(c.on) + ')').join(' · ') : null],
      [t('description'), b.description]])),
    h('h2', null, t('biz_stages')),
    h('ol', { class: 'stages', id: 'biz-history' }, b.history.map((x) => h('li', { 'data-stage': x.stage },
      h('strong', null, en('business_stage', x.stage)), ' ', h('span', { class: 'muted' }, fmtD(x.on)), x.note ? h('small', null, x.note) : null)))];

  if (b.stage !== 'closed' && may('businesses.stage')) {
    const stages = OPS['businesses.stage'].body.stage.values.filter((x) => x !== b.stage);
    const pick = h('select', { name: 'stage' }, h('option', { value: '' }, t('choose')), stages.map((x) => h('option', { value: x }, en('business_stage', x))));
    const f = formFor('businesses.stage', [{ name: 'stage', label: 'stage_new', enum: 'business_stage', control: pick },
      [{ name: 'on', label: 'stage_on', value: today(tz()) }, { name: 'nib', label: 'nib' }],
      [{ name: 'sku_number', label: 'sku_number' }, { name: 'sku_issued_on', label: 'sku_issued_on' }],
      [{ name: 'capital_source', label: 'capital_source', enum: 'capital_source' }, { name: 'amount_idr', label: 'amount_idr' }],
      { name: 'note', label: 'notes', attrs: { rows: 2 } }], {
      id: 'biz-stage', class: 'bare', submit: t('stage_btn'),
      send: (body, key) => api('POST', `/businesses/${id}/stages`, { body, key }),
      done() { flash(t('stage_saved')); rerender(); },
    });
    const show = () => {
      for (const names of Object.entries(FOR_STAGE)) for (const n of names[1]) {
        const el = f.elements.namedItem(n);
        el.disabled = pick.value !== names[0];
        el.closest('.field').hidden = el.disabled;
      }
    };
    pick.addEventListener('change', show);
    show();
    parts.push(fold('biz-stage-box', t('stage_change'), f));
  }

  parts.push(h('h2', { id: 'credit-title' }, t('credit_title')), h('div', { class: 'card', id: 'credit' },
    h('p', null, badge(cr.ready ? t('credit_ready_yes') : t('credit_ready_no'), cr.ready ? 'free' : 'out'), ' ', t('credit_max', { n: idr(cr.max_amount_idr) })),
    dl([[t('legal_document'), cr.legal_document ? cr.legal_document.toUpperCase() : t('none')], [t('months_trading'), fmtNum(cr.months_trading)],
      [t('training_completed'), cr.training_completed ? t('yes') : t('no')], [t('in_mentoring'), cr.in_mentoring ? t('yes') : t('no')],
      [t('credit_missing'), cr.missing.map((m) => en('credit_missing', m)).join(' · ')]])));

  parts.push(h('h2', null, t('biz_months')));
  if (months.length) {
    parts.push(h('ul', { class: 'legend' }, [['k-in', 'revenue_idr'], ['k-out', 'costs_idr'], ['k-occ', 'profit_idr']].map(([k, l]) => h('li', null, h('span', { class: k }), t(l)))), chart(months),
      tbl([t('month'), [t('revenue_idr'), 'num'], [t('costs_idr'), 'num'], [t('profit_idr'), 'num'], [t('workers'), 'num']],
        months.slice().reverse().map((m) => ({ attrs: { 'data-month': m.month }, cells: [monthName(m.month), idr(m.revenue_idr), idr(m.costs_idr), idr(m.profit_idr), fmtNum(m.workers)] })), { id: 'biz-months' }));
  } else parts.push(h('p', { class: 'muted', id: 'biz-months' }, t('none')));
  if (may('business_months.put')) {
    const month = inp('month', { type: 'month', max: today(tz()).slice(0, 7), value: today(tz()).slice(0, 7) });
    parts.push(fold('biz-month-box', t('month_record'), formFor('business_months.put', [
      [{ path: 'month', label: 'month', control: month }, { name: 'workers', label: 'workers' }],
      [{ name: 'revenue_idr', label: 'revenue_idr' }, { name: 'costs_idr', label: 'costs_idr' }],
      { name: 'note', label: 'notes', attrs: { rows: 2 } }], {
      id: 'biz-month', class: 'bare', submit: t('month_btn'), fieldFor: { month: 'month' },
      send: (body, key, path) => api('PUT', `/businesses/${id}/months/${path.month}`, { body, ifMatch: months.find((m) => m.month === path.month)?.version }),
      done() { flash(t('month_saved')); rerender(); },
    })));
  }
  clear(box, ...parts);
}
