// Post-exit follow-ups (pendampingan lanjutan, contract §18.8), for caseworkers, managers and
// admins: the house's follow-ups, the pending ones first by due date (an overdue one marked), with
// the form of a result — how and when the former resident was contacted, or that they could not
// be reached, and then the five outcomes each answered yes or no (never a box left unticked read
// as "no") — and the cancel form with its reason. A result recorded is corrected the same way.
import { api, qs } from '../js/api.js';
import { h, clear, fld, sel, check, badge, fold, localError } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { pager } from '../js/list.js';
import { t, en, options, fmtD, fmtDT } from '../js/i18n.js';
import { state, tz, heading, flash, may, role } from '../js/core.js';
import { explained } from './requests.js';

const OUTCOMES = ['housing_stable', 'employed', 'business_operating', 'reoffended', 'reporting_compliant'];
const STATUS_CLASS = { pending: 'out', done: 'free', cancelled: '' };
const yesNo = (name, v) => sel(name, [['true', t('yes')], ['false', t('no')]], { value: v == null ? '' : String(v) }, t('choose'));
const closed = () => ({ follow_up_closed: t('fu_closed_already') });

/** the result form (a correction when the follow-up is done: its values, its version) */
function resultForm(f, reload) {
  const fm = formFor('follow_ups.result', [
    [{ name: 'method', label: 'fu_method_label', enum: 'fu_method' }, { name: 'contacted_at', label: 'fu_contacted_at' }],
    { name: 'unreachable', label: 'fu_unreachable' },
    { box: h('fieldset', { class: 'fu-outcomes' }, h('legend', null, t('fu_outcomes'))), items: [
      { name: 'housing_stable', label: 'oc_housing_stable', control: yesNo('housing_stable', f.housing_stable), required: false },
      { name: 'employed', label: 'oc_employed', control: yesNo('employed', f.employed), required: false },
      { name: 'business_operating', label: 'oc_business_operating', control: yesNo('business_operating', f.business_operating), required: false },
      { name: 'reoffended', label: 'oc_reoffended', control: yesNo('reoffended', f.reoffended), required: false },
      { name: 'reporting_compliant', label: 'oc_reporting_compliant', control: yesNo('reporting_compliant', f.reporting_compliant), required: false },
    ] },
    { name: 'note', label: 'note', attrs: { rows: 2 } },
  ], {
    class: 'bare', values: f.status === 'done' ? f : null, submit: t(f.status === 'done' ? 'fu_correct_btn' : 'fu_record_btn'),
    shape(v) {
      if (!v.unreachable) {
        const missing = OUTCOMES.filter((k) => v[k] == null);
        if (missing.length) throw localError(missing);
      }
      for (const k of OUTCOMES) if (k in v) v[k] = v[k] === 'true';
      return v;
    },
    send: (body, key) => explained(api('PUT', `/follow-ups/${f.id}/result`, { body, key, ifMatch: f.version }), closed()),
    done() { flash(t('fu_recorded')); return reload(); },
  });
  const un = fm.elements.unreachable, box = fm.querySelector('.fu-outcomes');
  const sync = () => {
    box.hidden = un.checked;
    for (const k of OUTCOMES) { fm.elements[k].disabled = un.checked; fm.elements[k].required = !un.checked; }
  };
  un.addEventListener('change', sync);
  sync();
  return fold('fu-result-' + f.id, t(f.status === 'done' ? 'fu_correct' : 'fu_record'), fm);
}

function cancelForm(f, reload) {
  return fold('fu-cancel-' + f.id, t('fu_cancel'), formFor('follow_ups.cancel', [
    { name: 'reason', label: 'fu_cancel_reason', attrs: { rows: 2 }, hint: t('fu_cancel_hint') },
  ], {
    class: 'bare', submit: [t('fu_cancel_btn'), { class: 'danger' }],
    send: (body, key) => explained(api('POST', `/follow-ups/${f.id}/cancel`, { body, key }), closed()),
    done() { flash(t('fu_cancelled')); return reload(); },
  }));
}

/** what was found: reached with the five answers, or not reached */
function result(f) {
  if (f.status !== 'done') return null;
  const how = en('fu_method', f.method) + ' · ' + fmtDT(f.contacted_at, tz());
  return h('div', null, h('p', null, how),
    h('p', null, f.unreachable ? badge(t('oc_unreachable'), 'overdue')
      : OUTCOMES.map((k) => badge(t('oc_' + k) + ': ' + t(f[k] ? 'yes' : 'no'), !f[k] ? '' : k === 'reoffended' ? 'overdue' : 'free'))));
}

function item(f, reload) {
  const st = f.overdue ? badge(t('fu_overdue'), 'overdue') : badge(en('fu_status', f.status), STATUS_CLASS[f.status]);
  return h('li', { 'data-id': f.id, 'data-status': f.status, class: f.overdue ? 'overdue' : null },
    h('div', { class: 'row' }, h('a', { class: 'grow', href: '#/resident/' + f.resident_id }, f.full_name), st),
    h('p', null, t('oc_day_n', { n: f.offset_days }) + ' · ' + t('fu_due_on') + ' ' + fmtD(f.due_on)),
    result(f),
    f.note ? h('p', { class: 'note-text muted' }, f.note) : null,
    f.cancel_reason ? h('p', { class: 'note-text muted' }, t('fu_cancel_reason') + ': ' + f.cancel_reason) : null,
    f.status !== 'cancelled' && may('follow_ups.result') ? resultForm(f, reload) : null,
    f.status === 'pending' && may('follow_ups.cancel') ? cancelForm(f, reload) : null);
}

export default async function followups(box, { query }) {
  const st = sel('status', options('fu_status'), { value: query.status ?? 'pending' }, t('all'));
  if (query.status === 'all') st.value = '';
  const mine = role() === 'caseworker' ? check('mine', t('only_mine'), { checked: query.mine === '1' }) : null;
  const form = h('form', { class: 'inline', role: 'search' }, fld(t('status'), st), mine, h('button', { type: 'submit' }, t('show')));
  const list = pager({ row: (f) => item(f, load), attrs: { class: 'list', id: 'fu-worklist' }, empty: t('fu_none') });
  function load() {
    const onlyMine = mine?.querySelector('input').checked;
    history.replaceState(null, '', '#/follow-ups' + qs({ status: st.value === 'pending' ? '' : st.value || 'all', mine: onlyMine ? '1' : '' }));
    return list.load('/follow-ups', { house_id: state.houseId, status: st.value, caseworker_id: onlyMine ? state.user.id : '' });
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('nav_follow_ups')), h('p', { class: 'muted' }, t('fu_hint')), form, list.el);
  await load();
  let soon = null;
  return {
    onEvent(ev) {
      if (!/^(follow_up|stay)\./.test(ev.type)) return;
      clearTimeout(soon);
      soon = setTimeout(() => { if (box.isConnected && !box.querySelector('details[open]')) load(); }, 500);
    },
  };
}
