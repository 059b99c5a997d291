// Who is out now (overdue first, highlighted), signing back in, and signing a resident out.
import { api } from '../js/api.js';
import { h, clear, fld, inp, sel, btn, values, onSubmit, localError, badge, limits, choices } from '../js/dom.js';
import { t, en, fmtDT, fmtDuration, isoToLocal } from '../js/i18n.js';
import { tz, heading, loadBoard, loadOut, namesByStay, flash, can } from '../js/core.js';

/** the inputs of a sign-out (purpose, where to, expected back: in 3 hours, on the quarter hour) */
export function signOutFields() {
  const back = Math.ceil((Date.now() + 3 * 3600e3) / 900e3) * 900e3;
  return [h('div', { class: 'grid2' },
    fld(t('purpose'), sel('purpose', choices('movements.create', 'purpose', 'purpose'), limits('movements.create', 'purpose'), t('choose'))),
    fld(t('where_to'), inp('destination', limits('movements.create', 'destination')))),
  fld(t('expected_back'), inp('expected_back_at', { type: 'datetime-local', 'data-type': 'datetime', required: true, value: isoToLocal(back, tz()) }), t('house_time', { tz: tz() }))];
}
export function signOutBuild(form) {
  const v = values(form, tz());
  const missing = ['stay_id', 'purpose', 'expected_back_at'].filter((k) => !v[k]);
  if (missing.length) throw localError(missing);
  return v;
}
/** a one-button form that signs a movement back in */
export function returnForm(m, name, done) {
  const f = h('form', { class: 'bare', novalidate: true }, btn(t('sign_in_btn'), { class: 'small', 'data-movement': m.id }));
  onSubmit(f, {
    build: () => ({}),
    send: (body, key) => api('POST', `/movements/${m.id}/return`, { body, key }),
    done(r) { flash(t(r.late ? 'signed_in_late' : 'signed_in', { name })); return done(); },
  });
  return f;
}

export default async function out(box) {
  let [moves, board] = await Promise.all([loadOut(), loadBoard()]);
  const listBox = h('div');
  const sections = [heading(t('out_title')), listBox];
  let signOut = null;
  if (can('stay')) {
    signOut = h('form', { novalidate: true, class: 'narrow' }, h('h2', null, t('sign_out_title')), h('div', { class: 'who-box' }), signOutFields(), h('div', { class: 'actions' }, btn(t('sign_out_btn'))));
    onSubmit(signOut, {
      build() {
        const v = signOutBuild(signOut);
        const { stay_id, ...body } = v;
        return { stay_id, body };
      },
      send: ({ stay_id, body }, key) => api('POST', `/stays/${stay_id}/movements`, { body, key }),
      async done(m) {
        flash(t('signed_out', { name: namesByStay(board).get(m.stay_id) || '' }));
        signOut.reset();
        await reload();
      },
      fieldFor: { already_out: 'stay_id', stay_closed: 'stay_id' },
    });
    sections.push(signOut);
  }
  clear(box, sections);

  function render() {
    const names = namesByStay(board);
    const now = Date.now();
    clear(listBox, moves.length ? h('ul', { class: 'list', id: 'out-list' }, moves.map((m) => {
      const name = names.get(m.stay_id) || '—';
      const late = Date.parse(m.expected_back_at) < now;
      return h('li', { class: m.overdue || late ? 'overdue' : '', 'data-stay': m.stay_id },
        h('div', { class: 'row' }, h('strong', { class: 'grow' }, h('a', { href: '#/stay/' + m.stay_id }, name)),
          m.overdue || late ? badge(t('overdue_by', { d: fmtDuration(now - Date.parse(m.expected_back_at)) }), 'overdue') : null),
        h('div', { class: 'muted' }, en('purpose', m.purpose) + (m.destination ? ' · ' + m.destination : '')),
        h('div', null, t('out_since') + ': ' + fmtDT(m.out_at, tz()) + ' · ' + t('expected_back') + ': ', h('strong', null, fmtDT(m.expected_back_at, tz()))),
        can('stay') ? h('div', { class: 'actions' }, returnForm(m, name, reload)) : null);
    })) : h('p', { class: 'alert ok' }, t('nobody_out')));
    if (signOut) {
      const outStays = new Set(moves.map((m) => m.stay_id));
      const inHouse = board.filter((b) => b.occupant && !outStays.has(b.occupant.stay_id))
        .map((b) => [b.occupant.stay_id, b.occupant.full_name + ' (' + b.room_code + ' · ' + b.label + ')'])
        .sort((a, b) => a[1].localeCompare(b[1]));
      const prev = signOut.elements.stay_id?.value;
      const s = sel('stay_id', inHouse, { required: true }, inHouse.length ? t('choose') : t('nobody_in'));
      if (prev && inHouse.some((x) => x[0] === prev)) s.value = prev;
      clear(signOut.querySelector('.who-box'), fld(t('resident'), s));
    }
  }
  async function reload() {
    [moves, board] = await Promise.all([loadOut(), loadBoard()]);
    if (box.isConnected) render();
  }
  render();
  const tick = setInterval(() => { if (!box.isConnected) clearInterval(tick); else if (moves.length) render(); }, 60000);
  return {
    onEvent(ev) {
      if (ev.type === 'open' || /^(stay|movement)\./.test(ev.type)) reload().catch(() => {});
    },
  };
}
