// Building the page without innerHTML (data never becomes markup), forms, and API errors on forms.
import { ApiError, newKey } from './api.js';
import { t, fieldMsg, localToIso } from './i18n.js';

function add(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}
function attrs(el, a) {
  for (const k in a) {
    const v = a[k];
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
}
/** h('p', {class: 'x', onclick: fn}, 'text', child, [more]) */
export function h(tag, a, ...kids) {
  const el = document.createElement(tag);
  add(el, kids);
  if (a) attrs(el, a);
  return el;
}
export function svg(tag, a, ...kids) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  add(el, kids);
  if (a) attrs(el, a);
  return el;
}
export const clear = (el, ...kids) => { el.replaceChildren(); add(el, kids); return el; };

// ---- form controls
let seq = 0;
export const uid = (p = 'f') => p + ++seq;

/** a labelled control: <div class=field><label/>control<small hint/></div> */
export function fld(label, el, hint) {
  const id = el.id || (el.id = uid());
  const kids = [h('label', { for: id }, label, el.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null), el];
  if (hint) {
    kids.push(h('small', { id: id + '-h', class: 'hint' }, hint));
    el.setAttribute('aria-describedby', id + '-h');
  }
  return h('div', { class: 'field' }, kids);
}
export const inp = (name, a = {}) => h('input', { name, type: 'text', ...a });
export const area = (name, a = {}) => h('textarea', { name, rows: 3, ...a });
/** options: [[value, label], …] or [{group, items: [[v, l]…]}]; first: a placeholder label */
export function sel(name, options, a = {}, first) {
  const o = (v, l) => h('option', { value: v }, l);
  const el = h('select', { name }, first != null ? o('', first) : null,
    options.map((x) => (Array.isArray(x) ? o(x[0], x[1]) : h('optgroup', { label: x.group }, x.items.map((i) => o(i[0], i[1]))))));
  attrs(el, a);
  return el;
}
export function check(name, label, a = {}) {
  const el = h('input', { type: 'checkbox', name, id: uid(), ...a });
  return h('div', { class: 'field check' }, el, h('label', { for: el.id }, label));
}
export const btn = (label, a = {}) => h('button', { type: 'submit', ...a }, label);

/** the named values of a form: checkboxes as booleans, data-type=datetime (house time) as RFC 3339,
 *  data-type=int as numbers, "a.b" names nested; empty values left out (or null with nulls) */
export function values(form, tz, nulls = false) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.dataset.skip != null) continue;
    if (el.type === 'radio' && !el.checked) continue;
    let v = el.type === 'checkbox' ? el.checked : el.value.trim();
    if (v === '') { if (!nulls) continue; v = null; }
    else if (el.dataset.type === 'datetime') v = localToIso(v, tz);
    else if (el.dataset.type === 'int') v = parseInt(v, 10);
    const path = el.name.split('.');
    let o = out;
    while (path.length > 1) o = o[path[0]] ||= {}, path.shift();
    o[path[0]] = v;
  }
  return out;
}

export function localError(errors) {
  return new ApiError(422, { title: t('err_fields'), errors: errors.map((f) => ({ field: f, message: t('err_required') })) });
}

// ---- errors on forms
function clearFieldError(el) {
  if (!el.hasAttribute?.('aria-invalid')) return;
  document.getElementById(el.id + '-err')?.remove();
  el.removeAttribute('aria-invalid');
  const d = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.endsWith('-err')).join(' ');
  d ? el.setAttribute('aria-describedby', d) : el.removeAttribute('aria-describedby');
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error,.form-alert').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach(clearFieldError);
}

/** problem words in an alert at the top of the form, and each errors[] entry next to its field;
 *  fieldFor maps a problem code (e.g. bed_occupied) to the field it concerns */
export function showError(form, err, fieldFor = {}) {
  const alert = h('div', { class: 'alert error form-alert', role: 'alert', tabindex: '-1' }, h('strong', null, err.words));
  const minor = [];
  if (err.detail && err.status && err.status < 500 && !err.errors.length) minor.push(err.detail);
  if ((err.status === 503 || err.status === 429) && err.title) minor.push(err.title);
  if (err.retryAfter && err.status === 503) minor.push(t('err_retry_after', { s: err.retryAfter }));
  if (minor.length) alert.append(h('p', null, minor.join(' · ')));
  let errs = err.errors;
  if (!errs.length && fieldFor[err.code]) errs = [{ field: fieldFor[err.code], message: err.detail || err.title }];
  let first = null;
  const loose = [];
  for (const fe of errs) {
    let el = form.elements.namedItem(fe.field);
    if (el && !(el instanceof Element)) el = el[0]; // radio group
    const box = el?.closest('.field,fieldset');
    if (!el || !box) { loose.push(h('li', null, fe.field + ': ' + fieldMsg(fe.message))); continue; }
    const id = (el.id || (el.id = uid())) + '-err';
    if (!box.querySelector('#' + CSS.escape(id))) box.append(h('p', { class: 'field-error', id }, fieldMsg(fe.message)));
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', ((el.getAttribute('aria-describedby') || '') + ' ' + id).trim());
    first ||= el;
  }
  if (loose.length) alert.append(h('ul', null, loose));
  // an alert that only points at marked fields goes with the last of their errors (onSubmit)
  if (first && !loose.length && !minor.length) alert.dataset.fieldsOnly = '';
  form.prepend(alert);
  (first || alert).focus();
  if (!first) alert.scrollIntoView({ block: 'nearest' });
}

/** submit handling: one Idempotency-Key per submission, reused while the same body is retried after
 *  a network failure or 5xx (so a retry never does the work twice); a new body or a definite answer
 *  starts a new key. Double taps are ignored while a request is in flight. Values stay on failure. */
export function onSubmit(form, { build, send, done, fieldFor }) {
  let key = null, sig = null;
  // a field's error goes as soon as the field is changed (a ticked box is no longer "required"),
  // and the form's "check the marked fields" once none is marked
  const settle = (e) => {
    clearFieldError(e.target);
    if (!form.querySelector('[aria-invalid]')) form.querySelector('.form-alert[data-fields-only]')?.remove();
  };
  form.addEventListener('input', settle);
  form.addEventListener('change', settle);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    clearErrors(form);
    const buttons = [...form.querySelectorAll('button')].filter((b) => b.type === 'submit');
    let body;
    try {
      body = build();
      const s = JSON.stringify(body);
      if (s !== sig) { sig = s; key = newKey(); }
      form.setAttribute('aria-busy', 'true');
      buttons.forEach((b) => (b.disabled = true));
      const r = await send(body, key);
      key = sig = null;
      form.removeAttribute('aria-busy');
      buttons.forEach((b) => (b.disabled = false));
      await done?.(r, body);
    } catch (err) {
      form.removeAttribute('aria-busy');
      buttons.forEach((b) => (b.disabled = false));
      if (!(err instanceof ApiError)) throw err;
      if (err.status && err.status < 500) key = sig = null; // a definite answer: the next try is a new submission
      showError(form, err, fieldFor);
    }
  });
}

/** a box saying why a view could not load, with a retry button */
export function failBox(err, retry) {
  return h('div', { class: 'alert error', role: 'alert' }, h('strong', null, err instanceof ApiError ? err.words : String(err)),
    err instanceof ApiError && err.detail ? h('p', null, err.detail) : null,
    retry ? h('p', null, h('button', { type: 'button', class: 'secondary', onclick: retry }, t('retry'))) : null);
}

/** a table that turns into labelled cards on narrow screens; cols: [label | [label, 'num']] */
export function tbl(cols, rows, a = {}) {
  const c = cols.map((x) => (Array.isArray(x) ? x : [x, '']));
  return h('div', { class: 'scroll' }, h('table', { class: 'cards', ...a },
    h('thead', null, h('tr', null, c.map(([l, k]) => h('th', { scope: 'col', class: k || null }, l)))),
    h('tbody', null, rows.map((r) => h('tr', r.attrs || null, (r.cells || r).map((v, i) => h('td', { class: c[i][1] || null, 'data-label': c[i][0] }, v)))))));
}
/** a form (or any part) folded under a summary line (open: unfolded) */
export const fold = (id, label, body, open) => h('details', { class: 'fold', id, open: !!open }, h('summary', null, label), body);
export const badge = (text, cls = '') => h('span', { class: 'badge ' + cls }, text);
export function dl(rows) {
  return h('dl', { class: 'facts' }, rows.filter((r) => r && r[1] != null && r[1] !== '').map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}
