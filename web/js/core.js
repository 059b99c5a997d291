// Shared state of the console (who is logged in, which house) and helpers the views share.
import { api, get } from './api.js';
import { h } from './dom.js';
import { t, en, fmtNum } from './i18n.js';
import { OPS } from './spec.js';

export const state = { user: null, houses: [], houseId: null };

export const house = () => state.houses.find((x) => x.id === state.houseId) || null;
export const tz = () => house()?.timezone || 'Asia/Jakarta';
export const role = () => state.user?.role;
/** the hour (0–23) on the house's clock now: what a form opened now most likely concerns */
export const houseHour = () => Number(new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: tz() }).format(new Date()));
/** whether the server lets the user's role do an operation (spec.js: the roles of each op) */
export function may(op) {
  if (!OPS[op]) throw new Error('spec.js: no operation ' + op);
  return OPS[op].roles.includes(role());
}

export function setHouse(id) {
  state.houseId = id;
  sessionStorage.setItem('abipraya.house', id);
}

export function setTitle(text) {
  document.title = text + ' · ' + t('app');
}

let flashTimer;
/** a short message in the page's live region (it survives a route change) */
export function flash(msg, kind = 'ok') {
  const el = document.getElementById('flash');
  el.replaceChildren(h('p', { class: 'alert ' + kind }, msg));
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => el.replaceChildren(), 10000);
}

export const go = (hash) => { location.hash = hash; };

/** downloads an answer of PATH in type ACCEPT (CSV, a print page) as the file NAME */
export async function download(path, accept, name) {
  const text = await api('GET', path, { accept });
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: accept })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

// ---- data several views need
export const loadBoard = () => get(`/houses/${state.houseId}/beds`).then((r) => r.items);
export const loadRooms = () => get(`/houses/${state.houseId}/rooms`).then((r) => r.items);
export const loadRules = (active = true) => get(`/houses/${state.houseId}/rules?limit=200${active ? '&active=true' : ''}`).then((r) => r.items);
export const loadOut = () => get(`/houses/${state.houseId}/movements?open=true&limit=200`).then((r) => r.items);

export const bedName = (b) => (b ? b.room_code + ' · ' + b.label : '');

/** free beds as <optgroup>s by room, only rooms whose sex fits (sex null: every free bed) */
export function freeBedGroups(board, rooms, sex) {
  const roomSex = new Map(rooms.map((r) => [r.id, r.sex]));
  const groups = new Map();
  for (const b of board) {
    if (b.state !== 'free') continue;
    const rs = roomSex.get(b.room_id) || 'any';
    if (sex && rs !== 'any' && rs !== sex) continue;
    const g = b.room_code + ' (' + t('room_sex_' + rs) + ')';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push([b.id, bedName(b)]);
  }
  return [...groups].map(([group, items]) => ({ group, items }));
}

export const ruleOptions = (rules) => rules.map((r) => [r.id, r.code + ' — ' + r.title + ' (' + en('severity', r.severity) + ')']);

/** the name of each occupant by stay id, from the board */
export const namesByStay = (board) => new Map(board.filter((b) => b.occupant).map((b) => [b.occupant.stay_id, b.occupant.full_name]));

/** a view's heading, focused after navigation for screen readers and keyboards */
export function heading(text, ...extra) {
  setTitle(text);
  return h('div', { class: 'view-head' }, h('h1', { tabindex: '-1' }, text), extra);
}

export const pct = (x) => (x == null ? '—' : Math.round(x * 100) + ' %');

/** a figure of an object that may be suppressed (§16.3): null in a suppressed object is "fewer
 *  than 5" for a count of people, "hidden" for a figure derived from one (never guessed), else a
 *  dash; f formats a shown value (a count by default) */
export const count = (n, o, f = fmtNum, hidden = 'suppressed') => (n == null ? (o?.suppressed ? t(hidden) : '—') : f(n));
