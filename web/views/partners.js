// Partners (§16.2) of the house, with their agreement's status; a new partner (managers: of
// their own houses; it works with the house chosen in the header) and, for admins, a partner's user (§16.3: role partner, no house).
import { api, getAll, qs } from '../js/api.js';
import { h, fold, clear, badge, tbl } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD } from '../js/i18n.js';
import { state, heading, flash, may } from '../js/core.js';


function userForm(p, rerender) {
  return fold(null, t('partner_user_new'), formFor('users.create', [
    [{ name: 'username', label: 'username', attrs: { autocomplete: 'off' } }, { name: 'password', label: 'password', attrs: { autocomplete: 'new-password' } }],
    { name: 'full_name', label: 'full_name' }], {
    class: 'bare', submit: t('partner_user_create'), shape: (v) => ({ ...v, role: 'partner', partner_id: p.id }),
    send: (body, key) => api('POST', '/users', { body, key }),
    done(u) { flash(t('partner_user_created', { name: u.username })); rerender(); },
  }));
}

export default async function partners(box, { rerender }) {
  const items = await getAll('/partners' + qs({ house_id: state.houseId }), 500);
  const rows = items.map((p) => ({ attrs: { 'data-partner': p.id }, cells: [
    h('strong', null, p.name), en('partner_kind', p.kind), (p.agreement?.number || '') + (p.agreement?.valid_until ? ' · ' + fmtD(p.agreement.valid_until) : ''),
    badge(en('agreement_status', p.agreement_status), p.agreement_status === 'expired' ? 'overdue' : p.agreement_status === 'expiring' ? 'out' : ''),
    p.active ? t('yes') : t('no'), p.active && may('users.create') ? userForm(p, rerender) : ''] }));
  clear(box, heading(t('nav_partners')),
    may('partners.create') ? fold('partner-new-box', t('partner_new'), formFor('partners.create', [
      [{ name: 'name', label: 'partner_name' }, { name: 'kind', label: 'partner_kind', enum: 'partner_kind' }],
      [{ name: 'agreement.number', label: 'agreement_number' }, { name: 'agreement.signed_on', label: 'agreement_signed_on' }],
      [{ name: 'agreement.valid_until', label: 'agreement_valid_until' }, { name: 'contact.name', label: 'contact_name' }],
      [{ name: 'contact.phone', label: 'phone', as: 'tel' }, { name: 'contact.email', label: 'email', as: 'email' }]], {
      id: 'partner-new', class: 'bare', submit: t('partner_create'), shape: (v) => ({ ...v, house_ids: [state.houseId] }),
      send: (body, key) => api('POST', '/partners', { body, key }),
      done() { flash(t('partner_created')); rerender(); },
    })) : null,
    items.length ? tbl([t('partner_name'), t('partner_kind'), t('agreement_number'), t('agreement_status'), t('active'), ''], rows, { id: 'partners' })
      : h('p', { class: 'muted', id: 'partners' }, t('none')));
}
