// One referral (rujukan, §17.3): its fields and status; what the role may do with it (accept,
// decline or cancel with a reason, move the expected arrival); the bed held for it, with a form
// to hold a free bed of a room of its sex and, once held, to extend or cancel the hold.
import { api, get } from '../js/api.js';
import { h, clear, sel, badge, dl } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, fmtDT } from '../js/i18n.js';
import { tz, heading, loadBoard, loadRooms, freeBedGroups, bedName, flash, may } from '../js/core.js';
import { STATUS_CLASS } from './referrals.js';
import { holdForm, holdActions } from './hold.js';

export default async function referral(box, { args, rerender }) {
  const r = await get('/referrals/' + encodeURIComponent(args[0]));
  const open = r.status === 'pending' || r.status === 'accepted';
  const [holds, board, rooms] = await Promise.all([get(`/holds?referral_id=${r.id}&status=active`), loadBoard(), loadRooms()]);
  const hold = holds.items[0];
  const facts = dl([[t('register_number'), r.register_number], [t('sex'), en('sex', r.sex)], [t('birth_date'), fmtD(r.birth_date)],
    [t('national_id'), r.national_id], [t('from_institution'), [r.from_institution, r.institution_kind ? ' (' + en('institution_kind', r.institution_kind) + ')' : '']],
    [t('litmas_number'), r.litmas_number], [t('expected_legal_basis'), en('basis_type', r.expected_legal_basis)],
    [t('expected_supervision_ends_on'), fmtD(r.expected_supervision_ends_on)], [t('expected_arrival_on'), fmtD(r.expected_arrival_on)],
    [t('notes'), r.notes], [t('status_reason'), r.status_reason], [t('decided_at'), fmtDT(r.decided_at, tz())],
    [t('arrived_at'), fmtDT(r.arrived_at, tz())],
    r.resident_id && [t('resident'), h('a', { href: '#/resident/' + r.resident_id }, t('record_link'))]]);
  const parts = [heading(r.full_name, badge(en('referral_status', r.status), STATUS_CLASS[r.status] || '')), h('div', { class: 'card' }, facts)];
  const act = (words, op, path, items, submit) => may(op) && formFor(op, items, {
    id: 'ref-' + path, submit,
    send: (body, key) => api('POST', `/referrals/${r.id}/${path}`, { body, key }),
    done() { flash(t(words, { name: r.full_name })); rerender(); },
  });
  if (open) {
    const arrival = may('referrals.update') && formFor('referrals.update', [{ name: 'expected_arrival_on', label: 'expected_arrival_on' }], {
      id: 'ref-arrival', class: 'inline', submit: [t('save'), { class: 'secondary' }], patch: r, values: r,
      send: (body) => api('PATCH', '/referrals/' + r.id, { body, ifMatch: r.version }),
      done() { flash(t('ref_saved', { name: r.full_name })); rerender(); },
    });
    const pending = r.status === 'pending';
    parts.push(h('div', { class: 'grid2' },
      pending && act('ref_accepted', 'referrals.accept', 'accept', [], t('ref_accept_btn')), arrival,
      pending && act('ref_declined', 'referrals.decline', 'decline', [{ name: 'reason', label: 'decline_reason' }], [t('ref_decline_btn'), { class: 'danger' }]),
      act('ref_cancelled', 'referrals.cancel', 'cancel', [{ name: 'reason', label: 'cancel_reason' }], [t('ref_cancel_btn'), { class: 'danger' }])));
  }
  if (hold) {
    const bed = board.find((b) => b.id === hold.bed_id);
    parts.push(h('p', { id: 'ref-hold' }, t('hold_on_bed', { bed: bedName(bed) })), await holdActions(hold.id, rerender));
  } else if (open && may('holds.create')) {
    const beds = sel('bed_id', freeBedGroups(board, rooms, r.sex), {}, t('choose'));
    parts.push(h('div', { class: 'card' }, holdForm(beds, { referral_id: r.id }, rerender)));
  }
  clear(box, parts);
  return { onEvent(ev) { if (/^(referral|hold)\./.test(ev.type) && [ev.data?.referral_id, ev.data?.id].includes(r.id)) rerender(); } };
}
