// Roll-call (apel, §17.7) on a phone: the house's open roll-call, one row per resident with a
// status button a thumb can hit (a tap cycles present → absent → excused → out), a note where
// the status needs one, "all present" for the rows not marked yet, one save that sends the rows
// changed, then close (or cancel, with a reason). With none open: open one (kind). The print
// sheet and the roster are downloaded as files (their own page, A4): the console's CSP does not
// let a page it opens run their inline style.
import { api, get } from '../js/api.js';
import { h, clear, fold, sel, inp, badge, onSubmit, localError } from '../js/dom.js';
import { t, en, fmtDT } from '../js/i18n.js';
import { state, tz, heading, flash, may, houseHour, download } from '../js/core.js';

const CYCLE = ['present', 'absent', 'excused', 'out'];
const KINDS = ['morning', 'evening', 'night', 'extra'];

/** the kind a roll-call opened now is likely to be, by the house's clock */
function likelyKind() {
  const hour = houseHour();
  return hour < 11 ? 'morning' : hour < 19 ? 'evening' : 'night';
}

function openForm(reload) {
  const kind = sel('kind', KINDS.map((k) => [k, en('roll_call_kind', k)]), { id: 'rc-kind', required: true });
  kind.value = likelyKind();
  const form = h('form', { id: 'rc-open', class: 'narrow', novalidate: true },
    h('label', { for: 'rc-kind' }, t('rc_kind')), kind, h('p', null, h('button', { type: 'submit' }, t('rc_open_btn'))));
  onSubmit(form, {
    build: () => ({ kind: kind.value }),
    send: (body, key) => api('POST', `/houses/${state.houseId}/roll-calls`, { body, key }),
    done() { flash(t('rc_opened')); return reload(); },
  });
  return form;
}

function sheet(rc, reload) {
  const writable = may('roll_calls.marks');
  const cur = rc.lines.map((l) => ({ status: l.status, note: l.note || '' }));
  const needsNote = (l, c) => c.status === 'excused' || (c.status === 'out' && !l.movement_id);
  const tally = h('p', { class: 'muted', 'aria-live': 'polite' });
  const buttons = [], notes = [];
  const rows = rc.lines.map((l, i) => {
    buttons[i] = h('button', { type: 'button', disabled: !writable,
      onclick() { cur[i].status = CYCLE[(CYCLE.indexOf(cur[i].status) + 1) % CYCLE.length]; draw(i); } });
    notes[i] = inp('note', { value: cur[i].note, maxlength: 500, placeholder: t('rc_note'), 'aria-label': l.full_name + ': ' + t('rc_note'),
      oninput() { cur[i].note = notes[i].value; } });
    return h('li', { class: 'field', 'data-resident': l.resident_id },
      h('span', { class: 'who' }, l.full_name, h('span', { class: 'hint where' }, l.room_code + ' · ' + l.bed_label
        + (l.expected_back_at ? ' · ' + t('expected_back') + ' ' + fmtDT(l.expected_back_at, tz()) : ''))),
      buttons[i], notes[i]);
  });
  function draw(i) {
    const b = buttons[i], s = cur[i].status;
    b.dispatchEvent(new Event('change', { bubbles: true }));
    b.className = 'st ' + s;
    b.textContent = en('roll_call_mark', s);
    b.setAttribute('aria-label', rc.lines[i].full_name + ': ' + b.textContent);
    notes[i].hidden = !needsNote(rc.lines[i], cur[i]) && !cur[i].note;
    rows[i].dataset.status = s;
    tally.textContent = ['present', 'absent', 'excused', 'out', 'unmarked']
      .map((x) => en('roll_call_mark', x) + ' ' + cur.filter((c) => c.status === x).length).join(' · ');
  }
  rows.forEach((_, i) => draw(i));
  const form = h('form', { id: 'rc-form', class: 'bare', novalidate: true },
    writable ? h('p', null, h('button', { type: 'button', class: 'secondary', id: 'rc-all',
      onclick() { cur.forEach((c, i) => { if (c.status === 'unmarked') { c.status = 'present'; draw(i); } }); } }, t('att_all_present'))) : null,
    h('ol', { class: 'sheet' }, rows), h('div', { class: 'sheet-bar' }, tally, writable ? h('button', { type: 'submit' }, t('rc_save')) : null));
  if (writable) onSubmit(form, {
    build() {
      // the rows changed, in sheet order; their controls take the names the server's errors use
      const changed = rc.lines.map((l, i) => i).filter((i) => cur[i].status !== rc.lines[i].status || cur[i].note !== (rc.lines[i].note || ''));
      buttons.forEach((b) => b.removeAttribute('name'));
      notes.forEach((n) => n.setAttribute('name', 'note'));
      changed.forEach((i, k) => { buttons[i].name = `marks[${k}].status`; notes[i].name = `marks[${k}].note`; });
      const missing = changed.map((i, k) => (needsNote(rc.lines[i], cur[i]) && !cur[i].note.trim() ? `marks[${k}].note` : null)).filter(Boolean);
      if (!changed.length) throw localError(['marks']);
      if (missing.length) throw localError(missing);
      return { marks: changed.map((i) => ({ resident_id: rc.lines[i].resident_id, status: cur[i].status,
        ...(cur[i].note.trim() ? { note: cur[i].note.trim() } : {}) })) };
    },
    send: (body, key) => api('POST', `/roll-calls/${rc.id}/marks`, { body, key }),
    done() { flash(t('rc_saved')); return reload(); },
  });
  return form;
}

function finishForms(rc, reload) {
  if (!may('roll_calls.close')) return null;
  const close = h('form', { id: 'rc-close', class: 'bare' }, h('button', { type: 'submit' }, t('rc_close_btn')));
  onSubmit(close, {
    build: () => ({}),
    send: (body, key) => api('POST', `/roll-calls/${rc.id}/close`, { body, key }),
    done() { flash(t('rc_closed')); return reload(); },
  });
  const reason = inp('reason', { required: true, maxlength: 500, id: 'rc-reason' });
  const cancel = h('form', { id: 'rc-cancel', class: 'bare', novalidate: true }, h('label', { for: 'rc-reason' }, t('rc_cancel_reason')), reason,
    h('button', { type: 'submit', class: 'secondary' }, t('rc_cancel_btn')));
  onSubmit(cancel, {
    build() { if (!reason.value.trim()) throw localError(['reason']); return { reason: reason.value.trim() }; },
    send: (body, key) => api('POST', `/roll-calls/${rc.id}/cancel`, { body, key }),
    done() { flash(t('rc_cancelled')); return reload(); },
  });
  return h('div', { class: 'actions' }, close, fold('rc-cancel-fold', t('rc_cancel_btn'), cancel));
}

export default async function rollcall(box) {
  let dirty = false;
  async function reload() {
    const open = (await get(`/houses/${state.houseId}/roll-calls?status=open&limit=1`)).items[0];
    const rc = open ? await get(`/roll-calls/${open.id}`) : null;
    const last = rc ? null : (await get(`/houses/${state.houseId}/roll-calls?status=closed&limit=200`)).items.at(-1);
    const printBtn = (id) => h('button', { type: 'button', class: 'secondary small',
      onclick: () => download(`/roll-calls/${id}`, 'text/html', `apel-${id.slice(0, 8)}.html`).catch((e) => flash(e.words || String(e), 'error')) }, t('rc_print'));
    const roster = h('button', { type: 'button', class: 'secondary small', id: 'rc-roster',
      onclick: () => download(`/houses/${state.houseId}/roster`, 'text/html', 'daftar-penghuni.html').catch((e) => flash(e.words || String(e), 'error')) }, t('rc_roster'));
    if (!box.isConnected) return;
    dirty = false;
    clear(box, heading(t('nav_rollcall'), roster),
      rc ? [h('p', null, badge(en('roll_call_kind', rc.kind)), ' ', fmtDT(rc.at, tz()), ' · ', rc.created_by_name, ' ', printBtn(rc.id)),
        sheet(rc, reload), finishForms(rc, reload)]
        : [h('p', { class: 'muted' }, t('rc_none_open')),
          last ? h('p', null, t('rc_last', { kind: en('roll_call_kind', last.kind), at: fmtDT(last.closed_at, tz()) }), ' ', printBtn(last.id)) : null,
          may('roll_calls.create') ? openForm(reload) : null]);
    box.querySelector('#rc-form')?.addEventListener('click', () => { dirty = true; });
  }
  await reload();
  return {
    // another device's marks redraw the sheet, unless this one has changes not yet saved
    onEvent(ev) {
      if (ev.type === 'open' || (/^roll_call\./.test(ev.type) && !dirty)) reload().catch(() => {});
    },
  };
}
