// The exit-plan worklist (GET /exit-plans): plans with overdue goals first, then by target exit.
import { qs } from '../js/api.js';
import { h, clear, fld, sel, check } from '../js/dom.js';
import { pager } from '../js/list.js';
import { t, en, fmtD, today } from '../js/i18n.js';
import { state, tz, heading, role, pct } from '../js/core.js';

export default async function worklist(box, { query }) {
  const within = sel('due_within_days', [7, 14, 30, 60, 90].map((n) => [String(n), t('days_n', { n })]), { value: query.due || '' }, t('all'));
  const mine = role() === 'caseworker' ? check('mine', t('only_mine'), { checked: query.mine === '1' }) : null;
  const form = h('form', { class: 'inline', role: 'search' }, fld(t('due_within'), within), mine, h('button', { type: 'submit' }, t('show')));
  const now = today(tz());
  const list = pager({
    cols: [t('resident'), t('target_exit_on'), t('destination_plan'), [t('readiness'), 'num'], [t('overdue_goals'), 'num']], attrs: { id: 'worklist' },
    row: (p) => ({ attrs: { class: p.overdue_goals > 0 ? 'overdue' : null }, cells: [h('a', { href: '#/plan/' + p.stay_id }, p.full_name),
      fmtD(p.target_exit_on) + (p.target_exit_on < now ? ' ⚠' : ''), en('destination', p.destination_plan), pct(p.readiness),
      p.overdue_goals > 0 ? h('strong', null, p.overdue_goals) : '0'] }),
  });
  function load() {
    const onlyMine = mine?.querySelector('input').checked;
    history.replaceState(null, '', '#/worklist' + qs({ due: within.value, mine: onlyMine ? '1' : '' }));
    return list.load('/exit-plans', { due_within_days: within.value, caseworker_id: onlyMine ? state.user.id : '' });
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('worklist_title')), form, list.el);
  await load();
}
