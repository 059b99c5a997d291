// The exit plan of a stay: target date, planned destination, summary, readiness, and goals with
// statuses and due dates (caseworkers and managers edit; others read).
import { api, get, ApiError } from '../js/api.js';
import { h, clear, fld, inp, area, sel, btn, values, onSubmit, localError, badge, tbl, limits, choices } from '../js/dom.js';
import { t, en, fmtD, today } from '../js/i18n.js';
import { tz, heading, flash, can, pct } from '../js/core.js';

const OPEN = ['planned', 'in_progress'];

export default async function plan(box, { args, rerender }) {
  const sid = args[0];
  const s = await get('/stays/' + encodeURIComponent(sid));
  const [r, p] = await Promise.all([get('/residents/' + s.resident_id), get(`/stays/${sid}/exit-plan`).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  })]);
  const edit = can('plan_edit');
  const now = today(tz());
  const parts = [heading(t('plan_title') + ': ' + r.full_name), h('p', null, h('a', { href: '#/stay/' + sid }, t('stay_title')), ' · ', h('a', { href: '#/resident/' + r.id }, t('record_link')))];

  if (edit) {
    const pf = h('form', { novalidate: true, id: 'plan-form', class: 'narrow' },
      p ? null : h('p', { class: 'muted' }, t('no_plan')),
      h('div', { class: 'grid2' },
        fld(t('target_exit_on'), inp('target_exit_on', { type: 'date', ...limits('exit_plans.put', 'target_exit_on'), value: p?.target_exit_on || '' })),
        fld(t('destination_plan'), sel('destination_plan', choices('exit_plans.put', 'destination_plan', 'destination'), { ...limits('exit_plans.put', 'destination_plan'), value: p?.destination_plan || '' }, t('choose')))),
      fld(t('summary'), area('summary', { ...limits('exit_plans.put', 'summary'), value: p?.summary || '' })),
      h('div', { class: 'actions' }, btn(t('save'))));
    onSubmit(pf, {
      build() {
        const v = values(pf, tz());
        const missing = ['target_exit_on', 'destination_plan'].filter((k) => !v[k]);
        if (missing.length) throw localError(missing);
        if (!('summary' in v) && p?.summary) v.summary = '';
        return v;
      },
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
    if (edit) {
      parts.push(h('div', { class: 'card', id: 'goals' }, goals.map((g) => goalForm(g, over(g), rerender))));
      const gf = h('form', { novalidate: true, id: 'add-goal', class: 'narrow' }, h('h2', null, t('add_goal')),
        h('div', { class: 'grid2' }, fld(t('domain'), sel('domain', choices('goals.create', 'domain', 'domain'), limits('goals.create', 'domain'), t('choose'))), fld(t('due_on'), inp('due_on', { type: 'date' }))),
        fld(t('goal_title'), inp('title', limits('goals.create', 'title'))),
        h('div', { class: 'actions' }, btn(t('add_goal'))));
      onSubmit(gf, {
        build() {
          const v = values(gf, tz());
          const missing = ['domain', 'title'].filter((k) => !v[k]);
          if (missing.length) throw localError(missing);
          return v;
        },
        send: (body, key) => api('POST', `/stays/${sid}/exit-plan/goals`, { body, key }),
        done() { flash(t('goal_added')); rerender(); },
      });
      parts.push(gf);
    } else if (goals.length) {
      parts.push(tbl([t('domain'), t('goal_title'), t('status'), t('due_on'), t('note')], goals.map((g) => ({ attrs: { class: over(g) ? 'overdue' : null },
        cells: [en('domain', g.domain), g.title, en('goal_status', g.status), fmtD(g.due_on), g.note || ''] }))));
    }
  }
  clear(box, parts);
}

function goalForm(g, over, rerender) {
  const f = h('form', { novalidate: true, class: 'goal bare' + (over ? ' over' : ''), 'data-goal': g.id },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, en('domain', g.domain)), over ? badge(t('overdue_goals'), 'overdue') : null),
    h('div', { class: 'grid2' },
      fld(t('goal_title'), inp('title', { ...limits('goals.update', 'title'), required: true, value: g.title })),
      fld(t('status'), sel('status', choices('goals.update', 'status', 'goal_status'), { required: true, value: g.status })),
      fld(t('due_on'), inp('due_on', { type: 'date', value: g.due_on || '' })),
      fld(t('note'), inp('note', { ...limits('goals.update', 'note'), value: g.note || '' }))),
    h('div', { class: 'actions' }, btn(t('save'), { class: 'secondary small' })));
  onSubmit(f, {
    build() {
      const v = values(f, tz(), true);
      if (!v.title) throw localError(['title']);
      const body = { status: v.status };
      for (const k of ['title', 'due_on', 'note']) if ((v[k] ?? null) !== (g[k] ?? null)) body[k] = v[k] ?? null;
      return body;
    },
    send: (body) => api('PATCH', '/goals/' + g.id, { body, ifMatch: g.version }),
    done() { flash(t('saved')); rerender(); },
  });
  return f;
}
