// The caseload (GET /caseload, §15.8), a caseworker's home page: their residents in residence or
// under supervision, the most urgent first (critical alerts, misses in a row, the next report due),
// with the legal basis and its end, the open alerts and the exit plan's readiness. Managers and
// admins see every caseworker's residents of the house.
import { h, clear, badge } from '../js/dom.js';
import { pager } from '../js/list.js';
import { t, en, fmtD } from '../js/i18n.js';
import { state, heading, role, pct } from '../js/core.js';

export default async function caseload(box) {
  const list = pager({
    cols: [t('resident'), t('legal_title'), t('supervision_ends_on'), t('next_due_on'), [t('consecutive_misses'), 'num'], [t('open_alerts'), 'num'], [t('readiness'), 'num']],
    attrs: { id: 'caseload' }, empty: t('caseload_none'),
    row: (c) => ({ attrs: { class: c.critical_alerts > 0 ? 'overdue' : null, 'data-resident': c.resident_id }, cells: [
      h('a', { href: '#/resident/' + c.resident_id }, c.full_name), en('basis_type', c.legal_basis_type) || '—',
      fmtD(c.supervision_ends_on) || '—', fmtD(c.next_due_on) || '—',
      c.consecutive_misses ? h('strong', null, c.consecutive_misses, c.revocation_risk ? h('span', { title: t('rep_risk') }, ' ⚠') : '') : '0',
      // one element: a narrow screen's card spreads a cell's children apart
      h('span', null, String(c.open_alerts), c.critical_alerts ? [' ', badge(t('critical_n', { n: c.critical_alerts }), 'overdue')] : null),
      c.exit_plan_readiness == null ? '—' : pct(c.exit_plan_readiness)] }),
  });
  clear(box, heading(t(role() === 'caseworker' ? 'caseload_title' : 'caseload_all')), list.el);
  const load = () => list.load('/caseload', { house_id: state.houseId });
  await load();
  let soon = null;
  // a report, an excuse, an acknowledgement or a new basis changes the counts: read again, once a burst is over
  return { onEvent() { clearTimeout(soon); soon = setTimeout(() => box.isConnected && load(), 500); } };
}
