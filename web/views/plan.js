// The exit plan of a stay: target date, planned destination, summary, readiness, and goals with
// statuses and due dates (caseworkers and managers edit; others read).
import { api, get, ApiError } from '../js/api.js';
import { h, clear, badge, tbl } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, today } from '../js/i18n.js';
import { tz, heading, flash, may, pct } from '../js/core.js';

const OPEN = ['planned', 'in_progress'];

export default async function plan(box, { args, rerender }) {
  const sid = args[0];
  const s = await get('/stays/' + encodeURIComponent(sid));
  const [r, p] = await Promise.all([get('/residents/' + s.resident_id), get(`/stays/${sid}/exit-plan`).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  })]);
  const edit = may('exit_plans.put');
  const now = today(tz());
  const parts = [heading(t('plan_title') + ': ' + r.full_name), h('p', null, h('a', { href: '#/stay/' + sid }, t('stay_title')), ' · ', h('a', { href: '#/resident/' + r.id }, t('record_link')))];

  if (edit) {
    const pf = formFor('exit_plans.put', [p ? null : h('p', { class: 'muted' }, t('no_plan')),
      [{ name: 'target_exit_on', label: 'target_exit_on' }, { name: 'destination_plan', label: 'destination_plan', enum: 'destination' }],
      { name: 'summary', label: 'summary' }], {
      id: 'plan-form', class: 'narrow', values: p,
      // a PUT replaces the plan: a summary emptied here is sent empty
      shape: (v) => (!('summary' in v) && p?.summary ? { ...v, summary: '' } : v),
      send: (body) => api('PUT', `/stays/${sid}/exit-plan`, { body, ifMatch: p?.version }),
      done() { flash(t('plan_saved')); rerender(); },
    });
    parts.push(pf);
  } else if (p) {
    parts.push(h('div', { class: 'card' }, h('p', null, t('target_exit_on') + ': ', h('strong', null, fmtD(p.target_exit_on)), ' · ',
      t('destination_plan') + ': ', h('strong', null, en('destination', p.destination_plan))), p.summary ? h('p', null, p.summary) : null));
  } else {
    parts.push(h('p', { class: 'muted' }, t('no_plan')));
  }

  if (p) {
    parts.push(h('h2', null, t('readiness') + ': ' + pct(p.readiness)), p.readiness != null ? h('meter', { min: 0, max: 1, value: p.readiness, 'aria-label': t('readiness') }) : null,
      h('h2', null, t('goals')));
    const goals = p.goals || [];
    const over = (g) => g.due_on && g.due_on < now && OPEN.includes(g.status);
    if (!goals.length) parts.push(h('p', { class: 'muted' }, t('no_goals')));
    if (may('goals.update')) {
      parts.push(h('div', { class: 'card', id: 'goals' }, goals.map((g) => goalForm(g, over(g), rerender))));
      const gf = may('goals.create') && formFor('goals.create', [h('h2', null, t('add_goal')),
        [{ name: 'domain', label: 'domain', enum: 'domain' }, { name: 'due_on', label: 'due_on' }], { name: 'title', label: 'goal_title' }], {
        id: 'add-goal', class: 'narrow', submit: t('add_goal'),
        send: (body, key) => api('POST', `/stays/${sid}/exit-plan/goals`, { body, key }),
        done() { flash(t('goal_added')); rerender(); },
      });
      if (gf) parts.push(gf);
    } else if (goals.length) {
      parts.push(tbl([t('domain'), t('goal_title'), t('status'), t('due_on'), t('note')], goals.map((g) => ({ attrs: { class: over(g) ? 'overdue' : null },
        cells: [en('domain', g.domain), g.title, en('goal_status', g.status), fmtD(g.due_on), g.note || ''] }))));
    }
  }
  clear(box, parts);
}

function goalForm(g, over, rerender) {
  const f = formFor('goals.update', [h('div', { class: 'row' }, h('strong', { class: 'grow' }, en('domain', g.domain)), over ? badge(t('overdue_goals'), 'overdue') : null),
    [{ name: 'title', label: 'goal_title', required: true }, { name: 'status', label: 'status', enum: 'goal_status', required: true },
      { name: 'due_on', label: 'due_on' }, { name: 'note', label: 'note', as: 'line' }]], {
    class: 'goal bare' + (over ? ' over' : ''), values: g, patch: g, submit: [t('save'), { class: 'secondary small' }],
    send: (body) => (Object.keys(body).length ? api('PATCH', '/goals/' + g.id, { body, ifMatch: g.version }) : g),
    done() { flash(t('saved')); rerender(); },
  });
  f.dataset.goal = g.id;
  return f;
}
