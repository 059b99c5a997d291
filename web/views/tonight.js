// Tonight (§17.9): the house's night at a glance, the evening shift's first screen — who is in and
// out (overdue first, as the server orders them by expected return), who arrives on a held bed,
// who is planned to leave today or should have left, the critical alerts, the roll-call, and the
// handover notes of the last 24 hours with the form to write one. A new note joins the list as
// soon as it is saved; live events redraw the rest, never the form being written.
import { api, get, getAll, qs } from '../js/api.js';
import { h, clear, check, badge } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, enumValues, fmtD, fmtDT, fmtDuration } from '../js/i18n.js';
import { state, tz, heading, loadBoard, bedName, flash, houseHour } from '../js/core.js';
import { alertItem } from './alerts.js';

/** the shift a note written now most likely belongs to, by the house's clock */
function likelyShift() {
  const hour = houseHour();
  return hour >= 7 && hour < 14 ? 'morning' : hour >= 14 && hour < 21 ? 'afternoon' : 'night';
}

const section = (id, title, n, items, empty = t('none')) =>
  h('section', { class: 'card', id }, h('h2', null, title, n ? h('span', { class: 'muted' }, ' (' + n + ')') : null),
    items.length ? h('ul', { class: 'list compact' }, items) : h('p', { class: 'muted' }, empty));

function noteItem(n) {
  return h('li', { 'data-id': n.id },
    h('div', { class: 'row' }, badge(en('shift', n.shift)), h('strong', { class: 'grow' }, fmtDT(n.created_at, tz())), h('span', { class: 'muted' }, n.author_name)),
    n.flags.length ? h('p', null, n.flags.map((f) => badge(en('handover_flag', f), f === 'incident' || f === 'security' ? 'overdue' : 'out'))) : null,
    h('p', { class: 'note-text' }, n.note));
}

function noteForm(list) {
  const flags = enumValues('handover_flag').map((f) => check('flags', en('handover_flag', f), { value: f, 'data-skip': '' }));
  const f = formFor('handover_notes.create', [h('h3', null, t('hn_write')),
    { name: 'shift', label: 'hn_shift', enum: 'shift', value: likelyShift() },
    { name: 'note', label: 'hn_note', attrs: { rows: 4 } },
    { box: h('fieldset', { class: 'flags' }, h('legend', null, t('hn_flags'))), items: [...flags, { name: 'flags', label: 'hn_flags', enum: 'handover_flag', own: true }] },
  ], {
    id: 'hn-form', submit: t('hn_save'),
    shape: (v) => ({ ...v, flags: [...f.querySelectorAll('input[name=flags]:checked')].map((x) => x.value) }),
    send: (body, key) => api('POST', `/houses/${state.houseId}/handover-notes`, { body, key }),
    done(n) {
      list.querySelector(':scope > p.muted')?.remove();
      (list.querySelector('ul') || list.appendChild(h('ul', { class: 'list compact' }))).prepend(noteItem(n));
      f.elements.note.value = '';
      f.querySelectorAll('input[name=flags]').forEach((x) => { x.checked = false; });
      flash(t('hn_saved'));
    },
  });
  return f;
}

export default async function tonight(box) {
  const parts = h('div');
  const notes = h('div', { id: 'hn-list' }), alerts = h('section', { id: 'tn-alerts' });
  const form = noteForm(notes);
  async function reload() {
    const [n, board, stays] = await Promise.all([get(`/houses/${state.houseId}/tonight`), loadBoard(),
      getAll('/stays' + qs({ house_id: state.houseId, status: 'active' }), 5000)]);
    if (!box.isConnected) return;
    const bedOf = new Map(board.filter((b) => b.occupant).map((b) => [b.occupant.stay_id, b]));
    const names = new Map(board.filter((b) => b.occupant).map((b) => [b.occupant.resident_id, b.occupant.full_name]));
    const c = n.counts, now = Date.now();
    const count = (k, v, label) => h('li', { class: k }, h('b', null, v), label);
    const rc = n.open_roll_call;
    const leaving = stays.filter((s) => s.planned_exit_on && s.planned_exit_on <= n.date && bedOf.has(s.id))
      .sort((a, b) => a.planned_exit_on.localeCompare(b.planned_exit_on));
    box.querySelector('#tn-date').textContent = fmtD(n.date) + (n.curfew ? ' · ' + t('tn_curfew', { at: n.curfew }) : '');
    clear(parts,
      h('ul', { class: 'counts', id: 'tn-counts' }, count('occupied', c.in_house, t('tn_in_house')), count('out', c.out, t('tn_out')),
        count(c.overdue ? 'overdue' : '', c.overdue, t('tn_overdue')), count('held', c.arriving_today, t('tn_arriving')),
        count('free', c.beds_free, t('tn_free')), count('held', c.beds_held, t('tn_held'))),
      h('p', { id: 'tn-rc' }, h('a', { href: '#/rollcall' }, rc ? t('tn_rc_open', { kind: en('roll_call_kind', rc.kind), at: fmtDT(rc.at, tz()) })
        : n.last_roll_call ? t('rc_last', { kind: en('roll_call_kind', n.last_roll_call.kind), at: fmtDT(n.last_roll_call.closed_at, tz()) }) : t('rc_none_open'))),
      h('div', { class: 'tonight' },
        section('tn-out', t('tn_out_title'), n.out.length, n.out.map((m) => h('li', { class: m.overdue ? 'overdue' : null, 'data-stay': m.stay_id },
          h('div', { class: 'row' }, h('a', { class: 'grow', href: '#/stay/' + m.stay_id }, m.full_name),
            m.overdue ? badge(t('overdue_by', { d: fmtDuration(now - Date.parse(m.expected_back_at)) }), 'overdue') : null),
          h('p', null, en('purpose', m.purpose) + ' · ' + t('expected_back') + ' ' + fmtDT(m.expected_back_at, tz())))), t('nobody_out')),
        section('tn-arrivals', t('tn_arrivals'), n.arrivals.length, n.arrivals.map((a) => h('li', { 'data-hold': a.hold_id },
          h('div', { class: 'row' }, h('strong', { class: 'grow' }, a.full_name), a.referral_id ? badge(t('nav_referrals')) : null),
          h('p', null, a.room_code + ' · ' + a.bed_label + ' · ' + t('tn_held_until', { at: fmtDT(a.until, tz()) }))))),
        section('tn-leaving', t('tn_leaving'), leaving.length, leaving.map((s) => h('li', { 'data-stay': s.id },
          h('div', { class: 'row' }, h('a', { class: 'grow', href: '#/stay/' + s.id }, bedOf.get(s.id).occupant.full_name),
            s.planned_exit_on < n.date ? badge(t('tn_exit_passed'), 'overdue') : null),
          h('p', null, bedName(bedOf.get(s.id)) + ' · ' + t('planned_exit_on') + ' ' + fmtD(s.planned_exit_on)))))));
    clear(alerts, h('h2', null, t('tn_alerts')),
      n.alerts.length ? h('ul', { class: 'list' }, n.alerts.map((a) => alertItem(a, names, reload))) : h('p', { class: 'muted' }, t('none')));
    clear(notes, n.handover_notes.length ? h('ul', { class: 'list compact' }, n.handover_notes.map(noteItem)) : h('p', { class: 'muted' }, t('hn_none')));
  }
  // the last shift's notes are read first, then the form for this one's
  clear(box, heading(t('nav_tonight'), h('span', { class: 'muted', id: 'tn-date' })), parts,
    h('div', { class: 'tonight-2' }, h('section', { id: 'tn-notes' }, h('h2', null, t('tn_notes')), notes, form), alerts));
  await reload();
  // time moves people into overdue: read again every minute and on the house's changes (but
  // never while an alert's acknowledgement is open under the user's hand)
  const calm = () => !alerts.querySelector('details[open]');
  const timer = setInterval(() => { if (!box.isConnected) clearInterval(timer); else if (calm()) reload().catch(() => {}); }, 60000);
  let soon = null;
  return {
    onEvent(ev) {
      if (ev.type !== 'open' && !/^(stay|movement|hold|roll_call|handover_note|bed|referral)\./.test(ev.type)) return;
      clearTimeout(soon);
      soon = setTimeout(() => { if (box.isConnected && calm()) reload().catch(() => {}); }, 500);
    },
  };
}
