// One list of a list route, page by page: limit and cursor to the server, each item drawn by the
// view, "Muat lebih banyak" while the answer has a next_cursor, a line when there is nothing,
// and the problem (with a retry) in place of a page that could not be loaded.
import { get, qs } from './api.js';
import { h, clear, failBox, tbl } from './dom.js';
import { t } from './i18n.js';

/** pager({ row, empty (the text when nothing is found), limit, attrs, cols }) → { el, load(path, query) }
 *  row(item) gives an <li> of a <ul attrs>, or with cols a row of tbl(cols, rows, attrs) (dom.js);
 *  load starts again from the first page (a newer load wins) */
export function pager({ row, empty = t('none'), limit = 50, attrs = { class: 'list' }, cols }) {
  const view = cols ? tbl(cols, [], attrs) : h('ul', attrs);
  const list = cols ? view.querySelector('tbody') : view;
  // a table's rows are drawn by tbl too, so that each cell keeps its label for narrow screens
  const draw = cols ? (items) => [...tbl(cols, items.map(row)).querySelector('tbody').children] : (items) => items.map(row);
  const foot = h('div');
  const el = h('div', null, view, foot);
  let path, query, cursor = null, seq = 0;

  async function page(first) {
    const mine = ++seq;
    el.setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await get(path + qs({ ...query, limit, cursor: first ? null : cursor }));
    } catch (err) {
      if (mine !== seq) return;
      if (first) { clear(list); view.hidden = true; }
      clear(foot, failBox(err, () => page(first)));
      return;
    } finally {
      if (mine === seq) el.removeAttribute('aria-busy');
    }
    if (mine !== seq) return;
    const rows = draw(r.items);
    if (first) clear(list, rows);
    else list.append(...rows);
    view.hidden = !list.children.length;
    cursor = r.next_cursor;
    clear(foot, list.children.length ? null : h('p', { class: 'muted' }, empty),
      cursor ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: more }, t('more'))) : null);
    // after "more", keyboard and screen reader users go on at the first new item
    if (!first) rows[0]?.querySelector('a,button,input')?.focus();
  }
  function more(e) {
    e.currentTarget.disabled = true; // one page per tap
    page(false);
  }
  return { el, load(p, q = {}) { path = p; query = q; return page(true); } };
}
