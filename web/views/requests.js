// Data-subject requests (permintaan subjek data, contract §18.6), for caseworkers, managers and
// admins: the house's worklist (open ones first by due time, so the overdue ones lead, each with a
// clock that counts down to due_at — 3×24 hours after it was received — or up since), and the
// resident page's panel with the resident's own requests and the form to record one. An open
// request is answered or refused (with its legal ground) from either place; the server's 409s
// (already closed, an erasure the stay or the supervision blocks) are said in the form.
import { api, getAll, qs, ApiError } from '../js/api.js';
import { h, clear, fld, sel, badge, fold } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { pager } from '../js/list.js';
import { t, en, options, fmtDT, fmtDuration, fmtD } from '../js/i18n.js';
import { state, tz, heading, flash, may } from '../js/core.js';

/** what the due clock says now: time left until due_at, or how late */
const clockText = (due) => {
  const ms = Date.parse(due) - Date.now();
  return ms > 0 ? t('dr_due_in', { d: fmtDuration(ms) }) : t('overdue_by', { d: fmtDuration(-ms) });
};
/** the status of a request as a badge: a live clock while it is open */
function statusBadge(q) {
  if (q.status !== 'open') return badge(en('dr_status', q.status) + (q.answered_late ? ' · ' + t('dr_late') : ''), q.status === 'answered' ? 'free' : '');
  const late = Date.parse(q.due_at) <= Date.now();
  return h('span', { class: 'badge ' + (late ? 'overdue' : 'out'), 'data-due': q.due_at }, clockText(q.due_at));
}
/** redraws every clock of box (each minute), and turns a clock red when its time is up */
export function tickClocks(box) {
  const timer = setInterval(() => {
    if (!box.isConnected) { clearInterval(timer); return; }
    for (const el of box.querySelectorAll('[data-due]')) {
      el.textContent = clockText(el.dataset.due);
      el.classList.toggle('overdue', Date.parse(el.dataset.due) <= Date.now());
      el.classList.toggle('out', Date.parse(el.dataset.due) > Date.now());
    }
  }, 30000);
}

/** a send() whose 409 problems of these codes carry the console's own words as their detail */
export const explained = (call, words) => call.catch((err) => {
  if (err instanceof ApiError && words[err.code]) err.detail = words[err.code];
  throw err;
});

/** answer or refuse: the response is asked for an answer, the legal ground for a refusal; no
 *  If-Match, so that a request closed meanwhile is said as such (409 request_closed, not 412) */
function closeForm(q, done) {
  const f = formFor('data_requests.close', [
    { name: 'status', label: 'dr_close_as', enum: 'dr_status', value: 'answered' },
    { name: 'response', label: 'dr_response', attrs: { rows: 3, required: true }, hint: t('dr_response_hint') },
    { name: 'refusal_reason', label: 'dr_refusal_reason', attrs: { rows: 2, required: true }, hint: t('dr_refusal_hint') },
    { name: 'answered_at', label: 'dr_answered_at' },
  ], {
    class: 'bare', submit: t('dr_close_btn'),
    send: (body, key) => explained(api('POST', `/data-requests/${q.id}/close`, { body, key }),
      { request_closed: t('dr_closed_already'), erasure_blocked: t('dr_erasure_blocked') }),
    done(r) { flash(t(r.status === 'answered' ? 'dr_answered' : 'dr_refused')); return done(); },
  });
  const st = f.elements.status;
  const sync = () => {
    for (const [name, on] of [['response', st.value === 'answered'], ['refusal_reason', st.value === 'refused']]) {
      f.elements[name].disabled = !on;
      f.elements[name].required = on;
      f.elements[name].closest('.field').hidden = !on;
    }
  };
  st.addEventListener('change', sync);
  sync();
  return fold('dr-close-' + q.id, t('dr_close'), f);
}

/** one request: kind, received, due clock; resident (worklist); details, answer; the close form */
function requestItem(q, reload, withName) {
  return h('li', { 'data-id': q.id, 'data-status': q.status, class: q.overdue ? 'overdue' : null },
    h('div', { class: 'row' }, h('strong', { class: 'grow' }, withName ? h('a', { href: '#/resident/' + q.resident_id }, q.full_name) : en('dr_kind', q.kind)),
      statusBadge(q)),
    h('p', null, withName ? en('dr_kind', q.kind) + ' · ' : null, t('dr_received') + ' ' + fmtDT(q.received_at, tz()),
      ' · ' + t('dr_due') + ' ' + fmtDT(q.due_at, tz())),
    q.details ? h('p', { class: 'note-text muted' }, q.details) : null,
    q.status !== 'open' ? h('p', { class: 'note-text' }, h('strong', null, en('dr_status', q.status) + ' ' + fmtDT(q.answered_at, tz()) + ': '), q.response || q.refusal_reason) : null,
    q.status === 'open' && may('data_requests.close') ? closeForm(q, reload) : null);
}

/** the form of a new request; a withdrawal may name one active consent (none: all of them) */
function newForm(id, consents, rerender) {
  const cs = sel('consent_id', consents.map((c) => [c.id, en('consent_purpose', c.purpose) + ' · ' + fmtD(c.given_on) + '–' + fmtD(c.expires_on)]), {}, t('dr_all_consents'));
  const f = formFor('data_requests.create', [
    [{ name: 'kind', label: 'dr_kind_label', enum: 'dr_kind' }, { name: 'received_at', label: 'dr_received_at' }],
    { name: 'consent_id', label: 'dr_consent', control: cs, required: false },
    { name: 'details', label: 'dr_details', attrs: { rows: 3 } },
  ], {
    id: 'dr-form', class: 'bare', submit: t('dr_record'),
    send: (body, key) => api('POST', `/residents/${id}/requests`, { body, key }),
    done() { flash(t('dr_recorded')); rerender(); },
  });
  const kind = f.elements.kind;
  const sync = () => { cs.disabled = kind.value !== 'withdrawal'; cs.closest('.field').hidden = cs.disabled; };
  kind.addEventListener('change', sync);
  sync();
  return fold('dr-new-box', t('dr_new'), f);
}

/** the resident page's panel, or null for a role that may not read requests */
export async function requestPanel(id, rerender) {
  if (!may('data_requests.list_resident')) return null;
  const [items, consents] = await Promise.all([getAll(`/residents/${id}/requests`, 200),
    may('consents.list_resident') ? getAll(`/residents/${id}/consents?status=active`, 200) : []]);
  const box = h('section', { id: 'requests', 'aria-labelledby': 'requests-title' },
    h('h2', { id: 'requests-title' }, t('dr_title')),
    items.length ? h('ul', { class: 'list compact', id: 'dr-list' }, items.map((q) => requestItem(q, rerender, false)))
      : h('p', { class: 'muted' }, t('none')),
    may('data_requests.create') ? newForm(id, consents, rerender) : null);
  tickClocks(box);
  return box;
}

export default async function requests(box, { query }) {
  const st = sel('status', [['open', t('dr_open_only')], ...options('dr_status').filter(([v]) => v !== 'open')], { value: query.status ?? 'open' }, t('all'));
  const kind = sel('kind', options('dr_kind'), { value: query.kind || '' }, t('all'));
  const form = h('form', { class: 'inline', role: 'search' }, fld(t('status'), st), fld(t('dr_kind_label'), kind), h('button', { type: 'submit' }, t('show')));
  const list = pager({ row: (q) => requestItem(q, load, true), attrs: { class: 'list', id: 'dr-worklist' }, empty: t('dr_none') });
  function load() {
    history.replaceState(null, '', '#/requests' + qs({ status: st.value === 'open' ? '' : st.value || 'all', kind: kind.value }));
    return list.load('/data-requests', { house_id: state.houseId, status: st.value, kind: kind.value });
  }
  if (query.status === 'all') st.value = '';
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  clear(box, heading(t('nav_requests')), h('p', { class: 'muted' }, t('dr_hint')), form, list.el);
  await load();
  tickClocks(box);
  // a request recorded or closed elsewhere: read again, never under a form being filled in
  let soon = null;
  return {
    onEvent(ev) {
      if (!/^data_request\./.test(ev.type)) return;
      clearTimeout(soon);
      soon = setTimeout(() => { if (box.isConnected && !box.querySelector('details[open]')) load(); }, 500);
    },
  };
}
