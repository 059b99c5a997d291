// Rooms, beds and house rules (managers): create rooms and beds, take a bed out of service with a
// reason and back, create and retire rules.
import { api } from '../js/api.js';
import { h, clear, fld, inp, area, sel, btn, values, onSubmit, localError, badge, limits, choices } from '../js/dom.js';
import { t, en } from '../js/i18n.js';
import { state, tz, heading, loadBoard, loadRooms, loadRules, flash } from '../js/core.js';

export default async function manage(box, { rerender }) {
  const [rooms, board, rules] = await Promise.all([loadRooms(), loadBoard(), loadRules(false)]);
  const stateOf = new Map(board.map((b) => [b.id, b.state]));
  const saved = () => { flash(t('saved')); rerender(); };

  /** a small form: fields, a button, a request */
  function mini(fields, label, required, send, cls = 'inline bare', fieldFor) {
    const f = h('form', { novalidate: true, class: cls }, fields, btn(label, { class: 'small' + (cls === 'bare' ? ' secondary' : '') }));
    onSubmit(f, {
      build() {
        const v = values(f, tz());
        const missing = required.filter((k) => v[k] == null || v[k] === '');
        if (missing.length) throw localError(missing);
        return v;
      },
      send, done: saved, fieldFor,
    });
    return f;
  }

  const roomCards = rooms.map((r) => h('section', { class: 'room', 'data-room': r.code },
    h('h3', null, t('room') + ' ' + r.code, ' ', h('small', { class: 'muted' }, t('room_sex_' + r.sex) + (r.floor != null ? ' · ' + t('floor') + ' ' + r.floor : ''))),
    r.notes ? h('p', { class: 'muted' }, r.notes) : null,
    h('ul', { class: 'list' }, (r.beds || []).map((b) => {
      const st = stateOf.get(b.id) || (b.status === 'out_of_service' ? 'out_of_service' : 'free');
      return h('li', { 'data-bed': b.id }, h('div', { class: 'row' }, h('strong', null, b.label), badge(t('st_' + st), st), b.status_reason ? h('span', { class: 'muted grow' }, b.status_reason) : null),
        b.status === 'out_of_service'
          ? mini([h('input', { type: 'hidden', name: 'status', value: 'available' })], t('back_in_service'), [], (body) => api('PATCH', '/beds/' + b.id, { body, ifMatch: b.version }), 'bare')
          : st === 'free' ? h('details', null, h('summary', null, t('take_oos') + '…'),
            mini([h('input', { type: 'hidden', name: 'status', value: 'out_of_service' }), fld(t('oos_reason'), inp('status_reason', { ...limits('beds.update', 'status_reason'), required: true }))], t('take_oos'), ['status_reason'],
              (body) => api('PATCH', '/beds/' + b.id, { body, ifMatch: b.version }))) : null);
    })),
    mini(fld(t('bed_label'), inp('label', limits('beds.create', 'label'))), t('add_bed'), ['label'], (body, key) => api('POST', `/rooms/${r.id}/beds`, { body, key }), 'inline bare', { conflict: 'label' })));

  const roomForm = h('form', { novalidate: true, class: 'narrow', id: 'add-room' }, h('h3', null, t('add_room')),
    h('div', { class: 'grid2' }, fld(t('room_code'), inp('code', limits('rooms.create', 'code'))), fld(t('floor'), inp('floor', { type: 'number', 'data-type': 'int', step: 1 })),
      fld(t('room_sex'), sel('sex', choices('rooms.create', 'sex', 'sex'), limits('rooms.create', 'sex'), t('choose')))),
    fld(t('notes'), area('notes', limits('rooms.create', 'notes'))), h('div', { class: 'actions' }, btn(t('add_room'))));
  onSubmit(roomForm, {
    build() { const v = values(roomForm, tz()); const m = ['code', 'sex'].filter((k) => !v[k]); if (m.length) throw localError(m); return v; },
    send: (body, key) => api('POST', `/houses/${state.houseId}/rooms`, { body, key }),
    done: saved, fieldFor: { conflict: 'code' },
  });

  const ruleList = h('ul', { class: 'list' }, rules.map((r) => h('li', { class: r.active ? '' : 'muted' },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, r.code + ' — ' + r.title), badge(en('severity', r.severity)), r.active ? null : badge(t('retired'))),
    r.description ? h('p', null, r.description) : null,
    mini([], r.active ? t('retire') : t('reactivate'), [], () => api('PATCH', '/rules/' + r.id, { body: { active: !r.active }, ifMatch: r.version }), 'bare'))));
  const ruleForm = h('form', { novalidate: true, class: 'narrow', id: 'add-rule' }, h('h3', null, t('add_rule')),
    h('div', { class: 'grid2' }, fld(t('code'), inp('code', limits('rules.create', 'code'))), fld(t('severity'), sel('severity', choices('rules.create', 'severity', 'severity'), limits('rules.create', 'severity'), t('choose')))),
    fld(t('title'), inp('title', limits('rules.create', 'title'))), fld(t('rule_desc'), area('description', limits('rules.create', 'description'))),
    h('div', { class: 'actions' }, btn(t('add_rule'))));
  onSubmit(ruleForm, {
    build() { const v = values(ruleForm, tz()); const m = ['code', 'title', 'severity'].filter((k) => !v[k]); if (m.length) throw localError(m); return v; },
    send: (body, key) => api('POST', `/houses/${state.houseId}/rules`, { body, key }),
    done: saved, fieldFor: { conflict: 'code' },
  });

  clear(box, heading(t('manage_title')), h('h2', null, t('room') + ' & ' + t('bed').toLowerCase()),
    h('div', { class: 'rooms' }, roomCards), roomForm, h('h2', null, t('rules')), ruleList, ruleForm);
}
