// Recording a violation of a house rule (rule, time, description, action taken); the last 30 days below.
import { api, getAll, qs } from '../js/api.js';
import { h, clear, fld, inp, area, sel, btn, values, onSubmit, localError, limits } from '../js/dom.js';
import { t, fmtDT, isoToLocal, today } from '../js/i18n.js';
import { state, tz, heading, loadBoard, loadRules, ruleOptions, namesByStay, flash } from '../js/core.js';

export default async function violation(box, { query }) {
  const [board, rules, rulesAll, recent] = await Promise.all([loadBoard(), loadRules(), loadRules(false),
    getAll('/violations' + qs({ house_id: state.houseId, from: today(tz(), -30) }), 400)]);
  const names = namesByStay(board);
  const people = [...names].map(([id, n]) => [id, n]).sort((a, b) => a[1].localeCompare(b[1]));
  const ruleById = new Map(rulesAll.map((r) => [r.id, r]));
  const form = h('form', { novalidate: true, class: 'narrow' },
    fld(t('resident'), sel('stay_id', people, { required: true, value: query.stay || '' }, t('choose'))),
    fld(t('rule'), sel('rule_id', ruleOptions(rules), { required: true }, t('choose'))),
    fld(t('occurred_at'), inp('occurred_at', { type: 'datetime-local', 'data-type': 'datetime', required: true, value: isoToLocal(Date.now(), tz()) }), t('house_time', { tz: tz() })),
    fld(t('description'), area('description', limits('violations.create', 'description'))),
    fld(t('action_taken'), area('action_taken', limits('violations.create', 'action_taken'))),
    h('div', { class: 'actions' }, btn(t('violation_btn'))));
  onSubmit(form, {
    build() {
      const v = values(form, tz());
      const missing = ['stay_id', 'rule_id', 'occurred_at', 'description'].filter((k) => !v[k]);
      if (missing.length) throw localError(missing);
      const { stay_id, ...body } = v;
      return { stay_id, body };
    },
    send: ({ stay_id, body }, key) => api('POST', `/stays/${stay_id}/violations`, { body, key }),
    done(v) {
      flash(t('violation_saved', { name: names.get(v.stay_id) || '' }));
      location.hash = '#/stay/' + v.stay_id;
    },
  });
  const list = recent.slice().reverse().map((v) => {
    const r = ruleById.get(v.rule_id);
    return h('li', null, h('div', { class: 'row' }, h('strong', { class: 'grow' }, h('a', { href: '#/resident/' + v.resident_id }, names.get(v.stay_id) || '—')),
      h('span', { class: 'muted' }, fmtDT(v.occurred_at, tz()))),
    h('div', null, r ? r.code + ' — ' + r.title : ''), h('p', null, v.description),
    v.action_taken ? h('p', { class: 'muted' }, t('action_taken') + ': ' + v.action_taken) : null);
  });
  clear(box, heading(t('violation_title')), form, h('h2', null, t('recent_violations')),
    list.length ? h('ul', { class: 'list narrow' }, list) : h('p', { class: 'muted' }, t('none')));
}
