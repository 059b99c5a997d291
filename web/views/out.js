// Who is out now (overdue first, highlighted), signing back in, and signing a resident out.
import { api } from '../js/api.js';
import { h, clear, sel, badge } from '../js/dom.js';
import { formFor } from '../js/form.js';
import { t, en, fmtDT, fmtDuration } from '../js/i18n.js';
import { tz, heading, loadBoard, loadOut, namesByStay, flash, may } from '../js/core.js';

/** the sign-out form (purpose, where to, expected back: in 3 hours, on the quarter hour); who: the
 *  field of the stay (a path value) where the form chooses it, o: formFor's options */
export function signOutForm(who, o) {
  const back = Math.ceil((Date.now() + 3 * 3600e3) / 900e3) * 900e3;
  return formFor('movements.create', [h('h2', null, t('sign_out_title')), who,
    [{ name: 'purpose', label: 'purpose', enum: 'purpose' }, { name: 'destination', label: 'where_to' }],
    { name: 'expected_back_at', label: 'expected_back', value: back }], { submit: t('sign_out_btn'), ...o });
}
/** a one-button form that signs a movement back in */
export function returnForm(m, name, done) {
  return formFor('movements.return', [], {
    class: 'bare', submit: [t('sign_in_btn'), { class: 'small', 'data-movement': m.id }],
    send: (body, key) => api('POST', `/movements/${m.id}/return`, { body, key }),
    done(r) { flash(t(r.late ? 'signed_in_late' : 'signed_in', { name })); return done(); },
  });
}

export default async function out(box) {
  let [moves, board] = await Promise.all([loadOut(), loadBoard()]);
  const listBox = h('div');
  const sections = [heading(t('out_title')), listBox];
  let signOut = null;
  if (may('movements.create')) {
    signOut = signOutForm({ path: 'stay_id', label: 'resident', control: sel('stay_id', []) }, {
      class: 'narrow',
      send: (body, key, { stay_id }) => api('POST', `/stays/${stay_id}/movements`, { body, key }),
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
        may('movements.return') ? h('div', { class: 'actions' }, returnForm(m, name, reload)) : null);
    })) : h('p', { class: 'alert ok' }, t('nobody_out')));
    if (signOut) {
      const outStays = new Set(moves.map((m) => m.stay_id));
      const inHouse = board.filter((b) => b.occupant && !outStays.has(b.occupant.stay_id))
        .map((b) => [b.occupant.stay_id, b.occupant.full_name + ' (' + b.room_code + ' · ' + b.label + ')'])
        .sort((a, b) => a[1].localeCompare(b[1]));
      // a new list of who is in, in the place (and under the label) of the old one
      const old = signOut.elements.stay_id;
      const s = sel('stay_id', inHouse, { id: old.id, required: true }, inHouse.length ? t('choose') : t('nobody_in'));
      if (inHouse.some((x) => x[0] === old.value)) s.value = old.value;
      old.replaceWith(s);
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
