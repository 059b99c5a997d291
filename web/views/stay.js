// One stay: who, which bed, since when; sign out / back in, transfer, check-out; links to the
// violation form and the exit plan.
import { api, get } from '../js/api.js';
import { h, clear, sel, badge, dl } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, fmtDT } from '../js/i18n.js';
import { tz, heading, loadBoard, loadRooms, loadOut, freeBedGroups, bedName, flash, go, may } from '../js/core.js';
import { signOutForm, returnForm } from './out.js';

export default async function stay(box, { args, rerender }) {
  const id = args[0];
  const s = await get('/stays/' + encodeURIComponent(id));
  const [r, board, rooms, moves] = await Promise.all([get('/residents/' + s.resident_id), loadBoard(), loadRooms(), loadOut()]);
  const bed = board.find((b) => b.id === s.bed_id);
  const away = moves.find((m) => m.stay_id === s.id);
  const active = s.status === 'active';
  const notice = h('div');

  const facts = dl([[t('register_number'), r.register_number], [t('sex'), en('sex', r.sex)],
    [active ? t('current_bed') : t('bed'), bedName(bed)], [t('checked_in_at_v'), fmtDT(s.checked_in_at, tz())],
    [t('planned_exit_on'), fmtD(s.planned_exit_on)],
    !active && [t('checked_out_at_v'), fmtDT(s.checked_out_at, tz())], !active && [t('exit_reason'), en('exit_reason', s.exit_reason)],
    !active && [t('destination'), en('destination', s.destination)], !active && [t('notes'), s.notes]]);
  const links = h('div', { class: 'actions' },
    h('a', { class: 'button secondary small', href: '#/resident/' + r.id }, t('record_link')),
    h('a', { class: 'button secondary small', href: '#/plan/' + s.id }, t('plan_link')),
    active && may('violations.create') ? h('a', { class: 'button secondary small', href: '#/violation?stay=' + s.id }, t('violation_link')) : null);
  const parts = [heading(r.full_name, badge(active ? t('st_active') : t('st_closed'), active ? 'free' : '')), notice, h('div', { class: 'card' }, facts, links)];

  if (active) {
    // sign out / back in
    if (away && may('movements.return')) {
      parts.push(h('div', { class: 'alert ' + (away.overdue ? 'error' : 'warn') },
        h('p', null, t('currently_out', { p: en('purpose', away.purpose) + (away.destination ? ' (' + away.destination + ')' : ''), d: fmtDT(away.expected_back_at, tz()) })),
        h('div', { class: 'actions' }, returnForm(away, r.full_name, rerender))));
    } else if (!away && may('movements.create')) {
      const so = signOutForm(null, {
        id: 'sign-out',
        send: (body, key) => api('POST', `/stays/${s.id}/movements`, { body, key }),
        done() { flash(t('signed_out', { name: r.full_name })); rerender(); },
      });
      parts.push(so);
    }
    // transfer
    const tf = may('stays.transfer') && formFor('stays.transfer', [h('h2', null, t('transfer_title')),
      { name: 'bed_id', label: 'free_bed', control: sel('bed_id', freeBedGroups(board, rooms, r.sex), {}, t('choose')) },
      { name: 'at', label: 'transfer_at' }], {
      id: 'transfer', submit: t('transfer_btn'),
      send: (body, key) => api('POST', `/stays/${s.id}/transfer`, { body, key }),
      done(ns) { flash(t('transferred', { name: r.full_name, bed: bedName(board.find((b) => b.id === ns.bed_id)) })); rerender(); },
      fieldFor: { bed_occupied: 'bed_id', bed_out_of_service: 'bed_id', sex_mismatch: 'bed_id' },
    });
    // check-out
    const co = may('stays.checkout') && formFor('stays.checkout', [h('h2', null, t('checkout_title')),
      [{ name: 'exit_reason', label: 'exit_reason', enum: 'exit_reason' }, { name: 'destination', label: 'destination', enum: 'destination' }],
      { name: 'notes', label: 'notes' }, { name: 'checked_out_at', label: 'checked_out_at' }], {
      id: 'checkout', submit: [t('checkout_btn'), { class: 'danger' }],
      send: (body, key) => api('POST', `/stays/${s.id}/checkout`, { body, key }),
      done() { flash(t('checked_out', { name: r.full_name })); go('#/board'); },
    });
    if (tf || co) parts.push(h('div', { class: 'grid2' }, tf, co));
  }
  clear(box, parts);
  let dirty = false;
  box.addEventListener('input', () => { dirty = true; });
  return {
    onEvent(ev) {
      if (ev.data?.stay_id !== s.id) return;
      if (!dirty) return rerender(); // nothing typed here yet: show the new state at once
      clear(notice, h('div', { class: 'alert warn', role: 'status' }, h('p', null, t('err_changed')),
        h('button', { type: 'button', class: 'secondary small', onclick: rerender }, t('retry'))));
    },
  };
}
