// The legal basis (dasar hukum, contract §15.2) on the resident page: the current basis with its
// status, dates and days left, the superseded ones newest first, and for caseworkers, managers
// and admins the forms to record a new basis (it supersedes the current one), correct the
// current one (If-Match and a reason) or revoke it. Staff receive only the type, the dates and
// the status: the keys they do not get are absent, and nothing (not even a label) is drawn for them.
import { api, getAll, qs, ApiError } from '../js/api.js';
import { h, fold, badge, dl, values, showError } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, fmtDT, today } from '../js/i18n.js';
import { state, tz, flash, may } from '../js/core.js';

const STATUS_CLASS = { in_force: 'free', ended: '', revoked: 'overdue', superseded: '' };

/** a new basis refused with 409 legal_basis_superseded: what was typed, drawn again (with the
 *  problem) over the reloaded page, so that nothing typed is lost */
let carried = null;

const dayMs = (d) => Date.parse(d + 'T00:00:00Z');

/** the end of supervision with what is left of it: "tinggal 12 hari", "hari terakhir", "berakhir 3 hari lalu" */
function endsText(b) {
  if (!b.supervision_ends_on) return null;
  const n = Math.round((dayMs(b.supervision_ends_on) - dayMs(today(tz()))) / 864e5);
  let left = null;
  if (b.status === 'in_force') left = n > 0 ? t('days_left', { n }) : t('last_day');
  else if (b.status === 'ended') left = t('ended_ago', { n: -n });
  return [fmtD(b.supervision_ends_on), left ? h('span', { class: 'muted' }, ' (' + left + ')') : null];
}

const guarantorText = (g) => (g ? [g.name, g.relation, g.phone].filter(Boolean).join(' · ') : g);

function caseworkerText(id) {
  if (!id) return null;
  return id === state.user?.id ? t('caseworker_you', { name: state.user.full_name || state.user.username }) : t('caseworker_other');
}

/** the badges of a basis: its status, and whether supervision runs */
const badges = (b) => [badge(en('basis_status', b.status), STATUS_CLASS[b.status] || ''),
  b.under_supervision ? badge(t('under_supervision'), 'occupied') : null];

/** the current basis: every key the role receives; a key that is absent draws no row */
function currentCard(b) {
  const facts = dl([[t('starts_on'), fmtD(b.starts_on)],
    [t('supervision_ends_on'), endsText(b)],
    [t('decree_number'), b.decree_number], [t('decree_date'), fmtD(b.decree_date)], [t('issuing_authority'), b.issuing_authority],
    [t('guarantor'), guarantorText(b.guarantor)], [t('litmas_number'), b.litmas_number], [t('caseworker'), caseworkerText(b.caseworker_id)],
    [t('revoked_on'), fmtD(b.revoked_on)], [t('revocation_decree_number'), b.revocation_decree_number],
    [t('revocation_reason'), b.revocation_reason], [t('notes'), b.notes], [t('last_correction'), b.correction_reason]]);
  return h('div', { class: 'card', id: 'legal-current', 'data-basis': b.id },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, en('basis_type', b.type)), badges(b)), facts);
}

/** a superseded basis in one or two lines */
function historyItem(b) {
  const dates = fmtD(b.starts_on) + ' – ' + (b.supervision_ends_on ? fmtD(b.supervision_ends_on) : '…');
  const more = [b.decree_number, b.revoked_on ? t('revoked_on') + ' ' + fmtD(b.revoked_on) : null,
    b.superseded_at ? t('superseded_at') + ' ' + fmtDT(b.superseded_at, tz()) : null].filter(Boolean).join(' · ');
  return h('li', { 'data-basis': b.id }, h('div', { class: 'row' }, h('strong', { class: 'grow' }, en('basis_type', b.type)), badges(b)),
    h('p', { class: 'muted' }, dates, more ? h('br') : null, more || null));
}

/** a guarantor left empty is none (null in a correction); empty members are left out */
function guarantor(v, nulls) {
  if (!v.guarantor) return v;
  const g = Object.fromEntries(Object.entries(v.guarantor).filter(([, x]) => x != null && x !== ''));
  if (Object.keys(g).length) v.guarantor = g;
  else if (nulls) v.guarantor = null;
  else delete v.guarantor;
  return v;
}

/** the form of a new basis (b null) or of a correction of b (only changed fields, a reason) */
function basisForm(b, o) {
  const reason = b && { name: 'correction_reason', label: 'correction_reason', required: true, attrs: { rows: 2 } };
  return formFor(b ? 'legal_bases.correct' : 'legal_bases.create', [
    h('p', { class: 'hint' }, t(b ? 'basis_correct_hint' : 'basis_new_hint')),
    [{ name: 'type', label: 'basis_type', enum: 'basis_type', required: true }, { name: 'starts_on', label: 'starts_on', required: true }],
    [{ name: 'supervision_ends_on', label: 'supervision_ends_on', hint: t('ends_hint') }, { name: 'decree_number', label: 'decree_number', hint: t('decree_hint') }],
    [{ name: 'decree_date', label: 'decree_date' }, { name: 'issuing_authority', label: 'issuing_authority' }],
    { box: h('fieldset', { class: 'group' }, h('legend', null, t('guarantor'))), items: [
      [{ name: 'guarantor.name', label: 'guarantor_name', required: false }, { name: 'guarantor.relation', label: 'guarantor_relation' }],
      [{ name: 'guarantor.phone', label: 'guarantor_phone', as: 'tel' }]] },
    { name: 'litmas_number', label: 'litmas_number' },
    { name: 'notes', label: 'notes', attrs: { rows: 3 } },
    reason,
  ], o);
}

/** a form behind a disclosure, so that the page stays short */

/** legalPanel(resident id, rerender) → { el: the panel's <section>, current: the current basis or null,
 *  drawn(): to be called once el is in the page } */
export async function legalPanel(rid, rerender) {
  const all = await getAll('/legal-bases' + qs({ resident_id: rid }), 200);
  const cur = all.find((b) => b.current) || null;
  const history = all.filter((b) => !b.current).reverse();
  let drawn = () => {};
  const parts = [h('h2', { id: 'legal-title' }, t('legal_title')), cur ? currentCard(cur) : h('p', { class: 'muted', id: 'legal-none' }, t('no_basis'))];

  if (may('legal_bases.create')) {
    const carry = carried?.resident === rid ? carried : null;
    carried = null;
    const nf = basisForm(null, {
      id: 'legal-new', class: 'bare', values: carry?.values, submit: t('basis_record_btn'),
      // the optimistic lock of the history: the basis this page shows as current
      shape: (v) => ({ ...guarantor(v, false), supersedes_id: cur?.id }),
      async send(body, key) {
        try {
          return await api('POST', `/residents/${rid}/legal-bases`, { body, key });
        } catch (err) {
          if (err instanceof ApiError && err.code === 'legal_basis_superseded') {
            err.detail = t('basis_superseded_reloaded');
            carried = { resident: rid, values: values(nf, tz()), err };
            rerender();
          }
          throw err;
        }
      },
      done() { flash(t('basis_recorded')); rerender(); },
    });
    parts.push(fold('legal-new-box', t('basis_new'), nf, carry));
    // once the page is drawn: the problem on the form, focused
    if (carry) drawn = () => showError(nf, carry.err);
  }
  if (cur && may('legal_bases.correct')) {
    parts.push(fold('legal-correct-box', t('basis_correct'), basisForm(cur, {
      id: 'legal-correct', class: 'bare', values: { ...cur, correction_reason: null }, submit: t('basis_correct_btn'),
      // every correction sends its reason, even one the same as the last
      patch: { ...cur, correction_reason: undefined },
      shape: (v) => guarantor(v, true),
      send: (body) => api('PATCH', '/legal-bases/' + cur.id, { body, ifMatch: cur.version }),
      done() { flash(t('basis_corrected')); rerender(); },
    })));
  }
  if (cur && !cur.revoked_on && cur.type !== 'released' && may('legal_bases.revoke')) {
    parts.push(fold('legal-revoke-box', t('basis_revoke'), formFor('legal_bases.revoke', [
      [{ name: 'revoked_on', label: 'revoked_on', value: today(tz()) }, { name: 'decree_number', label: 'revocation_decree_number' }],
      { name: 'reason', label: 'revocation_reason', attrs: { rows: 2 } },
    ], {
      id: 'legal-revoke', class: 'bare', submit: [t('revoke_btn'), { class: 'danger' }],
      send: (body, key) => api('POST', `/legal-bases/${cur.id}/revoke`, { body, key, ifMatch: cur.version }),
      done() { flash(t('basis_revoked')); rerender(); },
    })));
  }

  parts.push(h('h3', null, t('basis_history')), history.length
    ? h('ul', { class: 'list compact', id: 'legal-history' }, history.map(historyItem))
    : h('p', { class: 'muted' }, t('none')));
  return { el: h('section', { id: 'legal', 'aria-labelledby': 'legal-title' }, parts), current: cur, drawn };
}
