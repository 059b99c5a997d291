// The resident record: only the fields the role receives (staff never get national_id or notes,
// and nothing is drawn for them), editable by caseworkers and managers; stays and violations.
import { api, get, getAll, qs } from '../js/api.js';
import { h, clear, fld, inp, area, sel, btn, values, onSubmit, localError, badge, dl, tbl, limits, choices } from '../js/dom.js';
import { t, en, fmtD, fmtDT } from '../js/i18n.js';
import { state, tz, heading, loadBoard, loadRules, bedName, flash, go, can } from '../js/core.js';

/** the inputs of a resident (sensitive: national_id and notes too) */
export function residentFields(r, sensitive) {
  r ||= {};
  const ec = r.emergency_contact || {};
  const f = (key, el, hint) => fld(t(key), el, hint);
  const rule = (name) => limits('residents.create', name);
  return h('div', { class: 'grid2' },
    f('full_name', inp('full_name', { ...rule('full_name'), value: r.full_name || '', autocomplete: 'off' })),
    f('register_number', inp('register_number', { ...rule('register_number'), value: r.register_number || '' })),
    f('sex', sel('sex', choices('residents.create', 'sex', 'sex'), { ...rule('sex'), value: r.sex || '' }, t('choose'))),
    f('legal_status', sel('legal_status', choices('residents.create', 'legal_status', 'legal'), { ...rule('legal_status'), value: r.legal_status || '' }, t('choose'))),
    f('birth_date', inp('birth_date', { type: 'date', value: r.birth_date || '' })),
    f('supervision_ends_on', inp('supervision_ends_on', { type: 'date', value: r.supervision_ends_on || '' })),
    sensitive ? f('national_id', inp('national_id', { inputmode: 'numeric', ...rule('national_id'), value: r.national_id || '' }), t('nik_hint')) : null,
    f('phone', inp('phone', { type: 'tel', ...rule('phone'), value: r.phone || '' })),
    f('ec_name', inp('emergency_contact.name', { ...rule('emergency_contact.name'), required: false, value: ec.name || '' })),
    f('ec_phone', inp('emergency_contact.phone', { type: 'tel', ...rule('emergency_contact.phone'), value: ec.phone || '' })),
    f('ec_relation', inp('emergency_contact.relation', { ...rule('emergency_contact.relation'), value: ec.relation || '' })),
    sensitive ? f('notes', area('notes', { ...rule('notes'), value: r.notes || '', rows: 4 })) : null);
}

/** the body of a create (orig null) or of a PATCH with only the changed fields */
export function residentBody(form, orig) {
  const v = values(form, tz(), !!orig);
  const missing = ['full_name', 'register_number', 'sex', 'legal_status'].filter((k) => !v[k]);
  if (missing.length) throw localError(missing);
  const ec = v.emergency_contact;
  if (ec) {
    if (!ec.name && !ec.phone && !ec.relation) v.emergency_contact = null;
    else for (const k of ['name', 'phone', 'relation']) if (ec[k] == null) ec[k] = '';
  }
  if (!orig) {
    if (!v.emergency_contact) delete v.emergency_contact;
    return { house_id: state.houseId, ...v };
  }
  const norm = (x) => (x == null ? null : JSON.stringify([x.name ?? '', x.phone ?? '', x.relation ?? '']));
  const out = {};
  for (const [k, val] of Object.entries(v)) {
    const was = orig[k] ?? null;
    if (k === 'emergency_contact' ? norm(val) !== norm(was) : val !== was) out[k] = val;
  }
  return out;
}

export default async function resident(box, { args, rerender }) {
  if (args[0] === 'new') return createView(box);
  const id = args[0];
  let [r, stays, violations, board, rules] = await Promise.all([get('/residents/' + encodeURIComponent(id)),
    getAll('/stays' + qs({ resident_id: id }), 200), getAll('/violations' + qs({ resident_id: id }), 200), loadBoard(), loadRules(false)]);
  const bedById = new Map(board.map((b) => [b.id, b]));
  const ruleById = new Map(rules.map((x) => [x.id, x]));
  const cur = stays.find((s) => s.status === 'active');
  const sensitive = 'national_id' in r || 'notes' in r;

  const links = h('div', { class: 'actions' },
    cur ? h('a', { class: 'button secondary small', href: '#/stay/' + cur.id }, t('stay_title')) : null,
    cur ? h('a', { class: 'button secondary small', href: '#/plan/' + cur.id }, t('plan_link')) : null,
    !cur && r.status !== 'in_residence' && can('stay') ? h('a', { class: 'button small', href: '#/checkin?resident=' + r.id }, t('checkin_resident')) : null,
    can('manage') ? h('a', { class: 'button secondary small', href: '#/audit?entity_id=' + r.id }, t('audit_link')) : null);

  let record;
  if (can('resident_edit')) {
    record = h('form', { novalidate: true }, residentFields(r, sensitive), h('div', { class: 'actions' }, btn(t('save'))));
    onSubmit(record, {
      build: () => residentBody(record, r),
      send: (body) => (Object.keys(body).length ? api('PATCH', '/residents/' + r.id, { body, ifMatch: r.version }) : r),
      done(nr) { r = nr; flash(t('saved')); rerender(); },
      fieldFor: { conflict: 'register_number' },
    });
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
    h('h2', null, t('stays')),
    stays.length ? tbl([t('checked_in_at_v'), t('checked_out_at_v'), t('bed'), t('exit_reason'), t('plan_link')], stayRows) : h('p', { class: 'muted' }, t('none')),
    h('h2', null, t('violations')),
    violations.length ? h('ul', { class: 'list' }, violations.slice().reverse().map((v) => h('li', null,
      h('div', { class: 'row' }, h('strong', { class: 'grow' }, ruleById.get(v.rule_id)?.code + ' ' + (ruleById.get(v.rule_id)?.title || '')), h('span', { class: 'muted' }, fmtDT(v.occurred_at, tz()))),
      h('p', null, v.description), v.action_taken ? h('p', { class: 'muted' }, t('action_taken') + ': ' + v.action_taken) : null))) : h('p', { class: 'muted' }, t('none')));
}

function createView(box) {
  if (!can('resident_edit')) throw new Error(t('err_forbidden_view'));
  const form = h('form', { novalidate: true, class: 'narrow' }, residentFields(null, true), h('div', { class: 'actions' }, btn(t('create_resident'))));
  onSubmit(form, {
    build: () => residentBody(form),
    send: (body, key) => api('POST', '/residents', { body, key }),
    done(r) { flash(t('created_resident', { name: r.full_name })); go('#/resident/' + r.id); },
    fieldFor: { conflict: 'register_number' },
  });
  clear(box, heading(t('resident_new_title')), form);
}
