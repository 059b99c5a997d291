// The console's shell: login state, header, navigation by role, hash routing, live events.
import { api, session, onUnauthorized, ApiError } from './api.js';
import { h, clear, failBox } from './dom.js';
import { t, en, lang, setLang } from './i18n.js';
import { state, setHouse, role, may, flash } from './core.js';
import { startEvents } from './sse.js';
import { alertBadge, startBadge, stopBadge, badgeEvent, refreshBadge } from './badge.js';

// route → [module, the operation whose roles (spec.js) may open it, nav label (shown in the menu when set)]
const ROUTES = {
  caseload: ['caseload', 'caseload.list', 'nav_caseload'],
  tonight: ['tonight', 'houses.tonight', 'nav_tonight'],
  board: ['board', 'beds.board', 'nav_board'],
  checkin: ['checkin', 'stays.checkin', 'nav_checkin'],
  out: ['out', 'movements.list', 'nav_out'],
  rollcall: ['rollcall', 'roll_calls.list', 'nav_rollcall'],
  violation: ['violation', 'violations.create', 'nav_violation'],
  residents: ['residents', 'residents.list', 'nav_residents'],
  referrals: ['referrals', 'referrals.list', 'nav_referrals'],
  worklist: ['worklist', 'exit_plans.worklist', 'nav_worklist'],
  // §18.6, §18.8: admins, managers and caseworkers (spec.js), never staff or partner users
  requests: ['requests', 'data_requests.list', 'nav_requests'],
  'follow-ups': ['followups', 'follow_ups.list', 'nav_follow_ups'],
  // every role may read occupancy and census; the menu offers the reports to those who may
  // read all of them (the exits report), as it did before the roles came from spec.js
  occupancy: ['reports', 'reports.exits', 'nav_occupancy'],
  census: ['reports', 'reports.exits', 'nav_census'],
  exits: ['reports', 'reports.exits', 'nav_exits'],
  forecast: ['reports', 'reports.forecast', 'nav_forecast'],
  manage: ['manage', 'rooms.create', 'nav_manage'],
  programmes: ['programmes', 'programmes.list', 'nav_programmes'],
  // managers, admins and partner users (a partner's own, suppressed: §16.3)
  'programme-report': ['progreport', 'reports.programme', 'nav_prog_report'],
  // managers, admins and partner users (its partner's participants, suppressed: §18.9)
  outcomes: ['reports', 'reports.outcomes', 'nav_outcomes'],
  // house users only: a partner's user reads its own partner through its programmes, not a list
  partners: ['partners', 'houses.list', 'nav_partners'],
  alerts: ['alerts', 'alerts.list', 'nav_alerts'],
  audit: ['audit', 'audit.list', 'nav_audit'],
  // §18.4: admins and managers (spec.js)
  disclosures: ['disclosures', 'disclosures.list', 'nav_disclosures'],
  stay: ['stay', 'stays.get'],
  resident: ['resident', 'residents.get'],
  referral: ['referral', 'referrals.get'],
  plan: ['plan', 'exit_plans.get'],
  programme: ['programmes', 'programmes.get'],
  session: ['programmes', 'sessions.get'],
  business: ['business', 'businesses.get'],
};

const $ = (id) => document.getElementById(id);
/** the home page: a caseworker's is the caseload (§15 console), a partner's its programmes,
 *  everyone else's the bed board */
const home = () => (role() === 'partner' ? '#/programmes' : role() === 'caseworker' && may('caseload.list') ? '#/caseload' : '#/board');
let view = null; // {onEvent?} of the current view
let stopEvents = null;
let liveState = 'off';
let renderSeq = 0;

function parseHash() {
  const [path, q] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...args] = path.split('/').map(decodeURIComponent);
  return { name: name || '', args, query: Object.fromEntries(new URLSearchParams(q || '')) };
}

// ---- header and navigation
function renderHeader() {
  const top = $('top');
  const langBtn = h('button', { type: 'button', class: 'link lang', lang: lang() === 'id' ? 'en' : 'id', 'aria-label': t('lang_switch_label'), onclick: () => { setLang(lang() === 'id' ? 'en' : 'id'); renderHeader(); route(); } }, t('lang_switch'));
  const brand = h('a', { class: 'brand', href: state.user ? home() : '#/login' }, h('img', { src: 'favicon.svg', alt: '', width: 28, height: 28 }), h('span', null, t('app')));
  if (!state.user) {
    clear(top, brand, h('div', { class: 'tools' }, langBtn));
    clear($('nav'));
    return;
  }
  let housePick = null;
  if (state.houses.length > 1) {
    const s = h('select', { id: 'house-pick', onchange: (e) => { setHouse(e.target.value); refreshBadge(); route(); } },
      state.houses.map((x) => h('option', { value: x.id }, x.code + ' — ' + x.name)));
    s.value = state.houseId;
    housePick = h('div', { class: 'house-pick' }, h('label', { for: 'house-pick' }, t('house')), s);
  } else if (state.houses[0]) {
    housePick = h('span', { class: 'house-name' }, state.houses[0].name);
  }
  const live = h('span', { id: 'live', class: 'live ' + liveState, role: 'status' }, liveText());
  clear(top, brand, housePick, h('div', { class: 'tools' }, alertBadge(), live,
    h('span', { class: 'who' }, state.user.full_name || state.user.username, h('small', null, en('role', role()))),
    langBtn, h('button', { type: 'button', class: 'link', onclick: logout }, t('logout'))));
  const n = parseHash().name;
  const cur = { programme: 'programmes', session: 'programmes', referral: 'referrals' }[n] || n; // a programme's pages are under its menu item
  clear($('nav'), h('ul', null, Object.entries(ROUTES).filter(([, r]) => r[2] && may(r[1])).map(([name, r]) =>
    h('li', null, h('a', { href: '#/' + name, 'aria-current': name === cur ? 'page' : null }, t(r[2]))))));
}
const liveText = () => t(liveState === 'live' ? 'live' : liveState === 'retry' ? 'live_retry' : 'live_off');
function setLive(s) {
  liveState = s;
  const el = $('live');
  if (el) { el.className = 'live ' + s; el.textContent = liveText(); }
}

// ---- session
async function loadSession() {
  // a partner user sees no house (§16.3: /houses is 404 to it)
  const partner = session.get()?.user?.role === 'partner';
  const [me, houses] = await Promise.all([api('GET', '/me'), partner ? { items: [] } : api('GET', '/houses?limit=200')]);
  state.user = me;
  session.setUser(me);
  state.houses = houses.items;
  const saved = sessionStorage.getItem('abipraya.house');
  const ids = state.houses.map((x) => x.id);
  setHouse(ids.includes(saved) ? saved : ids.includes(me.house_ids?.[0]) ? me.house_ids[0] : ids[0] || null);
}

export async function loggedIn(token, user) {
  session.save(token, user);
  await loadSession();
  startLive();
  renderHeader();
  const { query } = parseHash();
  location.hash = query.next && query.next !== '/login' ? '#' + query.next : home();
}

function startLive() {
  stopEvents?.();
  stopEvents = startEvents((ev) => { view?.onEvent?.(ev); badgeEvent(); }, setLive, expired);
  startBadge();
}

async function logout() {
  try { await api('POST', '/auth/logout'); } catch { /* the token dies with the session either way */ }
  endSession();
  location.hash = '#/login';
}
function endSession() {
  stopEvents?.();
  stopEvents = null;
  stopBadge();
  session.clear();
  state.user = null;
  state.houses = [];
  renderHeader();
}
function expired() {
  if (!state.user) return;
  endSession();
  flash(t('session_expired'), 'warn');
  location.hash = '#/login';
}
onUnauthorized(expired);

// ---- routing
async function route() {
  const seq = ++renderSeq;
  const { name, args, query } = parseHash();
  const main = $('main');
  view = null;
  if (!state.user) {
    if (name !== 'login') { location.replace('#/login' + (name ? '?next=/' + encodeURIComponent(location.hash.slice(2)) : '')); return; }
    const mod = await import('../views/login.js');
    if (seq !== renderSeq) return;
    const box = h('section', { class: 'view' });
    clear(main, box);
    mod.default(box, { query, loggedIn });
    return;
  }
  const r = ROUTES[name];
  if (!r) { location.replace(home()); return; }
  if (!state.houses.length && role() !== 'partner') await loadSession().catch(() => {}); // the API was away when the page loaded
  if (seq !== renderSeq) return;
  renderHeader();
  const box = h('section', { class: 'view', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('loading')));
  clear(main, box);
  if (!may(r[1])) { clear(box, failBox(t('err_forbidden_view'))); return; }
  try {
    const mod = await import(`../views/${r[0]}.js`);
    if (seq !== renderSeq) return;
    const v = await mod.default(box, { name, args, query, rerender: route });
    if (seq !== renderSeq) return;
    view = v || null;
  } catch (err) {
    if (seq !== renderSeq) return;
    if (!(err instanceof ApiError)) console.error(err);
    clear(box, failBox(err instanceof ApiError && err.status === 404 ? t('err_not_found') : err, route));
  } finally {
    box.removeAttribute('aria-busy');
  }
  if (seq === renderSeq && !document.activeElement?.closest('#main .view') ) box.querySelector('h1')?.focus({ preventScroll: true });
}

async function boot() {
  setLang(lang());
  const skip = document.querySelector('.skip');
  skip.textContent = t('skip');
  skip.addEventListener('click', (e) => { e.preventDefault(); $('main').focus(); });
  if (session.token) {
    try {
      await loadSession();
      startLive();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) session.clear();
      else if (session.get()?.user) {
        // the API is away (503, network): keep the session, the views show the problem
        state.user = session.get().user;
        state.houses = [];
        setHouse(sessionStorage.getItem('abipraya.house') || state.user.house_ids?.[0]);
        startLive();
      }
    }
  }
  renderHeader();
  window.addEventListener('hashchange', route);
  route();
}
boot();
