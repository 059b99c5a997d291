// Log in: username and password; the token goes to sessionStorage (never a cookie).
import { api, ApiError } from '../js/api.js';
import { h, fld, inp, btn, onSubmit, localError } from '../js/dom.js';
import { t } from '../js/i18n.js';
import { setTitle } from '../js/core.js';

export default function login(box, { loggedIn }) {
  setTitle(t('login_title'));
  const user = inp('username', { autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = inp('password', { type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'login', novalidate: true },
    h('h1', { tabindex: '-1' }, t('login_title')),
    h('p', { class: 'muted' }, t('console')),
    fld(t('username'), user), fld(t('password'), pass),
    h('div', { class: 'actions' }, btn(t('login_btn'))));
  onSubmit(form, {
    build() {
      const body = { username: user.value.trim(), password: pass.value };
      const missing = Object.keys(body).filter((k) => !body[k]);
      if (missing.length) throw localError(missing);
      return body;
    },
    send: (body) => api('POST', '/auth/login', { body }).catch((err) => {
      if (err instanceof ApiError && err.status === 429 && err.retryAfter) err.title = t('login_wait', { s: err.retryAfter });
      throw err;
    }),
    done: (r) => loggedIn(r.token, r.user),
  });
  box.append(form);
  user.focus();
}
