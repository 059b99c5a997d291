// Referrals (rujukan, §17.3) of the house: search by name, register or (not for staff) Litmas
// number, filter by status; each with its institution, expected arrival and, once accepted,
// its resident. 50 at a time.
import { qs } from '../js/api.js';
import { h, clear, fld, inp, sel, badge } from '../js/dom.js';
import { pager } from '../js/list.js';
import { t, en, options, fmtD } from '../js/i18n.js';
import { state, heading } from '../js/core.js';

const STATUS_CLASS = { pending: 'out', accepted: 'free', arrived: 'occupied' };

export default async function referrals(box, { query }) {
  const q = inp('q', { type: 'search', value: query.q || '', autocomplete: 'off' });
  const st = sel('status', options('referral_status'), { value: query.status || '' }, t('all'));
  const form = h('form', { role: 'search', class: 'inline' }, fld(t('find_referral'), q), fld(t('status'), st), h('button', { type: 'submit' }, t('search')));
  const list = pager({
    empty: t('no_referral_match'),
    row: (r) => h('li', { 'data-referral': r.id },
      h('div', { class: 'row' },
        h('strong', { class: 'grow' }, r.resident_id ? h('a', { href: '#/resident/' + r.resident_id }, r.full_name) : r.full_name),
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
  clear(box, heading(t('nav_referrals')), form, list.el);
  await load();
}
