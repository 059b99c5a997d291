// Shared helpers of the end-to-end tests. run.sh sets the environment: E2E_URL_A, E2E_URL_B (two
// daemons on one database), E2E_SCREENSHOTS, E2E_PG (stop|start the cluster), E2E_NIKS (the seeded
// national IDs), E2E_CHROMIUM.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const A = process.env.E2E_URL_A;
export const B = process.env.E2E_URL_B;
if (!A || !B) throw new Error('run the end-to-end tests with tests/e2e/run.sh (E2E_URL_A/E2E_URL_B are not set)');
export const SHOTS = process.env.E2E_SCREENSHOTS || new URL('./screenshots', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

export const PASSWORDS = {
  admin: 'abipraya-admin-demo', manager: 'abipraya-manager-demo',
  caseworker: 'abipraya-caseworker-demo', staff: 'abipraya-staff-demo',
};

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Debian's chromium, never a downloaded browser; a fresh profile folder of its own */
export async function launch() {
  const dir = mkdtempSync(join(tmpdir(), 'abipraya-e2e-chromium-'));
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, '--disk-cache-dir=' + join(dir, 'cache')],
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') },
  });
  const close = browser.close.bind(browser);
  browser.close = async () => { await close(); rmSync(dir, { recursive: true, force: true }); };
  return browser;
}

/** a new browser context on a daemon, with page errors collected in page.errors */
export async function open(browser, base, width = 1280, height = 900) {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

/** logs in through the form, keyboard only (Tab, Enter); waits for the home page: the bed
 *  board, or a caseworker's caseload */
export async function login(page, user) {
  await page.goto('/');
  await page.locator('input[name=username]').fill(user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORDS[user]);
  await page.keyboard.press('Enter');
  // (the caseload may be empty: the table is there, hidden)
  if (user === 'caseworker') await page.locator('#main > .view:not([aria-busy]) #caseload').waitFor({ state: 'attached' });
  else await page.locator('.bed').first().waitFor();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
}

/** the API from the test itself (setup and checks), as a user */
export async function apiAs(user, base = A) {
  const r = await fetch(base + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: PASSWORDS[user] }),
  });
  if (r.status !== 200) throw new Error('login ' + user + ': ' + r.status);
  const { token, user: me } = await r.json();
  const call = async (method, path, body, headers = {}) => {
    const res = await fetch(base + '/api/v1' + path, {
      method, headers: { Authorization: 'Bearer ' + token, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return { me, token, get: (p) => call('GET', p), post: (p, b) => call('POST', p, b), patch: (p, b, hd) => call('PATCH', p, b, hd), put: (p, b, hd) => call('PUT', p, b, hd) };
}

export const niks = () => readFileSync(process.env.E2E_NIKS, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);

/** stop|start the PostgreSQL cluster of the run */
export const pg = (what) => execFileSync('bash', [process.env.E2E_PG, what], { stdio: 'inherit', timeout: 90000 });

export async function waitReady(base, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if ((await fetch(base + '/readyz')).status === 200) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(base + '/readyz did not answer 200 within ' + ms + ' ms');
}

/** all text a person could see or copy from the page: text, form values, attributes */
export const pageText = (page) => page.evaluate(() => document.documentElement.innerText + '\n' +
  [...document.querySelectorAll('input,textarea,select')].map((e) => e.value).join('\n') + '\n' + document.documentElement.outerHTML);

/** the seeded house's date n days from today, YYYY-MM-DD (its zone: Asia/Jakarta) */
export const day = (n = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(new Date(Date.now() + n * 864e5));

/** fills the fields of a form: { name: value } (selects by value) */
export async function fill(form, v) {
  for (const [name, value] of Object.entries(v)) {
    const el = form.locator(`[name="${name}"]`);
    if (await el.evaluate((e) => e.tagName === 'SELECT')) await el.selectOption(value);
    else await el.fill(value);
  }
}

/** the flash message, then the view drawn again from the server's data (with `part` in it) */
export async function saved(page, text, part = 'h1') {
  await page.locator(`#flash .alert:has-text("${text}")`).waitFor();
  await page.locator(`#main > .view:not([aria-busy]) ${part}`).waitFor();
  await page.evaluate(() => document.getElementById('flash').replaceChildren());
}

/** nothing wider than the screen, and the controls inside `scope` (a selector) at least `tap` px
 *  high (checkboxes have their label to tap) */
export async function fitsScreen(page, scope, tap = 40) {
  const r = await page.evaluate(([sc, min]) => ({
    wide: document.documentElement.scrollWidth - window.innerWidth,
    over: [...document.querySelectorAll(sc + ' *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .map((e) => e.tagName + (e.id ? '#' + e.id : '') + (e.name ? '[' + e.name + ']' : '')),
    small: [...document.querySelectorAll(`${sc} summary, ${sc} button, ${sc} input, ${sc} select, ${sc} textarea`)]
      .filter((e) => e.offsetParent && e.type !== 'checkbox' && e.getBoundingClientRect().height < min).map((e) => e.tagName + ' ' + (e.name || e.textContent.trim())),
  }), [scope, tap]);
  assert.equal(r.wide, 0, 'the page scrolls sideways');
  assert.deepEqual(r.over, [], `parts of ${scope} reach past the screen`);
  assert.deepEqual(r.small, [], `tap targets under ${tap} px`);
}
