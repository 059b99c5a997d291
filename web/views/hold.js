// A bed hold (pemesanan, contract §17.4) in the forms the bed board and the referral page share:
// place one (a bed, a person, until when), and for an active one extend it or cancel it.
import { api, get, getAll } from '../js/api.js';
import { h } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, fmtDT } from '../js/i18n.js';
import { state, tz, flash } from '../js/core.js';

/** the people a bed may be held for: open referrals and residents not yet checked in, as
 *  <optgroup>s whose values are "referral_id:…" / "resident_id:…" */
export async function holdPeople() {
  const [refs, res] = await Promise.all([
    getAll(`/referrals?house_id=${state.houseId}`, 400),
    getAll(`/residents?house_id=${state.houseId}&status=new`, 400)]);
  const open = refs.filter((r) => r.status === 'pending' || (r.status === 'accepted' && !res.some((x) => x.id === r.resident_id)));
  return [{ group: t('nav_referrals'), items: open.map((r) => ['referral_id:' + r.id, r.full_name + ' · ' + r.from_institution]) },
    { group: t('residents_waiting'), items: res.map((r) => ['resident_id:' + r.id, r.full_name + ' · ' + r.register_number]) }]
    .filter((g) => g.items.length);
}

/** the form that holds a bed: bed is { id, name } (one bed) or a <select name=bed_id> of beds;
 *  person is { referral_id } / { resident_id } or a <select name=person> of holdPeople() */
export function holdForm(bed, person, done) {
  const pick = person instanceof Node;
  return formFor('holds.create', [h('h2', null, t('hold_title') + (bed.name ? ' ' + bed.name : '')),
    bed instanceof Node ? { path: 'bed_id', label: 'bed', control: bed } : null,
    pick ? { name: 'referral_id', label: 'hold_for', required: true, control: person } : null,
    { name: 'until', label: 'hold_until' }, { name: 'reason', label: 'hold_reason' }], {
    id: 'hold-new', submit: t('hold_btn'),
    shape(v) {
      if (!pick) return { ...v, ...person };
      const [k, id] = (v.referral_id || ':').split(':');
      const { referral_id, ...rest } = v;
      return { ...rest, [k]: id };
    },
    send: (body, key, path) => api('POST', `/beds/${path.bed_id || bed.id}/holds`, { body, key }),
    done(x) { flash(t('held_done', { name: x.full_name, d: fmtDT(x.until, tz()) })); done(x); },
    fieldFor: { bed_held: 'bed_id', bed_occupied: 'bed_id', bed_turnover: 'bed_id', sex_mismatch: 'bed_id', already_held: 'referral_id' },
  });
}

/** an active hold: its person and end, a form to move the end, one to cancel it */
export async function holdActions(holdId, done) {
  const x = await get('/holds/' + holdId);
  const extend = formFor('holds.update', [{ name: 'until', label: 'hold_until', required: true, value: x.until }], {
    id: 'hold-extend', class: 'inline', submit: [t('hold_extend_btn'), { class: 'secondary' }], patch: x,
    send: (body) => api('PATCH', '/holds/' + x.id, { body, ifMatch: x.version }),
    done(n) { flash(t('hold_extended', { name: n.full_name, d: fmtDT(n.until, tz()) })); done(n); },
  });
  const cancel = formFor('holds.cancel', [{ name: 'reason', label: 'cancel_reason' }], {
    id: 'hold-cancel', submit: [t('hold_cancel_btn'), { class: 'danger' }],
    send: (body, key) => api('POST', `/holds/${x.id}/cancel`, { body, key }),
    done(n) { flash(t('hold_cancelled', { name: n.full_name })); done(n); },
  });
  return h('div', { class: 'card', id: 'hold-card', 'data-hold': x.id },
    h('h2', null, t('hold_of', { name: x.full_name })), h('p', null, t('held_until', { d: fmtDT(x.until, tz()) })), extend, cancel);
}
