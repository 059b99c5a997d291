// The resident record: only the fields the role receives (staff never get national_id or notes,
// and nothing is drawn for them), editable by caseworkers and managers; the legal basis
// (legal.js), the reporting duty for those who may read it (reporting.js), the consents
// (consents.js), the data-subject requests (requests.js), the processing history (history.js),
// stays and violations.
import { api, get, getAll, qs } from '../js/api.js';
import { h, clear, badge, dl, tbl } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtD, fmtDT } from '../js/i18n.js';
import { state, tz, heading, loadBoard, loadRules, bedName, flash, go, may } from '../js/core.js';
import { legalPanel } from './legal.js';
import { reportingPanel } from './reporting.js';
import { programmePanel } from './business.js';
import { consentPanel } from './consents.js';
import { requestPanel } from './requests.js';
import { historyPanel } from './history.js';

/** an emergency contact left empty is none (null on an edit); a given one has every member */
function contact(v) {
  const ec = v.emergency_contact;
  if (ec && !ec.name && !ec.phone && !ec.relation) v.emergency_contact = null;
  else if (ec) for (const k of ['name', 'phone', 'relation']) ec[k] ??= '';
  return v;
}

/** the form of a new resident (r null) or of an edit, which sends only the changed fields;
 *  sensitive: national_id and notes too; governed: a current legal basis sets legal_status and
 *  supervision_ends_on (§15.2), so they are shown, not sent; o: formFor's options (send, done, submit…) */
export function residentForm(r, sensitive, o, governed = false) {
  const ruled = governed ? { required: false, attrs: { disabled: true }, hint: t('follows_basis') } : {};
  return formFor(r ? 'residents.update' : 'residents.create', [[
    { name: 'full_name', label: 'full_name', attrs: { autocomplete: 'off' } },
    { name: 'register_number', label: 'register_number' },
    { name: 'sex', label: 'sex', enum: 'sex' },
    { name: 'legal_status', label: 'legal_status', enum: 'legal', ...ruled },
    { name: 'birth_date', label: 'birth_date' },
    { name: 'supervision_ends_on', label: 'supervision_ends_on', ...ruled },
    sensitive && { name: 'national_id', label: 'national_id', hint: t('nik_hint') },
    { name: 'phone', label: 'phone', as: 'tel' },
    // the contact is optional: its name is required only when a contact is given (the server says so)
    { name: 'emergency_contact.name', label: 'ec_name', required: false },
    { name: 'emergency_contact.phone', label: 'ec_phone', as: 'tel' },
    { name: 'emergency_contact.relation', label: 'ec_relation' },
    sensitive && { name: 'notes', label: 'notes', attrs: { rows: 4 } },
  ]], {
    values: r, patch: r, fieldFor: { conflict: 'register_number' },
    shape: r ? contact : (v) => ({ house_id: state.houseId, ...contact(v) }), ...o,
  });
}

export default async function resident(box, { args, rerender }) {
  if (args[0] === 'new') return createView(box);
  const id = args[0];
  const [r, stays, violations, board, rules, legal, reporting, prog, consents, requests] = await Promise.all([get('/residents/' + encodeURIComponent(id)),
    getAll('/stays' + qs({ resident_id: id }), 200), getAll('/violations' + qs({ resident_id: id }), 200), loadBoard(), loadRules(false),
    legalPanel(id, rerender), may('reporting.calendar') ? reportingPanel(id, rerender) : null, programmePanel(id, rerender),
    consentPanel(id, rerender), requestPanel(id, rerender)]);
  const bedById = new Map(board.map((b) => [b.id, b]));
  const ruleById = new Map(rules.map((x) => [x.id, x]));
  const cur = stays.find((s) => s.status === 'active');
  const sensitive = 'national_id' in r || 'notes' in r;

  const links = h('div', { class: 'actions' },
    cur ? h('a', { class: 'button secondary small', href: '#/stay/' + cur.id }, t('stay_title')) : null,
    cur ? h('a', { class: 'button secondary small', href: '#/plan/' + cur.id }, t('plan_link')) : null,
    !cur && r.status !== 'in_residence' && may('stays.checkin') ? h('a', { class: 'button small', href: '#/checkin?resident=' + r.id }, t('checkin_resident')) : null,
    may('audit.list') ? h('a', { class: 'button secondary small', href: '#/audit?entity_id=' + r.id }, t('audit_link')) : null);

  let record;
  if (may('residents.update')) {
    record = residentForm(r, sensitive, {
      id: 'resident-form',
      send: (body) => (Object.keys(body).length ? api('PATCH', '/residents/' + r.id, { body, ifMatch: r.version }) : r),
      done() { flash(t('saved')); rerender(); },
    }, !!legal.current);
  } else {
    const ec = r.emergency_contact;
    const rows = [[t('register_number'), r.register_number], [t('sex'), en('sex', r.sex)], [t('legal_status'), en('legal', r.legal_status)],
      [t('birth_date'), fmtD(r.birth_date)], [t('supervision_ends_on'), fmtD(r.supervision_ends_on)], [t('phone'), r.phone],
      [t('emergency_contact'), ec ? [ec.name, ec.relation, ec.phone].filter(Boolean).join(' · ') : null]];
    if ('national_id' in r) rows.push([t('national_id'), r.national_id]);
    if ('notes' in r) rows.push([t('notes'), r.notes]);
    record = h('div', { class: 'card' }, dl(rows));
  }

  const stayRows = stays.slice().reverse().map((s) => [h('a', { href: '#/stay/' + s.id }, fmtDT(s.checked_in_at, tz())),
    s.checked_out_at ? fmtDT(s.checked_out_at, tz()) : badge(t('st_active'), 'free'), bedName(bedById.get(s.bed_id)),
    s.exit_reason ? en('exit_reason', s.exit_reason) + ' → ' + en('destination', s.destination) : '', h('a', { href: '#/plan/' + s.id }, t('plan_link'))]);
  clear(box, heading(r.full_name, badge(en('rstatus', r.status), r.status === 'in_residence' ? 'occupied' : '')), links, record,
    legal.el, reporting, prog, consents, requests, historyPanel(id),
    h('h2', null, t('stays')),
    stays.length ? tbl([t('checked_in_at_v'), t('checked_out_at_v'), t('bed'), t('exit_reason'), t('plan_link')], stayRows) : h('p', { class: 'muted' }, t('none')),
    h('h2', null, t('violations')),
    violations.length ? h('ul', { class: 'list' }, violations.slice().reverse().map((v) => h('li', null,
      h('div', { class: 'row' }, h('strong', { class: 'grow' }, ruleById.get(v.rule_id)?.code + ' ' + (ruleById.get(v.rule_id)?.title || '')), h('span', { class: 'muted' }, fmtDT(v.occurred_at, tz()))),
      h('p', null, v.description), v.action_taken ? h('p', { class: 'muted' }, t('action_taken') + ': ' + v.action_taken) : null))) : h('p', { class: 'muted' }, t('none')));
  legal.drawn();
}

function createView(box) {
  if (!may('residents.create')) throw new Error(t('err_forbidden_view'));
  const form = residentForm(null, true, {
    class: 'narrow', submit: t('create_resident'),
    send: (body, key) => api('POST', '/residents', { body, key }),
    done(r) { flash(t('created_resident', { name: r.full_name })); go('#/resident/' + r.id); },
  });
  clear(box, heading(t('resident_new_title')), form);
}
