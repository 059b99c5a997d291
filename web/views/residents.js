// Residents of the house: search by name or register number, filter by status; a caseworker can
// narrow it to their own residents.
import { get, qs } from '../js/api.js';
import { h, clear, fld, inp, sel, check, badge, failBox } from '../js/dom.js';
import { t, en, options } from '../js/i18n.js';
import { state, heading, may, role } from '../js/core.js';

export default async function residents(box, { query }) {
  const q = inp('q', { type: 'search', value: query.q || '', autocomplete: 'off' });
  const st = sel('status', options('rstatus'), { value: query.status || '' }, t('all'));
  const mine = role() === 'caseworker' ? check('mine', t('only_mine'), { checked: query.mine === '1' }) : null;
  const form = h('form', { role: 'search', class: 'inline' }, fld(t('find_resident'), q), fld(t('status'), st), h('button', { type: 'submit' }, t('search')));
  const out = h('div');
  const more = h('div', { class: 'actions' });
  let cursor = null, items = [];
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    history.replaceState(null, '', '#/residents' + qs({ q: q.value.trim(), status: st.value, mine: mine?.querySelector('input').checked ? '1' : '' }));
    load(true);
  });
  mine?.querySelector('input').addEventListener('change', () => form.requestSubmit());

  async function load(fresh) {
    if (fresh) { cursor = null; items = []; }
    try {
      const page = await get('/residents' + qs({ house_id: state.houseId, q: q.value.trim(), status: st.value, cursor, limit: 50 }));
      items.push(...page.items);
      cursor = page.next_cursor;
    } catch (err) {
      clear(out, failBox(err, () => load(fresh)));
      return;
    }
    const onlyMine = mine?.querySelector('input').checked;
    const shown = onlyMine ? items.filter((r) => r.caseworker_id === state.user.id) : items;
    clear(out, shown.length ? h('ul', { class: 'list' }, shown.map((r) => h('li', null,
      h('div', { class: 'row' }, h('strong', { class: 'grow' }, h('a', { href: '#/resident/' + r.id }, r.full_name)),
        badge(en('rstatus', r.status), r.status === 'in_residence' ? 'occupied' : r.status === 'new' ? 'free' : '')),
      h('div', { class: 'muted' }, [r.register_number, en('sex', r.sex), en('legal', r.legal_status)].join(' · '))))) : h('p', { class: 'muted' }, t('no_match')));
    clear(more, cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => load(false) }, t('more')) : null);
  }
  clear(box, heading(t('residents_title'), may('residents.create') ? h('a', { class: 'button', href: '#/resident/new' }, t('new_resident')) : null),
    form, mine, out, more);
  await load(true);
}
