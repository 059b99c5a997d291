// A resident's consents (persetujuan, contract §18.2) on the resident page, for caseworkers,
// managers and admins: each with its purpose, who may receive it, what it covers, its dates and
// its status as the server computes it now, a withdrawal form on the active and expired ones,
// and the form to record a new one (its proof and the notice given, Art. 21-24). A consent is
// never edited: a mistake is withdrawn and recorded anew.
import { api, getAll, qs } from '../js/api.js';
import { h, fold, badge, check, sel } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, enumValues, fmtD, fmtDT, today } from '../js/i18n.js';
import { state, tz, flash, may } from '../js/core.js';

const STATUS_CLASS = { active: 'free', expired: '', withdrawn: 'overdue' };

function withdrawForm(c, rerender) {
  return fold('consent-withdraw-' + c.id, t('consent_withdraw'), formFor('consents.withdraw', [
    { name: 'reason', label: 'consent_withdraw_reason', attrs: { rows: 2 } },
  ], {
    class: 'bare', submit: [t('consent_withdraw_btn'), { class: 'danger' }],
    send: (body, key) => api('POST', `/consents/${c.id}/withdraw`, { body, key, ifMatch: c.version }),
    done() { flash(t('consent_withdrawn')); rerender(); },
  }));
}

function consentItem(c, partners, rerender) {
  const who = c.partner_id ? partners.get(c.partner_id) || t('partner') : c.recipient;
  return h('li', { 'data-id': c.id, 'data-status': c.status },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, en('consent_purpose', c.purpose)),
      badge(en('consent_status', c.status), STATUS_CLASS[c.status])),
    h('p', null, [who, c.purpose_detail].filter(Boolean).join(' · ') || null),
    h('p', null, c.scope.map((s) => badge(en('consent_scope', s), 'out'))),
    h('p', { class: 'muted' }, fmtD(c.given_on) + ' – ' + fmtD(c.expires_on),
      c.withdrawn_at ? ' · ' + t('consent_withdrawn_at') + ' ' + fmtDT(c.withdrawn_at, tz()) : null),
    c.withdrawal_reason ? h('p', { class: 'muted' }, c.withdrawal_reason) : null,
    c.status !== 'withdrawn' && may('consents.withdraw') ? withdrawForm(c, rerender) : null);
}

function newForm(id, partners, rerender) {
  const scopes = enumValues('consent_scope').map((s) => check('scope', en('consent_scope', s), { value: s, 'data-skip': '' }));
  const partnerSel = sel('partner_id', [...partners].map(([pid, name]) => [pid, name]), {}, t('choose'));
  const f = formFor('consents.create', [
    [{ name: 'purpose', label: 'consent_purpose_label', enum: 'consent_purpose' },
      { name: 'partner_id', label: 'partner', control: partnerSel, required: false }],
    [{ name: 'recipient', label: 'consent_recipient' }, { name: 'purpose_detail', label: 'consent_detail', as: 'line' }],
    { box: h('fieldset', { class: 'flags' }, h('legend', null, t('consent_scope_label'))), items: [...scopes, { name: 'scope', label: 'consent_scope_label', enum: 'consent_scope', own: true, required: false }] },
    [{ name: 'given_on', label: 'consent_given_on', value: today(tz()) }, { name: 'expires_on', label: 'consent_expires_on', required: false, hint: t('consent_expires_hint') }],
    [{ name: 'proof.form', label: 'consent_proof_form', enum: 'consent_proof' }, { name: 'proof.document_ref', label: 'consent_document_ref' }],
    { name: 'proof.witness_name', label: 'consent_witness' },
    { name: 'notice_given', label: 'consent_notice' },
  ], {
    id: 'consent-form', class: 'bare', submit: t('consent_record'),
    shape: (v) => ({ ...v, scope: [...f.querySelectorAll('input[name=scope]:checked')].map((x) => x.value) }),
    send: (body, key) => api('POST', `/residents/${id}/consents`, { body, key }),
    done() { flash(t('consent_recorded')); rerender(); },
  });
  return fold('consent-new-box', t('consent_new'), f);
}

/** the panel, or null for a role that may not read consents */
export async function consentPanel(id, rerender) {
  if (!may('consents.list_resident')) return null;
  const [items, partnerList] = await Promise.all([getAll(`/residents/${id}/consents`, 200),
    getAll('/partners' + qs({ house_id: state.houseId }), 200)]);
  const partners = new Map(partnerList.map((p) => [p.id, p.name]));
  return h('section', { id: 'consents', 'aria-labelledby': 'consents-title' },
    h('h2', { id: 'consents-title' }, t('consents')),
    items.length ? h('ul', { class: 'list compact', id: 'consent-list' }, items.slice().reverse().map((c) => consentItem(c, partners, rerender)))
      : h('p', { class: 'muted' }, t('none')),
    may('consents.create') ? newForm(id, partners, rerender) : null);
}
