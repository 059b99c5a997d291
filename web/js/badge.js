// The header's count of open critical alerts (§15.5). There is no alert.raised event: an alert
// arises from a change or from the passing of time, so the count is read again (GET /alerts,
// critical, not acknowledged) when a live event arrives and every 60 seconds.
import { get, qs } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { state, may } from './core.js';

let count = 0, more = false, timer = null, soon = null, seq = 0;

/** the link to the alerts page with the count; drawn again by every header */
export function alertBadge() {
  if (!may('alerts.list')) return null;
  const n = more ? count + '+' : String(count);
  return h('a', { id: 'alert-badge', class: 'alert-badge' + (count ? ' on' : ''), href: '#/alerts?severity=critical',
    title: t('alerts_badge', { n }), 'aria-label': t('alerts_badge', { n }) }, t('nav_alerts'), h('b', null, n));
}

function paint() {
  const old = document.getElementById('alert-badge');
  if (old) old.replaceWith(alertBadge());
}

/** re-reads the count now (a newer read wins) */
export async function refreshBadge() {
  if (!state.user || !state.houseId || !may('alerts.list')) return;
  const mine = ++seq;
  try {
    const r = await get('/alerts' + qs({ house_id: state.houseId, severity: 'critical', acknowledged: false, limit: 200 }));
    if (mine !== seq) return;
    count = r.items.length;
    more = !!r.next_cursor;
    paint();
  } catch { /* the API is away: the last count stays until the next read */ }
}

/** a live event: any change may raise or clear an alert; a burst of events is one read */
export function badgeEvent() {
  clearTimeout(soon);
  soon = setTimeout(refreshBadge, 400);
}

export function startBadge() {
  stopBadge();
  refreshBadge();
  timer = setInterval(refreshBadge, 60000);
}
export function stopBadge() {
  clearInterval(timer);
  clearTimeout(soon);
  timer = null;
  count = 0;
  more = false;
  seq++;
}
