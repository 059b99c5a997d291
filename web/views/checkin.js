// Check-in: find (or, where the role may, create) the resident, pick a free bed of a room that fits
// the resident's sex, show the house rules and have them acknowledged.
import { api, get, qs } from '../js/api.js';
import { h, clear, fld, inp, sel, badge } from '../js/dom.js';
import { formFor, rule } from '../js/form.js';
import { t, en, fmtD } from '../js/i18n.js';
import { state, heading, loadBoard, loadRooms, loadRules, freeBedGroups, bedName, flash, go, may } from '../js/core.js';
import { residentForm } from './resident.js';

export default async function checkin(box, { query }) {
  let [board, rooms, rules, waiting] = await Promise.all([loadBoard(), loadRooms(), loadRules(),
    get('/residents' + qs({ house_id: state.houseId, status: 'new', limit: 50 })).then((r) => r.items)]);
  let found = waiting, chosen = null;
  if (query.resident) {
    const r = await get('/residents/' + encodeURIComponent(query.resident));
    found = [r];
    chosen = r.status === 'in_residence' ? null : r;
  }

  const q = inp('q', { type: 'search', autocomplete: 'off', 'data-skip': '' });
  const results = h('div', { class: 'results' });
  const bedBox = h('div');
  const form = formFor('stays.checkin', [
    { box: h('fieldset', null, h('legend', null, t('resident')),
      h('div', { class: 'inline' }, fld(t('find_resident'), q), h('button', { type: 'button', class: 'secondary', onclick: search }, t('search'))),
      h('p', { class: 'hint' }, t('type_to_search')),
      results), items: [{ name: 'resident_id', label: 'resident', own: true }] },
    { box: h('fieldset', null, h('legend', null, t('bed')), bedBox), items: [{ name: 'bed_id', label: 'free_bed', own: true }] },
    { box: h('fieldset', null, h('legend', null, t('rules_title')),
      h('ul', { class: 'rules' }, rules.map((r) => h('li', null, h('strong', null, r.code + ' ' + r.title), ' ', badge(en('severity', r.severity)),
        r.description ? h('div', { class: 'muted' }, r.description) : null)))), items: [{ name: 'rules_acknowledged', label: 'rules_ack' }] },
    { box: h('details', null, h('summary', null, t('late_entry'))),
      items: [[{ name: 'checked_in_at', label: 'checked_in_at' }, { name: 'planned_exit_on', label: 'planned_exit_on' }]] },
  ], {
    class: 'narrow', submit: t('checkin_btn'),
    send: (body, key) => api('POST', '/stays', { body, key }),
    done(stay) {
      const b = board.find((x) => x.id === stay.bed_id);
      flash(t('checked_in', { name: chosen?.full_name || '', bed: bedName(b) }));
      go('#/board');
    },
    fieldFor: { bed_occupied: 'bed_id', bed_held: 'bed_id', bed_turnover: 'bed_id', bed_out_of_service: 'bed_id', sex_mismatch: 'bed_id', resident_in_residence: 'resident_id' },
  });
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); search(); } });

  function showResults() {
    clear(results, found.length ? found.map((r) => {
      const dis = r.status === 'in_residence';
      const id = 'res-' + r.id;
      return h('div', { class: 'pick' + (dis ? ' disabled' : '') },
        h('input', { type: 'radio', name: 'resident_id', value: r.id, id, disabled: dis, checked: chosen?.id === r.id, onchange: () => { chosen = r; showBeds(); } }),
        h('label', { for: id }, h('strong', null, r.full_name), ' — ', r.register_number, ' · ', en('sex', r.sex), ' · ',
          dis ? t('already_in') : en('rstatus', r.status), r.birth_date ? ' · ' + fmtD(r.birth_date) : ''));
    }) : h('p', { class: 'muted' }, t('no_match')));
  }
  async function search() {
    const term = q.value.trim();
    try {
      found = (await get('/residents' + qs({ house_id: state.houseId, q: term, limit: 30 }))).items;
      if (chosen && !found.some((r) => r.id === chosen.id)) found.unshift(chosen);
      showResults();
    } catch (err) {
      clear(results, h('p', { class: 'alert error', role: 'alert' }, err.words || String(err)));
    }
  }
  function showBeds() {
    const old = form.elements.bed_id?.value || query.bed || '';
    const groups = freeBedGroups(board, rooms, chosen?.sex);
    // the bed chosen before stays in the list when it is taken meanwhile (perhaps by this very
    // submission, whose answer was lost): the form keeps its value and a retry means the same
    const was = old && !groups.some((g) => g.items.some((i) => i[0] === old)) && board.find((b) => b.id === old);
    if (was) groups.unshift({ group: was.room_code, items: [[was.id, bedName(was) + ' — ' + t('st_' + was.state)]] });
    const s = sel('bed_id', groups, { required: rule('stays.checkin', 'bed_id').required }, t('choose'));
    if ([...s.options].some((o) => o.value === old)) s.value = old;
    clear(bedBox, fld(t('free_bed'), s, chosen ? null : t('choose_resident_first')),
      groups.length ? null : h('p', { class: 'alert warn' }, t('no_free_bed')));
  }
  showResults();
  showBeds();

  const parts = [heading(t('checkin_title'))];
  if (may('residents.create')) {
    const nf = residentForm(null, true, {
      submit: [t('create_resident'), { class: 'secondary' }],
      send: (body, key) => api('POST', '/residents', { body, key }),
      done(r) {
        flash(t('created_resident', { name: r.full_name }));
        nf.reset();
        nf.closest('details').open = false;
        found = [r];
        chosen = r;
        showResults();
        showBeds();
      },
    });
    parts.push(h('details', { class: 'narrow' }, h('summary', null, t('new_resident')), nf));
  } else {
    parts.push(h('p', { class: 'hint narrow' }, t('no_create_hint')));
  }
  clear(box, parts, form);

  return {
    async onEvent(ev) {
      if (ev.type !== 'open' && !/^(stay|bed)\./.test(ev.type)) return;
      try { [board, rooms] = await Promise.all([loadBoard(), loadRooms()]); } catch { return; }
      if (box.isConnected) showBeds();
    },
  };
}
