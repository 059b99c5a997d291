// Programmes (§16.4–16.6): the list (and a new programme for managers), a programme's page —
// details, status, capacity with seats taken and the waitlist, its sessions with a form to add
// one, its residents with enrol, withdraw and complete (with a certificate) — and a session's
// page with its attendance sheet.
// A partner user reaches only the list, the programme and the session (no sheet), with the counts
// the server gives a partner (small counts suppressed: shown as such, never guessed).
import { api, get, getAll, qs } from '../js/api.js';
import { h, fold, clear, badge, dl, tbl, sel, inp, onSubmit, localError } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, fmtDT, fmtNum, today } from '../js/i18n.js';
import { state, tz, heading, flash, go, may, role, count, pct } from '../js/core.js';
import { OPS } from '../js/spec.js';

/** the next statuses the server allows from a status (§16.4) */
const NEXT = { draft: ['open', 'cancelled'], open: ['running', 'cancelled'], running: ['finished', 'cancelled'] };
const SESSION_NEXT = { scheduled: ['held', 'cancelled'] };
const hours = (name) => inp(name, { type: 'number', step: '0.5', min: 0, inputmode: 'decimal' });
const num = (v) => ({ ...v, ...(v.hours_required != null ? { hours_required: Number(v.hours_required) } : {}) });

function programmeForm(p, partners, o) {
  const op = p ? 'programmes.update' : 'programmes.create';
  const pick = sel('partner_id', partners.map((x) => [x.id, x.name]), { value: p?.partner_id ?? '' }, t('no_partner'));
  const hr = hours('hours_required');
  hr.value = p?.hours_required ?? '';
  return formFor(op, [
    [{ name: 'title', label: 'prog_title' }, { name: 'kind', label: 'prog_kind', enum: 'programme_kind' }],
    [{ name: 'starts_on', label: 'starts_on_v' }, { name: 'ends_on', label: 'ends_on_v' }],
    [{ name: 'capacity', label: 'capacity' }, { name: 'planned_sessions', label: 'planned_sessions' }],
    [{ name: 'partner_id', label: 'partner', control: pick }, { name: 'hours_required', label: 'hours_required', control: hr }],
    { name: 'certificate', label: 'certificate' },
    { name: 'description', label: 'description', attrs: { rows: 3 } }], {
    values: p, patch: p, ...o,
    shape: p ? num : (v) => num({ house_id: state.houseId, ...v }),
  });
}

export default async function programmes(box, ctx) {
  if (ctx.name === 'programme') return programmePage(box, ctx);
  if (ctx.name === 'session') return sessionPage(box, ctx);
  const partner = role() === 'partner';
  const [items, partners] = await Promise.all([getAll('/programmes' + qs({ house_id: partner ? null : state.houseId }), 500),
    may('programmes.create') ? getAll('/partners' + qs({ house_id: state.houseId, active: true }), 200) : []]);
  const rows = items.slice().reverse().map((p) => ({ attrs: { 'data-programme': p.id }, cells: [
    h('a', { href: '#/programme/' + p.id }, p.title), en('programme_kind', p.kind), badge(en('programme_status', p.status), p.status),
    fmtD(p.starts_on) + (p.ends_on ? ' – ' + fmtD(p.ends_on) : ''),
    count(p.seats_taken, p) + (p.capacity ? ' / ' + p.capacity : ''), fmtNum(p.sessions_held)] }));
  clear(box, heading(t(partner ? 'partner_home' : 'nav_programmes')),
    partner ? h('p', { class: 'muted' }, t('partner_hint')) : null,
    may('programmes.create') ? fold('prog-new-box', t('prog_new'), programmeForm(null, partners, {
      id: 'prog-new', class: 'bare', submit: t('prog_create'),
      send: (body, key) => api('POST', '/programmes', { body, key }),
      done(p) { flash(t('prog_created')); go('#/programme/' + p.id); },
    })) : null,
    items.length ? tbl([t('prog_title'), t('prog_kind'), t('status'), t('period'), [t('seats'), 'num'], [t('sessions_held'), 'num']], rows, { id: 'programmes' })
      : h('p', { class: 'muted', id: 'programmes' }, t('none')));
}

function sessionRow(s) {
  return { attrs: { 'data-session': s.id, 'data-status': s.status }, cells: [
    h('a', { href: '#/session/' + s.id }, fmtDT(s.scheduled_at, tz())), s.topic, badge(en('session_status', s.status), s.status),
    s.duration_minutes + ' ' + t('minutes'), count(s.headcount, s)] };
}

async function programmePage(box, { args, rerender }) {
  const id = encodeURIComponent(args[0]);
  const house = role() !== 'partner';
  const [p, sessions, enrols, residents, partners] = await Promise.all([get('/programmes/' + id),
    getAll('/sessions' + qs({ programme_id: args[0] }), 500),
    may('enrolments.list') ? getAll('/enrolments' + qs({ programme_id: args[0] }), 1000) : null,
    may('enrolments.create') ? getAll('/residents' + qs({ house_id: state.houseId }), 500) : [],
    may('programmes.update') ? getAll('/partners' + qs({ active: true }), 200) : []]);
  const open = NEXT[p.status];
  const facts = h('div', { class: 'card', id: 'prog-facts' }, dl([
    [t('prog_kind'), en('programme_kind', p.kind)], [t('period'), fmtD(p.starts_on) + (p.ends_on ? ' – ' + fmtD(p.ends_on) : '')],
    [t('capacity'), p.capacity ?? t('no_limit')], [t('seats_taken'), count(p.seats_taken, p)],
    house ? [t('seats_left'), p.seats_left ?? '—'] : null, house ? [t('waitlisted_count'), fmtNum(p.waitlisted_count ?? 0)] : null,
    [t('sessions_held'), fmtNum(p.sessions_held) + (p.planned_sessions ? ' / ' + p.planned_sessions : '')],
    [t('hours_required'), p.hours_required], [t('certificate'), p.certificate ? t('yes') : t('no')], [t('description'), p.description]]));

  const parts = [heading(p.title, badge(en('programme_status', p.status), p.status)), facts];
  if (open && may('programmes.update')) {
    const st = sel('status', open.map((x) => [x, en('programme_status', x)]), {}, t('choose'));
    parts.push(h('div', { class: 'grid2' },
      fold('prog-status-box', t('prog_status_change'), formFor('programmes.update', [{ name: 'status', label: 'status', enum: 'programme_status', control: st }], {
        id: 'prog-status', class: 'bare', submit: t('save'),
        send: (body) => api('PATCH', '/programmes/' + id, { body, ifMatch: p.version }),
        done() { flash(t('saved')); rerender(); },
      })),
      fold('prog-edit-box', t('prog_edit'), programmeForm(p, partners, {
        id: 'prog-edit', class: 'bare',
        send: (body) => (Object.keys(body).length ? api('PATCH', '/programmes/' + id, { body, ifMatch: p.version }) : p),
        done() { flash(t('saved')); rerender(); },
      }))));
  }

  parts.push(h('h2', null, t('sessions')));
  if (open && may('sessions.create')) {
    parts.push(fold('sess-new-box', t('sess_new'), formFor('sessions.create', [
      [{ name: 'scheduled_at', label: 'scheduled_at' }, { name: 'duration_minutes', label: 'duration_minutes', value: 120 }],
      [{ name: 'topic', label: 'topic' }, { name: 'location', label: 'location' }],
      { name: 'facilitator_name', label: 'facilitator_name' }], {
      id: 'sess-new', class: 'bare', submit: t('sess_create'),
      send: (body, key) => api('POST', `/programmes/${id}/sessions`, { body, key }),
      done() { flash(t('sess_created')); rerender(); },
    })));
  }
  parts.push(sessions.length ? tbl([t('scheduled_at'), t('topic'), t('status'), t('duration_minutes'), [t('headcount'), 'num']], sessions.map(sessionRow), { id: 'sessions' })
    : h('p', { class: 'muted', id: 'sessions' }, t('none')));

  if (enrols) {
    parts.push(h('h2', null, t('enrolments')));
    // one enrolment not withdrawn per resident and programme (§16.5: else 409 already_enrolled)
    const taken = new Set(enrols.filter((e) => e.stage !== 'withdrawn').map((e) => e.resident_id));
    const free = residents.filter((r) => !taken.has(r.id));
    if (['open', 'running'].includes(p.status) && may('enrolments.create') && free.length) {
      const pick = sel('resident_id', free.map((r) => [r.id, r.full_name + ' · ' + r.register_number]), {}, t('choose'));
      parts.push(formFor('enrolments.create', [[{ name: 'resident_id', label: 'resident', control: pick },
        { name: 'if_full', label: 'if_full', enum: 'if_full', value: 'waitlist' }]], {
        id: 'enrol', class: 'bare', submit: t('enrol_btn'),
        send: (body, key) => api('POST', `/programmes/${id}/enrolments`, { body, key }),
        done(e) { flash(t(e.stage === 'waitlisted' ? 'enrol_waitlisted' : 'enrol_done')); rerender(); },
      }));
    }
    parts.push(enrols.length ? h('ul', { class: 'list compact', id: 'enrolments' }, enrols.map((e) => enrolment(e, p, rerender)))
      : h('p', { class: 'muted', id: 'enrolments' }, t('none')));
  }
  clear(box, ...parts);
}

/** withdrawal reasons a client may send (the programme_* ones are the daemon's own, §16.5) */
const REASONS = OPS['enrolments.update'].body.withdrawal_reason.values.filter((x) => !x.startsWith('programme_'));

/** one enrolled resident: stage, hours against the requirement, the certificate of a completion,
 *  and the actions its stage allows (withdraw; complete, §16.7) */
function enrolment(e, p, rerender) {
  const a = e.attendance;
  const hrs = a ? t('hours_n', { h: fmtNum(a.hours, 2, 0) + (p.hours_required ? ' / ' + fmtNum(p.hours_required, 2, 0) : '') }) : null;
  return h('li', { 'data-enrolment': e.id, 'data-stage': e.stage },
    h('div', { class: 'row' }, h('a', { class: 'grow', href: '#/resident/' + e.resident_id }, e.full_name),
      badge(en('enrolment_stage', e.stage) + (e.waitlist_position ? ' #' + e.waitlist_position : ''), e.stage)),
    h('p', { class: 'muted' }, [hrs, a?.attendance_rate != null ? t('att_rate', { r: pct(a.attendance_rate) }) : null,
      e.withdrawal_reason ? en('withdrawal_reason', e.withdrawal_reason) : null].filter(Boolean).join(' · ')),
    e.completed_on ? h('p', { class: 'cert' }, t('completed_on_v', { d: fmtD(e.completed_on) }),
      e.certificate_number ? [' · ', h('strong', null, t('cert_no', { n: e.certificate_number })), ' ', t('cert_issued', { d: fmtD(e.certificate_issued_on) })] : null,
      e.override_reason ? h('small', { class: 'hint' }, t('override_reason') + ': ' + e.override_reason) : null) : null,
    ['applied', 'waitlisted', 'enrolled'].includes(e.stage) && may('enrolments.update') ? fold(null, t('withdraw'), formFor('enrolments.update', [
      { name: 'withdrawal_reason', label: 'withdrawal_reason', enum: 'withdrawal_reason', control: sel('withdrawal_reason', REASONS.map((x) => [x, en('withdrawal_reason', x)]), {}, t('choose')) }], {
      class: 'bare', submit: [t('withdraw_btn'), { class: 'danger' }],
      send: (body) => api('PATCH', '/enrolments/' + e.id, { body: { stage: 'withdrawn', ...body }, ifMatch: e.version }),
      done() { flash(t('withdrawn')); rerender(); },
    })) : null,
    ['enrolled', 'not_completed'].includes(e.stage) && p.status !== 'cancelled' && may('enrolments.complete') ? completion(e, p, rerender) : null);
}

/** the completion of an enrolment (§16.7): the date, the certificate's number and date when the
 *  programme awards one (empty: the server numbers it 001, 002, … and dates it the completion
 *  day), and for a manager or admin the reason to complete without the hours (a caseworker
 *  sending one is refused, so the field is not offered) */
function completion(e, p, rerender) {
  const override = ['manager', 'admin'].includes(role());
  return fold(null, t('complete'), formFor('enrolments.complete', [
    { name: 'completed_on', label: 'completed_on', value: today(tz()) },
    p.certificate ? [{ name: 'certificate_number', label: 'certificate_number', hint: t('cert_number_hint') },
      { name: 'certificate_issued_on', label: 'certificate_issued_on', hint: t('cert_issued_hint') }] : null,
    override ? { name: 'override_reason', label: 'override_reason', hint: t('override_hint') } : null], {
    class: 'bare complete', submit: t('complete_btn'),
    fieldFor: { requirements_not_met: override ? 'override_reason' : null, conflict: 'certificate_number' },
    send: (body, key) => api('POST', `/enrolments/${e.id}/complete`, { body, key }),
    done(r) { flash(r.certificate_number ? t('completed_cert', { n: r.certificate_number }) : t('completed')); rerender(); },
  }));
}

async function sessionPage(box, { args, rerender }) {
  const s = await get('/sessions/' + encodeURIComponent(args[0]));
  const p = await get('/programmes/' + s.programme_id);
  const parts = [heading(s.topic, badge(en('session_status', s.status), s.status)),
    h('p', null, h('a', { href: '#/programme/' + p.id }, '← ' + p.title)),
    h('div', { class: 'card', id: 'sess-facts' }, dl([[t('scheduled_at'), fmtDT(s.scheduled_at, tz())], [t('duration_minutes'), s.duration_minutes + ' ' + t('minutes')],
      [t('location'), s.location], [t('facilitator_name'), s.facilitator_name], [t('cancel_reason'), s.cancel_reason],
      [t('headcount'), count(s.headcount, s)],
      s.counts ? [t('counts'), CYCLE.map((k) => en('attendance', k) + ' ' + s.counts[k]).join(' · ')] : null]))];
  const next = SESSION_NEXT[s.status];
  if (next && may('sessions.update')) {
    const st = sel('status', next.map((x) => [x, en('session_status', x)]), {}, t('choose'));
    parts.push(fold('sess-status-box', t('sess_status_change'), formFor('sessions.update', [
      { name: 'status', label: 'status', enum: 'session_status', control: st }, { name: 'cancel_reason', label: 'cancel_reason' }], {
      id: 'sess-status', class: 'bare',
      send: (body) => api('PATCH', '/sessions/' + s.id, { body, ifMatch: s.version }),
      done() { flash(t('saved')); rerender(); },
    })));
  }
  if (role() !== 'partner') parts.push(await sheet(s, p, rerender));
  clear(box, ...parts);
}

/** the statuses a tap cycles through, in this order (an unmarked row starts at present) */
const CYCLE = ['present', 'late', 'excused', 'absent'];

/** the attendance sheet (§16.6): one row per roster enrolment, a tap cycles its status, one PUT
 *  sends the whole sheet with If-Match of the version read. Hours and notes recorded through the
 *  API are kept (hours only while the status is unchanged: a new status takes the server's default). */
async function sheet(s, p, rerender) {
  const a = await get(`/sessions/${s.id}/attendance`);
  const why = s.status === 'cancelled' ? 'att_cancelled' : Date.parse(s.scheduled_at) - Date.now() > 300e3 ? 'att_early'
    : !['open', 'running'].includes(p.status) ? 'att_closed' : !may('attendance.put') ? 'att_read_only' : null;
  const cur = a.records.map((r) => r.status);
  const tally = h('p', { class: 'muted', 'aria-live': 'polite' });
  const bs = a.records.map((r, i) => h('button', { type: 'button', name: `records[${i}].status`, disabled: !!why,
    onclick() { cur[i] = CYCLE[(CYCLE.indexOf(cur[i]) + 1) % 4]; draw(i); } }));
  const rows = a.records.map((r, i) => h('li', { class: 'field', 'data-enrolment': r.enrolment_id },
    h('span', { class: 'who' }, r.full_name, r.note ? h('small', { class: 'hint' }, r.note) : null), bs[i]));
  function draw(i) {
    const b = bs[i];
    b.dispatchEvent(new Event('change', { bubbles: true })); // a marked row's "required" goes (onSubmit)
    b.className = 'st ' + (cur[i] || 'unmarked');
    b.textContent = cur[i] ? en('attendance', cur[i]) : t('att_unmarked');
    b.setAttribute('aria-label', a.records[i].full_name + ': ' + b.textContent);
    rows[i].dataset.status = cur[i] || '';
    tally.textContent = CYCLE.map((x) => en('attendance', x) + ' ' + cur.filter((c) => c === x).length).join(' · ');
  }
  rows.forEach((_, i) => draw(i));
  const head = [h('h2', { id: 'att-title' }, t('attendance_title')),
    a.recorded_at ? h('p', { class: 'muted' }, t('att_recorded', { at: fmtDT(a.recorded_at, tz()) })) : null,
    why ? h('p', { class: 'alert warn' }, t(why)) : null];
  if (!rows.length) return h('section', { id: 'attendance', 'aria-labelledby': 'att-title' }, head, h('p', { class: 'muted' }, t('none')));
  const form = h('form', { id: 'att-form', class: 'bare', novalidate: true },
    why ? null : h('p', null, h('button', { type: 'button', class: 'secondary', id: 'att-all',
      onclick() { cur.fill('present'); rows.forEach((_, i) => draw(i)); } }, t('att_all_present'))),
    h('ol', { class: 'sheet' }, rows), h('div', { class: 'sheet-bar' }, tally, why ? null : h('button', { type: 'submit' }, t('att_save'))));
  if (!why) onSubmit(form, {
    build() {
      const open = cur.map((c, i) => (c ? null : `records[${i}].status`)).filter(Boolean);
      if (open.length) throw localError(open);
      return { records: a.records.map((r, i) => ({ enrolment_id: r.enrolment_id, status: cur[i],
        ...(cur[i] === r.status && Number(r.hours) > 0 ? { hours: r.hours } : {}), ...(r.note ? { note: r.note } : {}) })) };
    },
    // a sheet changed meanwhile (412) is drawn again from the server, with a word why
    send: (body) => api('PUT', `/sessions/${s.id}/attendance`, { body, ifMatch: a.version })
      .catch((e) => { if (e.status === 412) return null; throw e; }),
    done(r) { r ? flash(t('att_saved')) : flash(t('att_reloaded'), 'warn'); rerender(); },
  });
  return h('section', { id: 'attendance', 'aria-labelledby': 'att-title' }, head, form);
}
