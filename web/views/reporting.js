// The reporting duty (wajib lapor, §15.3) on the resident page, for caseworkers, managers and
// admins: the periods coloured by status (met, excused, missed, in grace, due, upcoming) with
// the current run of misses marked, the next report due and the revocation risk; the forms to
// set or replace the schedule, record a report, excuse a period (and take an excuse back) and
// void a report recorded by mistake. Staff never get here (compliance is case information).
import { api, get, getAll, qs, ApiError } from '../js/api.js';
import { h, fold, badge, dl, sel } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, fmtDT, today } from '../js/i18n.js';
import { tz, house, flash, may } from '../js/core.js';

const DECIDED = new Set(['met', 'excused', 'missed']);

/** the due dates of the missed periods that make up consecutive_misses: from the newest decided
 *  period back, excused ones skipped, until the first met one (§15.3) */
function runOfMisses(periods) {
  const run = new Set();
  for (let i = periods.length - 1; i >= 0; i--) {
    const p = periods[i];
    if (!DECIDED.has(p.status) || p.status === 'excused') continue;
    if (p.status === 'met') break;
    run.add(p.due_on);
  }
  return run;
}

/** the schedule in one line: "tiap tanggal 10 · tenggang 3 hari · boleh lapor jarak jauh" */
const scheduleText = (s) => [s.frequency === 'monthly' ? t('rep_monthly', { d: s.day_of_month }) : t('rep_interval', { n: s.interval_days }),
  t('rep_grace', { n: s.grace_days }), s.remote_allowed ? t('rep_remote') : null].filter(Boolean).join(' · ');


function periodTile(p, inRun, rerender) {
  const del = p.excuse_id && may('reporting_excuses.delete') ? formFor('reporting_excuses.delete', [], {
    class: 'inline bare', submit: [t('excuse_delete'), { class: 'small secondary' }],
    send: () => api('DELETE', '/reporting-excuses/' + p.excuse_id),
    done() { flash(t('excuse_deleted')); rerender(); },
  }) : null;
  return h('li', { class: 'period ' + p.status + (inRun ? ' run' : ''), 'data-due': p.due_on, 'data-status': p.status },
    h('strong', null, fmtD(p.due_on)),
    h('span', { class: 'st' }, en('period_status', p.status), p.late ? ' · ' + t('rep_late') : ''),
    h('small', null, t('rep_window', { a: fmtD(p.opens_on), b: fmtD(p.closes_on) })),
    inRun ? h('small', { class: 'runmark' }, t('rep_in_run')) : null, del);
}

function recordItem(r, rerender) {
  const counts = r.voided_at ? t('voided_at', { when: fmtDT(r.voided_at, tz()) }) + (r.void_reason ? ' — ' + r.void_reason : '')
    : r.period_due_on ? t('rep_counts_for', { d: fmtD(r.period_due_on) }) : t('rep_counts_none');
  return h('li', { class: r.voided_at ? 'muted' : '', 'data-record': r.id },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, fmtDT(r.reported_at, tz())), badge(en('report_method', r.method))),
    h('p', null, [r.location, r.remote_reason, counts].filter(Boolean).join(' · ')),
    !r.voided_at && may('reporting_records.void') ? fold(null, t('void_fold'), formFor('reporting_records.void', [
      { name: 'reason', label: 'void_reason', attrs: { rows: 2 } }], {
      class: 'bare', submit: [t('void_btn'), { class: 'danger' }],
      send: (body, key) => api('POST', `/reporting-records/${r.id}/void`, { body, key }),
      done() { flash(t('voided')); rerender(); },
    })) : null);
}

/** reportingPanel(resident id, rerender) → the <section> of the reporting duty */
export async function reportingPanel(rid, rerender) {
  const [cal, sched, records] = await Promise.all([get(`/residents/${rid}/reporting`),
    get(`/residents/${rid}/reporting/schedule`).catch((e) => { if (e instanceof ApiError && e.status === 404) return null; throw e; }),
    getAll('/reporting-records' + qs({ resident_id: rid }), 200)]);
  const run = runOfMisses(cal.periods);
  const n = cal.consecutive_misses;
  const parts = [h('h2', { id: 'reporting-title' }, t('rep_title'))];

  if (!cal.under_supervision && !sched) parts.push(h('p', { class: 'muted', id: 'reporting-none' }, t('rep_no_supervision')));
  else {
    parts.push(h('div', { class: 'card', id: 'reporting-summary' }, dl([
      [t('rep_schedule'), sched ? scheduleText(sched) : t('rep_no_schedule')],
      [t('next_due_on'), fmtD(cal.next_due_on)],
      [t('consecutive_misses'), [n ? t('rep_run', { n }) : t('rep_run_none'), ' ', n ? badge(en('alert_severity', n >= 2 ? 'critical' : 'warning'), n >= 2 ? 'overdue' : 'out') : null]],
      [t('rep_duty_ends'), fmtD(cal.duty_ends_on)]]),
    cal.revocation_risk ? h('p', { class: 'alert error', id: 'reporting-risk' }, t('rep_risk')) : null));
  }
  if (cal.periods.length) {
    parts.push(h('h3', null, t('rep_calendar')), h('ol', { class: 'periods', id: 'reporting-periods' },
      cal.periods.map((p) => periodTile(p, run.has(p.due_on), rerender))));
  }

  if (sched && may('reporting_records.create')) {
    parts.push(fold('rep-record-box', t('rep_record'), formFor('reporting_records.create', [
      [{ name: 'reported_at', label: 'reported_at' }, { name: 'method', label: 'method', enum: 'report_method', value: 'in_person' }],
      [{ name: 'location', label: 'location' }, { name: 'remote_reason', label: 'remote_reason', as: 'line' }],
      { name: 'notes', label: 'notes', attrs: { rows: 2 } }], {
      id: 'rep-record', class: 'bare', submit: t('rep_record_btn'),
      send: (body, key) => api('POST', `/residents/${rid}/reporting/records`, { body, key }),
      done() { flash(t('rep_recorded')); rerender(); },
    })));
  }
  const open = cal.periods.filter((p) => p.status !== 'met' && !p.excuse_id);
  if (sched && open.length && may('reporting_excuses.create')) {
    const pick = sel('due_on', open.map((p) => [p.due_on, fmtD(p.due_on) + ' · ' + en('period_status', p.status)]), {}, t('choose'));
    parts.push(fold('rep-excuse-box', t('rep_excuse'), formFor('reporting_excuses.create', [
      { name: 'due_on', label: 'excuse_period', control: pick },
      { name: 'reason', label: 'excuse_reason', attrs: { rows: 2 } }], {
      id: 'rep-excuse', class: 'bare', submit: t('rep_excuse_btn'), fieldFor: { conflict: 'due_on', period_met: 'due_on' },
      send: (body, key) => api('POST', `/residents/${rid}/reporting/excuses`, { body, key }),
      done() { flash(t('rep_excused')); rerender(); },
    })));
  }
  if (cal.under_supervision && may('reporting_schedule.put')) {
    // a replacement starts today or later (no decided period may change); a first one may start in the past
    const values = sched ? { ...sched, starts_on: today(tz()) } : { frequency: 'monthly', grace_days: house()?.reporting_grace_days };
    const sf = formFor('reporting_schedule.put', [
      [{ name: 'frequency', label: 'frequency', enum: 'frequency' }, { name: 'starts_on', label: 'starts_on', hint: sched ? t('sched_starts_hint') : null }],
      [{ name: 'day_of_month', label: 'day_of_month' }, { name: 'interval_days', label: 'interval_days' }],
      [{ name: 'grace_days', label: 'grace_days' }, { name: 'remote_allowed', label: 'remote_allowed' }],
      { name: 'notes', label: 'notes', attrs: { rows: 2 } }], {
      id: 'rep-schedule', class: 'bare', values, submit: t('rep_schedule_btn'),
      send: (body) => api('PUT', `/residents/${rid}/reporting/schedule`, { body, ifMatch: sched?.version }),
      done() { flash(t('rep_schedule_saved')); rerender(); },
    });
    // only the rhythm chosen is shown and sent (the server refuses the other one)
    const freq = sf.elements.namedItem('frequency');
    const rhythm = () => {
      for (const [name, f] of [['day_of_month', 'monthly'], ['interval_days', 'interval']]) {
        const el = sf.elements.namedItem(name);
        el.disabled = freq.value !== f;
        el.closest('.field').hidden = freq.value !== f;
      }
    };
    freq.addEventListener('change', rhythm);
    rhythm();
    parts.push(fold('rep-schedule-box', t(sched ? 'rep_schedule_change' : 'rep_schedule_set'), sf));
  }

  if (records.length) {
    // the newest twelve by the time of reporting (a back-dated one goes to its place)
    parts.push(h('h3', null, t('rep_records')), h('ul', { class: 'list compact', id: 'reporting-records' },
      records.sort((a, b) => (a.reported_at < b.reported_at ? 1 : -1)).slice(0, 12).map((r) => recordItem(r, rerender))));
  }
  return h('section', { id: 'reporting', 'aria-labelledby': 'reporting-title' }, parts);
}
