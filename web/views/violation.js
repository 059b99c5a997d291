// Recording a violation of a house rule (rule, time, description, action taken); the last 30 days below.
import { api, getAll, qs } from '../js/api.js';
import { h, clear, sel } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, fmtDT, today } from '../js/i18n.js';
import { state, tz, heading, loadBoard, loadRules, ruleOptions, namesByStay, flash } from '../js/core.js';

export default async function violation(box, { query }) {
  const [board, rules, rulesAll, recent] = await Promise.all([loadBoard(), loadRules(), loadRules(false),
    getAll('/violations' + qs({ house_id: state.houseId, from: today(tz(), -30) }), 400)]);
  const names = namesByStay(board);
  const people = [...names].map(([id, n]) => [id, n]).sort((a, b) => a[1].localeCompare(b[1]));
  const ruleById = new Map(rulesAll.map((r) => [r.id, r]));
  const form = formFor('violations.create', [
    { path: 'stay_id', label: 'resident', control: sel('stay_id', people, { value: query.stay || '' }, t('choose')) },
    { name: 'rule_id', label: 'rule', control: sel('rule_id', ruleOptions(rules), {}, t('choose')) },
    { name: 'occurred_at', label: 'occurred_at', value: Date.now() },
    { name: 'description', label: 'description' },
    { name: 'action_taken', label: 'action_taken' },
  ], {
    class: 'narrow', submit: t('violation_btn'),
    send: (body, key, { stay_id }) => api('POST', `/stays/${stay_id}/violations`, { body, key }),
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
