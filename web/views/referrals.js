// Referrals (rujukan, §17.3) of the house: search by name, register or (not for staff) Litmas
// number, filter by status; each with its institution, expected arrival and, once accepted,
// its resident (on its page, referral.js). 50 at a time. Caseworkers, managers and admins
// register a new one here.
import { api, qs } from '../js/api.js';
import { h, clear, fld, inp, sel, badge, fold } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { pager } from '../js/list.js';
import { t, en, options, fmtD } from '../js/i18n.js';
import { state, heading, may, flash, go } from '../js/core.js';

export const STATUS_CLASS = { pending: 'out', accepted: 'free', arrived: 'occupied' };

export default async function referrals(box, { query }) {
  const q = inp('q', { type: 'search', value: query.q || '', autocomplete: 'off' });
  const st = sel('status', options('referral_status'), { value: query.status || '' }, t('all'));
  const form = h('form', { role: 'search', class: 'inline' }, fld(t('find_referral'), q), fld(t('status'), st), h('button', { type: 'submit' }, t('search')));
  const list = pager({
    empty: t('no_referral_match'),
    row: (r) => h('li', { 'data-referral': r.id },
      h('div', { class: 'row' },
        h('strong', { class: 'grow' }, h('a', { href: '#/referral/' + r.id }, r.full_name)),
        badge(en('referral_status', r.status), STATUS_CLASS[r.status] || '')),
      h('div', { class: 'muted' }, [r.register_number, en('sex', r.sex), r.from_institution, en('institution_kind', r.institution_kind),
        en('basis_type', r.expected_legal_basis), t('referral_expected', { d: fmtD(r.expected_arrival_on) })].filter(Boolean).join(' · ')),
      r.status_reason ? h('div', { class: 'muted' }, r.status_reason) : null),
  });
  const load = () => list.load('/referrals', { house_id: state.houseId, q: q.value.trim(), status: st.value });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    history.replaceState(null, '', '#/referrals' + qs({ q: q.value.trim(), status: st.value }));
    load();
  });
  const add = may('referrals.create') && fold('ref-new', t('referral_new'), formFor('referrals.create', [
    [{ name: 'full_name', label: 'full_name' }, { name: 'register_number', label: 'register_number' }],
    [{ name: 'sex', label: 'sex', enum: 'sex' }, { name: 'birth_date', label: 'birth_date' }],
    [{ name: 'from_institution', label: 'from_institution' }, { name: 'institution_kind', label: 'institution_kind', enum: 'institution_kind' }],
    [{ name: 'expected_legal_basis', label: 'expected_legal_basis', enum: 'basis_type' }, { name: 'expected_arrival_on', label: 'expected_arrival_on' }],
    [{ name: 'expected_supervision_ends_on', label: 'expected_supervision_ends_on' }, { name: 'litmas_number', label: 'litmas_number' }],
    { name: 'national_id', label: 'national_id' }, { name: 'notes', label: 'notes' }], {
    submit: t('referral_new'), shape: (v) => ({ ...v, house_id: state.houseId }),
    send: (body, key) => api('POST', '/referrals', { body, key }),
    done(r) { flash(t('ref_created', { name: r.full_name })); go('#/referral/' + r.id); },
  }));
  clear(box, heading(t('nav_referrals')), add, form, list.el);
  await load();
}
