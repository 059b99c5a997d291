// Residents of the house: search by name or register number, filter by status; a caseworker can
// narrow it to their own residents (the server's caseworker_id filter); 50 at a time.
import { qs } from '../js/api.js';
import { h, clear, fld, inp, sel, check, badge } from '../js/dom.js';
import { pager } from '../js/list.js';
import { t, en, options } from '../js/i18n.js';
import { state, heading, may, role } from '../js/core.js';

export default async function residents(box, { query }) {
  const q = inp('q', { type: 'search', value: query.q || '', autocomplete: 'off' });
  const st = sel('status', options('rstatus'), { value: query.status || '' }, t('all'));
  const mine = role() === 'caseworker' ? check('mine', t('only_mine'), { checked: query.mine === '1' }) : null;
  const form = h('form', { role: 'search', class: 'inline' }, fld(t('find_resident'), q), fld(t('status'), st), h('button', { type: 'submit' }, t('search')));
  const list = pager({
    empty: t('no_match'),
    row: (r) => h('li', null,
      h('div', { class: 'row' }, h('strong', { class: 'grow' }, h('a', { href: '#/resident/' + r.id }, r.full_name)),
        badge(en('rstatus', r.status), r.status === 'in_residence' ? 'occupied' : r.status === 'new' ? 'free' : '')),
      h('div', { class: 'muted' }, [r.register_number, en('sex', r.sex), en('legal', r.legal_status)].join(' · '))),
  });
  const load = () => list.load('/residents', { house_id: state.houseId, q: q.value.trim(), status: st.value,
    caseworker_id: mine?.querySelector('input').checked ? state.user.id : '' });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    history.replaceState(null, '', '#/residents' + qs({ q: q.value.trim(), status: st.value, mine: mine?.querySelector('input').checked ? '1' : '' }));
    load();
  });
  mine?.querySelector('input').addEventListener('change', () => form.requestSubmit());

  clear(box, heading(t('residents_title'), may('residents.create') ? h('a', { class: 'button', href: '#/resident/new' }, t('new_resident')) : null),
    form, mine, list.el);
  await load();
}
