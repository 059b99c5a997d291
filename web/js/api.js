// The REST API of /api/v1: bearer token from sessionStorage, Accept-Language of the page,
// Idempotency-Key on POSTs, problem details turned into ApiError.
import { lang, t } from './i18n.js';

const KEY = 'abipraya.session';
let listeners = [];

export const session = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
  },
  get token() { return this.get()?.token || null; },
  save(token, user) { sessionStorage.setItem(KEY, JSON.stringify({ token, user })); },
  setUser(user) { const s = this.get(); if (s) this.save(s.token, user); },
  clear() { sessionStorage.removeItem(KEY); },
};

/** called with no argument when an authenticated call gets 401 */
export const onUnauthorized = (fn) => { listeners.push(fn); };

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.title || (status ? 'HTTP ' + status : 'network'));
    this.status = status;
    this.code = body?.code || (status ? null : 'network');
    this.title = body?.title || '';
    this.detail = body?.detail || '';
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.retryAfter = retryAfter;
  }
  /** the words shown to the user */
  get words() {
    if (this.status === 0) return t('err_network');
    if (this.status === 503 || this.status === 502 || this.status === 504) return t('err_unavailable');
    if (this.status === 412) return t('err_changed');
    return this.title || 'HTTP ' + this.status;
  }
}

/** a random Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not) */
export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return 'web-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export async function api(method, path, opts = {}) {
  const headers = { Accept: opts.accept || 'application/json', 'Accept-Language': lang() };
  const tok = session.token;
  if (tok) headers.Authorization = 'Bearer ' + tok;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.key) headers['Idempotency-Key'] = opts.key;
  if (opts.ifMatch != null) headers['If-Match'] = '"' + opts.ifMatch + '"';
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  let data = null;
  if (res.status !== 204) {
    const ct = res.headers.get('Content-Type') || '';
    try {
      data = ct.includes('json') ? await res.json() : await res.text();
    } catch {
      if (res.ok) throw new ApiError(0, null);
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && typeof data === 'object' ? data : null, res.headers.get('Retry-After'));
    if (res.status === 401 && tok && path !== '/auth/login') for (const fn of listeners) fn();
    throw err;
  }
  return data;
}

export const get = (path) => api('GET', path);

/** every page of a list (bounded: at most `max` items) */
export async function getAll(path, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(path + sep + 'limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const qs = (o) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v != null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
};
