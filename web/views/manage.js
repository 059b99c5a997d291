// Rooms, beds and house rules (managers): create rooms and beds, take a bed out of service with a
// reason and back, create and retire rules; the house's settings (§15.7: alert thresholds and
// defaults), which a manager of the house may change (only those fields; If-Match).
import { api, get } from '../js/api.js';
import { h, clear, badge, inp } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en } from '../js/i18n.js';
import { state, heading, loadBoard, loadRooms, loadRules, flash, may } from '../js/core.js';

/** the settings form of a house; follow_up_days is written as "30, 90, 180" (empty: none) */
function settingsForm(house, rerender) {
  const days = inp('follow_up_days', { value: (house.follow_up_days || []).join(', '), inputmode: 'numeric', autocomplete: 'off' });
  return formFor('houses.update', [h('h3', null, t('settings_title')), h('p', { class: 'hint' }, t('settings_hint')),
    [{ name: 'supervision_warning_days', label: 'supervision_warning_days' }, { name: 'supervision_critical_days', label: 'supervision_critical_days' }],
    [{ name: 'reporting_due_days', label: 'reporting_due_days' }, { name: 'reporting_grace_days', label: 'reporting_grace_days' }],
    [{ name: 'absconding_grace_minutes', label: 'absconding_grace_minutes' }, { name: 'long_stay_days', label: 'long_stay_days' }],
    [{ name: 'turnover_minutes', label: 'turnover_minutes' }, { name: 'roll_calls_per_day', label: 'roll_calls_per_day' }],
    { name: 'follow_up_days', label: 'follow_up_days', control: days }], {
    id: 'house-settings', class: 'narrow', values: house, patch: house, submit: t('save'),
    shape(v) {
      const list = String(v.follow_up_days ?? '').split(/[\s,;]+/).filter(Boolean);
      v.follow_up_days = list.map((x) => (/^\d+$/.test(x) ? parseInt(x, 10) : x)); // a word goes as it is: the server names the problem
      return v;
    },
    send: (body) => api('PATCH', '/houses/' + house.id, { body, ifMatch: house.version }),
    done(r) { state.houses = state.houses.map((x) => (x.id === r.id ? r : x)); flash(t('settings_saved')); rerender(); },
  });
}

export default async function manage(box, { rerender }) {
  const [rooms, board, rules, house] = await Promise.all([loadRooms(), loadBoard(), loadRules(false),
    may('houses.update') ? get('/houses/' + state.houseId) : null]);
  const stateOf = new Map(board.map((b) => [b.id, b.state]));
  const saved = () => { flash(t('saved')); rerender(); };

  const hidden = (name, value) => h('input', { type: 'hidden', name, value });
  const small = (label, cls = 'inline bare') => [label, { class: 'small' + (cls === 'bare' ? ' secondary' : '') }];
  const bedForm = (b, status, items, label, cls) => formFor('beds.update', [hidden('status', status), ...items], {
    class: cls, submit: small(label, cls), done: saved,
    send: (body) => api('PATCH', '/beds/' + b.id, { body, ifMatch: b.version }),
  });

  const roomCards = rooms.map((r) => h('section', { class: 'room', 'data-room': r.code },
    h('h3', null, t('room') + ' ' + r.code, ' ', h('small', { class: 'muted' }, t('room_sex_' + r.sex) + (r.floor != null ? ' · ' + t('floor') + ' ' + r.floor : ''))),
    r.notes ? h('p', { class: 'muted' }, r.notes) : null,
    h('ul', { class: 'list' }, (r.beds || []).map((b) => {
      const st = stateOf.get(b.id) || (b.status === 'out_of_service' ? 'out_of_service' : 'free');
      return h('li', { 'data-bed': b.id }, h('div', { class: 'row' }, h('strong', null, b.label), badge(t('st_' + st), st), b.status_reason ? h('span', { class: 'muted grow' }, b.status_reason) : null),
        b.status === 'out_of_service' ? bedForm(b, 'available', [], t('back_in_service'), 'bare')
          : st === 'free' ? h('details', null, h('summary', null, t('take_oos') + '…'),
            bedForm(b, 'out_of_service', [{ name: 'status_reason', label: 'oos_reason', required: true }], t('take_oos'), 'inline bare')) : null);
    })),
    formFor('beds.create', [{ name: 'label', label: 'bed_label' }], {
      class: 'inline bare', submit: small(t('add_bed')), done: saved, fieldFor: { conflict: 'label' },
      send: (body, key) => api('POST', `/rooms/${r.id}/beds`, { body, key }),
    })));

  const roomForm = formFor('rooms.create', [h('h3', null, t('add_room')),
    [{ name: 'code', label: 'room_code' }, { name: 'floor', label: 'floor' }, { name: 'sex', label: 'room_sex', enum: 'sex' }],
    { name: 'notes', label: 'notes' }], {
    id: 'add-room', class: 'narrow', submit: t('add_room'), done: saved, fieldFor: { conflict: 'code' },
    send: (body, key) => api('POST', `/houses/${state.houseId}/rooms`, { body, key }),
  });

  const ruleList = h('ul', { class: 'list' }, rules.map((r) => h('li', { class: r.active ? '' : 'muted' },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, r.code + ' — ' + r.title), badge(en('severity', r.severity)), r.active ? null : badge(t('retired'))),
    r.description ? h('p', null, r.description) : null,
    formFor('rules.update', [], {
      class: 'bare', submit: small(r.active ? t('retire') : t('reactivate'), 'bare'), done: saved,
      shape: () => ({ active: !r.active }),
      send: (body) => api('PATCH', '/rules/' + r.id, { body, ifMatch: r.version }),
    }))));
  const ruleForm = formFor('rules.create', [h('h3', null, t('add_rule')),
    [{ name: 'code', label: 'code' }, { name: 'severity', label: 'severity', enum: 'severity' }],
    { name: 'title', label: 'title' }, { name: 'description', label: 'rule_desc' }], {
    id: 'add-rule', class: 'narrow', submit: t('add_rule'), done: saved, fieldFor: { conflict: 'code' },
    send: (body, key) => api('POST', `/houses/${state.houseId}/rules`, { body, key }),
  });

  clear(box, heading(t('manage_title')), h('h2', null, t('room') + ' & ' + t('bed').toLowerCase()),
    h('div', { class: 'rooms' }, roomCards), roomForm, h('h2', null, t('rules')), ruleList, ruleForm,
    house ? settingsForm(house, rerender) : null);
}
