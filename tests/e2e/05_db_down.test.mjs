// PostgreSQL stops while staff fill in a form: the page says in words what happened, the form keeps
// every value, and the retry after the database is back saves once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, pg, waitReady } from './lib.mjs';

let browser, stopped = false;
before(async () => { browser = await launch(); });
after(async () => {
  if (stopped) { pg('start'); await waitReady(A); }
  await browser?.close();
});

test('with PostgreSQL stopped a form shows a readable message and keeps its values; the retry saves once', async () => {
  const page = await open(browser, A, 360, 780);
  await login(page, 'staff');
  await page.click('nav a[href="#/violation"]');
  const form = page.locator('main form');
  await form.locator('select[name=stay_id]').waitFor();
  const stay = await form.locator('select[name=stay_id] option', { hasText: 'Fajar Hidayat' }).getAttribute('value');
  await form.locator('select[name=stay_id]').selectOption(stay);
  const rule = await form.locator('select[name=rule_id] option', { hasText: 'TT-06' }).getAttribute('value');
  await form.locator('select[name=rule_id]').selectOption(rule);
  const when = await form.locator('input[name=occurred_at]').inputValue();
  const description = 'Tidak ikut piket dapur hari Minggu (uji e2e ' + Date.now() + ').';
  await form.locator('textarea[name=description]').fill(description);
  await form.locator('textarea[name=action_taken]').fill('Teguran lisan; piket tambahan.');

  pg('stop');
  stopped = true;
  await form.locator('button[type=submit]').click();
  const alert = form.locator('.form-alert');
  await alert.waitFor({ timeout: 20000 });
  const words = await alert.innerText();
  assert.match(words, /basis data|Tidak dapat menghubungi server/, 'says what happened, in words');
  assert.match(words, /isian Anda tetap/, 'says that nothing typed is lost');
  assert.doesNotMatch(words, /^\s*(HTTP )?5\d\d\s*$/);
  assert.equal(await form.locator('select[name=stay_id]').inputValue(), stay);
  assert.equal(await form.locator('select[name=rule_id]').inputValue(), rule);
  assert.equal(await form.locator('input[name=occurred_at]').inputValue(), when);
  assert.equal(await form.locator('textarea[name=description]').inputValue(), description);
  assert.equal(await form.locator('textarea[name=action_taken]').inputValue(), 'Teguran lisan; piket tambahan.');
  await shot(page, 'db-down-360');

  pg('start');
  stopped = false;
  await waitReady(A);
  await form.locator('button[type=submit]').click();
  await page.locator('#flash .alert:has-text("Fajar Hidayat")').waitFor({ timeout: 20000 });
  const staff = await apiAs('staff');
  const mine = (await staff.get('/violations?limit=200')).body.items.filter((v) => v.description === description);
  assert.equal(mine.length, 1, 'saved once');
  await page.locator('#live.live').waitFor({ timeout: 30000 });
  assert.deepEqual(page.errors, []);
});
