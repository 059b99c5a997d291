// Forms built from the server's rules (spec.js): a view lists its fields, the builder draws
// labelled controls with the server's limits, turns the values into the request body, and
// onSubmit (dom.js) shows the server's 422 errors next to the fields they name.
//
// A field is written { name, label, enum, ... } in that order, inside the formFor() call, so that
// tools/gen/spec_js.py --check (the server takes the field, E[enum] labels its values) and
// tests/console/i18n_keys.py (the label is in both languages) can read it:
//   name      a body field of the operation; "object.member" for a member of a nested object
//   label     the i18n key of its label (a key, not a text: the language may change)
//   enum      for an enum field, the enumeration kind of i18n.js that labels its values
//   as        'line' (a one-line input for a text field) or an input type ('tel', 'search'…)
//   required  true or false where this form differs from the server (the server still decides)
//   control   a control the view builds (a select of beds, say); it gets the rules and the label
//   value     the initial value (else o.values[name]); a datetime as an instant
//   hint      a line of help under the control; attrs: more attributes of the control
//   own       the view draws the control itself (and may draw it again): the builder checks it
// { path: 'stay_id', label, control } is a value of the URL, not of the body: required unless
// required: false, and handed to send() apart. A Node in the list is placed as it is, an array
// of items becomes a row of two columns, { box: Node, items } draws the items into the box (a
// fieldset, say), null and false are left out.
import { h, fld, inp, area, sel, check, btn, values, onSubmit, localError } from './dom.js';
import { t, en, isoToLocal } from './i18n.js';
import { OPS } from './spec.js';
import { tz } from './core.js';

/** the server's rules of a body field of an operation (spec.js) */
export function rule(op, name) {
  const f = OPS[op]?.body[name];
  if (!f) throw new Error(`spec.js: ${op} takes no ${name}`);
  return f;
}
const dig = (name, o) => name.split('.').reduce((x, k) => x?.[k], o);
/** nothing given: an empty control, or an unticked box that must be ticked (type true) */
const empty = (x, type) => x == null || x === '' || (x === false && type === 'true');

function control(op, s, given) {
  const r = s.path ? { type: 'path' } : rule(op, s.name);
  const req = s.required ?? (s.path ? true : r.required);
  if (s.control) {
    s.control.required = !!req;
    return { el: s.control, req, type: r.type };
  }
  const v = s.value ?? dig(s.name, given);
  const a = { required: req, ...s.attrs };
  if (r.max_length || r.length) a.maxlength = r.max_length ?? r.length;
  if (r.min_length > 1) a.minlength = r.min_length;
  let el;
  switch (r.type) {
    case 'enum':
      el = sel(s.name, r.values.map((x) => [x, en(s.enum, x)]), { ...a, value: v ?? '' }, v && req ? null : t('choose'));
      break;
    case 'text':
      el = s.as === 'line' ? inp(s.name, { ...a, value: v ?? '' }) : area(s.name, { ...a, value: v ?? '' });
      break;
    case 'true':
    case 'bool':
      return { el: check(s.name, t(s.label), { ...a, checked: !!v }), req, type: r.type, boxed: true };
    case 'int':
      el = inp(s.name, { type: 'number', 'data-type': 'int', step: 1, min: r.minimum, max: r.maximum, ...a, value: v ?? '' });
      break;
    case 'datetime':
      el = inp(s.name, { type: 'datetime-local', 'data-type': 'datetime', ...a, value: v ? isoToLocal(v, tz()) : '' });
      break;
    case 'digits':
      el = inp(s.name, { inputmode: 'numeric', pattern: `[0-9]{${r.length}}`, ...a, value: v ?? '' });
      break;
    case 'date': case 'time_hm': case 'password':
      el = inp(s.name, { type: r.type === 'time_hm' ? 'time' : r.type, ...a, value: v ?? '' });
      break;
    case 'string':
      el = inp(s.name, { ...a, value: v ?? '' });
      break;
    default:
      throw new Error(`form: ${op}.${s.name} (${r.type}) needs a control from the view`);
  }
  if (s.as && s.as !== 'line') el.type = s.as;
  return { el, req, type: r.type };
}

/** a datetime's hint: the house's time zone, and that an empty optional one means now */
const whenHint = (req) => t('house_time', { tz: tz() }) + (req ? '' : ' · ' + t('empty_now'));

/** the same value for a PATCH's comparison: an object by its members, '' and null alike in one */
const same = (x) => (x != null && typeof x === 'object' ? JSON.stringify(Object.keys(x).sort().map((k) => [k, x[k] ?? ''])) : x ?? null);

/** the <form> of an operation.
 *  o: { id, class, values (the record shown), submit (the button's text, or [text, attrs]),
 *       send(body, key, path), done(answer, body), fieldFor (dom.js showError),
 *       shape(v) (the view's last say on the body), patch (the record: only changed fields) } */
export function formFor(op, items, o = {}) {
  const fields = [];
  const draw = (x) => {
    if (x == null || x === false) return null;
    if (x instanceof Node) return x;
    if (Array.isArray(x)) return h('div', { class: 'grid2' }, x.map(draw));
    if (x.box) { x.box.append(...x.items.map(draw).filter(Boolean)); return x.box; }
    if (!x.label) throw new Error(`form: ${op}.${x.name || x.path} has no label`);
    if (x.own) { const r = rule(op, x.name); fields.push({ name: x.name, req: x.required ?? r.required, type: r.type }); return null; }
    const c = control(op, x, o.values);
    fields.push({ name: x.name || x.path, path: !!x.path, req: c.req, type: c.type });
    return c.boxed ? c.el : fld(t(x.label), c.el, x.hint ?? (c.type === 'datetime' ? whenHint(c.req) : null));
  };
  const [label, battrs] = Array.isArray(o.submit) ? o.submit : [o.submit || t('save')];
  // the button of a form that is only a button, or an inline one, stands by itself; others
  // have it in a row of actions below the fields
  const kids = items.map(draw);
  const b = btn(label, battrs);
  const f = h('form', { novalidate: true, id: o.id, class: o.class }, kids,
    !fields.length || /\binline\b/.test(o.class || '') ? b : h('div', { class: 'actions' }, b));
  onSubmit(f, {
    build() {
      const v = values(f, tz(), !!o.patch);
      const missing = fields.filter((x) => x.req && empty(dig(x.name, v), x.type)).map((x) => x.name);
      if (missing.length) throw localError(missing);
      const path = {};
      for (const x of fields) if (x.path) { path[x.name] = v[x.name]; delete v[x.name]; }
      let body = o.shape ? o.shape(v) : v;
      if (o.patch) body = Object.fromEntries(Object.entries(body).filter(([k, x]) => same(x) !== same(o.patch[k])));
      return { path, body };
    },
    send: ({ path, body }, key) => o.send(body, key, path),
    done: (r, { body }) => o.done?.(r, body),
    fieldFor: o.fieldFor,
  });
  return f;
}
