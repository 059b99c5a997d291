// The bed board of the current house: rooms and beds by state, occupants, out-of-service reasons,
// holds and turnovers (contract §17.6; staff mark a bed ready here), counts; refreshed by itself
// on stay.*, movement.*, hold.* and bed.updated events. A free bed is held from its tile, a held
// one extended or its hold cancelled, in a panel above the rooms that the refreshes leave alone.
import { h, clear, sel } from '../js/dom.js';
import { t, fmtD, fmtTime } from '../js/i18n.js';
import { api, newKey, ApiError } from '../js/api.js';
import { state, house, heading, loadBoard, loadRooms, loadOut, may, tz, flash, bedName } from '../js/core.js';
import { holdPeople, holdForm, holdActions } from './hold.js';

const STATES = ['free', 'occupied', 'out_of_service', 'turnover', 'held'];

export default async function board(box) {
  let [beds, rooms, out] = await Promise.all([loadBoard(), loadRooms(), loadOut()]);
  const houseId = state.houseId;
  const counts = h('ul', { class: 'counts', 'aria-label': t('board_title') });
  const grid = h('div', { class: 'rooms' });
  const panel = h('div', { id: 'bed-panel' });
  clear(box, heading(t('board_title'), h('span', { class: 'muted' }, house()?.name || '')), counts, panel, grid);
  let before = new Map();

  function render() {
    const n = Object.fromEntries(STATES.map((x) => [x, 0]));
    for (const b of beds) n[b.state]++;
    const outByStay = new Map(out.map((m) => [m.stay_id, m]));
    clear(counts, STATES.map((s) => h('li', { class: s }, h('b', null, n[s]), t('st_' + s))),
      h('li', null, h('b', null, beds.length), t('total')),
      out.length ? h('li', null, h('a', { href: '#/out' }, t('residents_out_n', { n: out.length }))) : null);
    const byRoom = new Map(rooms.map((r) => [r.id, { room: r, beds: [] }]));
    for (const b of beds) {
      if (!byRoom.has(b.room_id)) byRoom.set(b.room_id, { room: { id: b.room_id, code: b.room_code, sex: 'any' }, beds: [] });
      byRoom.get(b.room_id).beds.push(b);
    }
    const focused = document.activeElement?.dataset?.bed;
    const now = new Map();
    const list = [...byRoom.values()].sort((a, b) => (a.room.code < b.room.code ? -1 : a.room.code > b.room.code ? 1 : 0));
    clear(grid, list.length ? list.map(({ room, beds: rb }) => h('section', { class: 'room', 'aria-labelledby': 'room-' + room.id },
      h('h2', { id: 'room-' + room.id }, t('room') + ' ' + room.code, h('small', null, t('room_sex_' + room.sex) +
        (room.floor != null ? ' · ' + t('floor') + ' ' + room.floor : '') + ' · ' + t('beds_n', { n: rb.length }))),
      h('ul', { class: 'beds' }, rb.map((b) => {
        const sig = b.state + (b.occupant?.stay_id || '') + (b.status_reason || '') + (b.hold?.hold_id || '') + (b.turnover?.turnover_id || '');
        now.set(b.id, sig);
        return h('li', null, tile(b, outByStay.get(b.occupant?.stay_id), before.size && before.get(b.id) !== sig));
      })))) : h('p', { class: 'muted' }, t('no_beds')));
    before = now;
    if (focused) grid.querySelector(`[data-bed="${focused}"]`)?.focus();
  }

  function tile(b, away, changed) {
    const kids = [h('span', { class: 'lbl' }, b.label), h('span', { class: 'st' }, t('st_' + b.state))];
    let href = null, act = null;
    if (b.state === 'occupied' && b.occupant) {
      kids.push(h('span', { class: 'occ' }, b.occupant.full_name), h('span', { class: 'sub' }, t('since', { d: fmtD(b.occupant.since.slice(0, 10)) })));
      if (away) kids.push(h('span', { class: 'badge ' + (away.overdue ? 'overdue' : 'out') }, (away.overdue ? t('is_overdue') : t('is_out')) + ' · ' + fmtTime(away.expected_back_at, tz())));
      href = '#/stay/' + b.occupant.stay_id;
    } else if (b.state === 'out_of_service') {
      kids.push(h('span', { class: 'sub' }, b.status_reason || ''));
      if (may('beds.update')) href = '#/manage';
    } else if (b.state === 'held' && b.hold) {
      kids.push(h('span', { class: 'occ' }, b.hold.full_name || ''),
        h('span', { class: 'sub' }, t('held_until', { d: fmtTime(b.hold.until, tz()) })));
      if (may('holds.update')) act = [t('hold_change'), () => open(b, holdActions(b.hold.hold_id, closed))];
    } else if (b.state === 'turnover' && b.turnover) {
      kids.push(h('span', { class: 'sub' }, t('turnover_until', { d: fmtTime(b.turnover.until, tz()) })));
      if (may('turnovers.ready')) act = [t('bed_ready'), () => ready(b)];
    } else if (b.state === 'free') {
      // with a hold button beside it, the check-in is a link inside the tile, not the tile
      if (may('holds.create')) act = [t('hold_btn'), () => open(b, holdPeople().then((p) => holdForm({ id: b.id }, sel('referral_id', p, {}, t('choose')), closed)))];
      if (may('stays.checkin')) {
        if (act) kids.push(h('a', { class: 'sub', href: '#/checkin?bed=' + b.id }, t('checkin_here')));
        else kids.push(h('span', { class: 'sub' }, t('checkin_here')));
        href = '#/checkin?bed=' + b.id;
      }
    }
    const a = { class: 'bed ' + b.state + (away ? ' away' : '') + (changed ? ' changed' : ''), 'data-bed': b.id, 'data-state': b.state };
    if (act) return h('div', a, kids, h('button', { type: 'button', class: 'secondary small', onclick: act[1] }, act[0]));
    return href ? h('a', { href, ...a }, kids) : h('div', a, kids);
  }

  // the panel of one bed's hold: drawn once the form (which may need a request) is there
  async function open(b, part) {
    try {
      const el = await part;
      clear(panel, h('div', { class: 'card', 'data-panel-bed': b.id }, h('div', { class: 'row' },
        h('strong', { class: 'grow' }, bedName(b)), h('button', { type: 'button', class: 'secondary', onclick: () => closed() }, t('close'))), el));
      panel.querySelector('select,input')?.focus();
    } catch (err) {
      flash(err instanceof ApiError ? err.words : String(err), 'error');
    }
  }
  function closed() {
    clear(panel);
    refresh();
  }

  // "Siap": the turnover ends now; the event that follows refreshes the board
  async function ready(b) {
    try {
      await api('POST', `/beds/${b.id}/ready`, { body: {}, key: newKey() });
      flash(t('bed_ready_done', { bed: b.label }));
    } catch (err) {
      flash(err instanceof ApiError ? err.words : String(err), 'error');
    }
    refresh();
  }

  render();
  // for the end-to-end test of the first render's time
  if (!performance.getEntriesByName('abipraya:board').length) performance.mark('abipraya:board');
  let timer = null, busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      [beds, rooms, out] = await Promise.all([loadBoard(), loadRooms(), loadOut()]);
      if (!box.isConnected || houseId !== state.houseId) return;
      render();
    } catch { /* the next event or reconnect tries again */ } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  return {
    onEvent(ev) {
      if (ev.type !== 'open' && !/^(stay|movement|bed|hold)\./.test(ev.type)) return;
      if (ev.data?.house_id && ev.data.house_id !== houseId) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    },
  };
}
