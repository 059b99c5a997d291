// Staff on a night shift: the bed board, check-in (with a lost answer retried), live updates on the
// other daemon, sign-out and back in, check-out; the language switch and API errors by field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { A, B, launch, open, login, shot, apiAs } from './lib.mjs';

const WEB = new URL('../../web/', import.meta.url).pathname;
let browser, a, b, bedId, resident;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the console is served with its security headers, ETags, and within 384 KB', async () => {
  const r = await fetch(A + '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'.*script-src 'self'/);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  const etag = r.headers.get('etag');
  assert.ok(etag, 'ETag on /');
  assert.equal((await fetch(A + '/', { headers: { 'If-None-Match': etag } })).status, 304);
  for (const [path, type] of [['/js/app.js', /javascript/], ['/css/app.css', /^text\/css/], ['/views/board.js', /javascript/], ['/favicon.svg', /^image\/svg\+xml/]]) {
    const f = await fetch(B + path);
    assert.equal(f.status, 200, path);
    assert.match(f.headers.get('content-type'), type, path);
  }
  let total = 0;
  const walk = (d) => { for (const e of readdirSync(d)) { const p = join(d, e); statSync(p).isDirectory() ? walk(p) : (total += statSync(p).size); } };
  walk(WEB);
  // the budget of the whole console, uncompressed, without a build step: 150 KB until §15-16,
  // 256 KB with the supervision views (caseload, alerts, reporting, legal basis), 384 KB since the
  // programme area (programmes, attendance, completion, businesses, partners, the programme
  // report) passed 256 KB: raised on purpose, so that the next growth is again a decision
  assert.ok(total < 384 * 1024, `web/ holds ${total} bytes, over 384 KB`);
});

test('bed board: a 40-bed house renders in under a second; screenshots at 1280 and 360 px', async (t) => {
  const mgr = await apiAs('manager');
  const houseId = mgr.me.house_ids[0];
  const beds = (await mgr.get(`/houses/${houseId}/beds`)).body.items;
  if (beds.length < 40) { // the demo house has 30: a third floor makes it 40
    const room = await mgr.post(`/houses/${houseId}/rooms`, { code: 'L3-01', floor: 3, sex: 'any', notes: 'Ruang serbaguna (e2e)' });
    assert.equal(room.status, 201);
    for (let i = 0; beds.length + i < 40; i++) assert.equal((await mgr.post(`/rooms/${room.body.id}/beds`, { label: String.fromCharCode(65 + i) })).status, 201);
  }
  const page = await open(browser, A, 360, 780);
  await page.goto('/');
  await page.locator('input[name=username]').waitFor();
  await shot(page, 'login-360');
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, 'staff');
  // a fresh load of the page, logged in: from navigation start to the drawn board (best of three,
  // so that another program's burst on this machine does not decide)
  const times = [];
  for (let i = 0; i < 3; i++) {
    await page.reload();
    await page.locator('.bed').nth(39).waitFor();
    times.push(await page.evaluate(() => performance.getEntriesByName('abipraya:board')[0]?.startTime));
  }
  const ms = Math.min(...times);
  t.diagnostic(`first render of the 40-bed board: ${times.map(Math.round).join(', ')} ms after navigation start`);
  assert.ok(ms > 0 && ms < 1000, `first render of the board took ${ms} ms`);
  assert.equal(await page.locator('.bed').count(), 40);
  assert.equal(await page.locator('.bed[data-state=out_of_service]').count(), 1);
  assert.match(await page.locator('.bed[data-state=out_of_service]').innerText(), /Rangka ranjang patah/);
  await shot(page, 'board-1280');
  await page.setViewportSize({ width: 360, height: 780 });
  await page.waitForTimeout(100);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
  await shot(page, 'board-360');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('staff checks a resident in; a lost answer is retried with the same Idempotency-Key; the other daemon\'s board changes live', async () => {
  a = await open(browser, A, 360, 780); // a phone, on daemon A
  b = await open(browser, B, 1280, 900); // a desk, on daemon B
  await login(a, 'staff');
  await login(b, 'staff');
  await b.evaluate(() => { window.sameDocument = true; });

  await a.click('nav a[href="#/checkin"]');
  await a.fill('input[name=q]', 'agus');
  await a.click('button:has-text("Cari")');
  await a.getByLabel(/Agus Salim/).check();
  const value = a.locator('select[name=bed_id] option:not([value=""])').first();
  bedId = await value.getAttribute('value');
  await a.selectOption('select[name=bed_id]', bedId);
  assert.equal(await b.locator(`[data-bed="${bedId}"]`).getAttribute('data-state'), 'free');

  // the rules are not acknowledged: the error stands next to the checkbox, nothing is lost
  await a.click('form button[type=submit]:has-text("Catat masuk")');
  await a.locator('input[name=rules_acknowledged][aria-invalid=true]').waitFor();
  assert.match(await a.locator('input[name=rules_acknowledged]').locator('xpath=..').innerText(), /Wajib diisi/);
  assert.equal(await a.inputValue('select[name=bed_id]'), bedId);
  await a.check('input[name=rules_acknowledged]');
  // ticking the box takes its error away at once, not at the next submit
  assert.equal(await a.locator('input[name=rules_acknowledged]').getAttribute('aria-invalid'), null);
  assert.doesNotMatch(await a.locator('input[name=rules_acknowledged]').locator('xpath=..').innerText(), /Wajib diisi/);
  await shot(a, 'checkin-360');

  // the first answer is lost on the way back (the work was done): the page says so and keeps the form
  const keys = [];
  let lose = true;
  await a.route('**/api/v1/stays', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    if (lose) {
      lose = false;
      const res = await route.fetch();
      assert.equal(res.status(), 201);
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await a.click('form button[type=submit]:has-text("Catat masuk")');
  await a.locator('.form-alert:has-text("Tidak dapat menghubungi server")').waitFor();
  assert.ok(await a.getByLabel(/Agus Salim/).isChecked());
  assert.equal(await a.inputValue('select[name=bed_id]'), bedId);
  assert.ok(await a.isChecked('input[name=rules_acknowledged]'));

  // meanwhile the other daemon's board shows the bed taken, without a reload
  const tile = b.locator(`[data-bed="${bedId}"][data-state="occupied"]`);
  await tile.waitFor({ timeout: 10000 });
  assert.match(await tile.innerText(), /Agus Salim/);
  assert.equal(await b.evaluate(() => window.sameDocument), true, 'the board on daemon B was not reloaded');

  // the retry: same key, the first answer comes back, one stay only
  await a.click('form button[type=submit]:has-text("Catat masuk")');
  await a.locator('#flash .alert:has-text("Agus Salim masuk")').waitFor();
  await a.locator(`[data-bed="${bedId}"][data-state="occupied"]`).waitFor();
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], 'the retry reused its Idempotency-Key');
  await a.unroute('**/api/v1/stays');
  const staff = await apiAs('staff');
  resident = (await staff.get('/residents?q=Agus%20Salim')).body.items[0];
  const stays = (await staff.get('/stays?resident_id=' + resident.id)).body.items;
  assert.equal(stays.length, 1, 'checked in once');
  assert.equal(stays[0].bed_id, bedId);
  await shot(b, 'board-live-1280');
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test('who is out: sign-out (a double tap signs out once), overdue first, sign back in, check-out; the other board follows', async () => {
  await a.locator(`[data-bed="${bedId}"]`).click();
  await a.locator('#sign-out').waitFor();
  await a.selectOption('#sign-out select[name=purpose]', 'work');
  await a.fill('#sign-out input[name=destination]', 'Bengkel Las Sinar Jaya');
  const keys = [];
  a.on('request', (r) => { if (r.method() === 'POST' && /\/movements$/.test(r.url())) keys.push(r.headers()['idempotency-key']); });
  await a.locator('#sign-out button[type=submit]').dblclick();
  await a.locator('.alert:has-text("Sedang di luar rumah")').waitFor();
  assert.ok(keys.length >= 1 && keys.every((k) => k === keys[0]), 'one submission, one key');
  assert.equal(await a.locator('.form-alert').count(), 0, 'no error from a second tap');
  await shot(a, 'stay-out-360');

  // the other daemon: the board marks the resident out, the list has the overdue demo resident first
  await b.locator(`[data-bed="${bedId}"] .badge.out`).waitFor();
  await b.click('nav a[href="#/out"]');
  await b.locator('#out-list li').nth(2).waitFor();
  assert.match(await b.locator('#out-list li').first().getAttribute('class'), /overdue/);
  assert.match(await b.locator('#out-list li').first().innerText(), /Eko Prasetyo[\s\S]*Terlambat/);
  assert.match(await b.locator('#out-list').innerText(), /Agus Salim/);
  await shot(b, 'out-1280');

  // back in: the other list drops the resident by itself
  await a.click('button:has-text("Catat kembali")');
  await a.locator('#flash .alert:has-text("Agus Salim tercatat kembali")').waitFor();
  await a.locator('#sign-out').waitFor();
  await b.waitForFunction(() => !document.querySelector('#out-list').innerText.includes('Agus Salim'));

  // check-out
  await a.selectOption('#checkout select[name=exit_reason]', 'completed');
  await a.selectOption('#checkout select[name=destination]', 'family');
  await a.fill('#checkout textarea[name=notes]', 'Kembali ke keluarga di Kota Jambi.');
  await a.click('#checkout button[type=submit]');
  await a.locator('#flash .alert:has-text("Agus Salim tercatat keluar")').waitFor();
  await a.locator(`[data-bed="${bedId}"][data-state="free"]`).waitFor();
  await b.click('nav a[href="#/board"]');
  await b.locator(`[data-bed="${bedId}"][data-state="free"]`).waitFor();
  const staff = await apiAs('staff');
  const stays = (await staff.get('/stays?resident_id=' + resident.id)).body.items;
  assert.equal(stays.length, 1);
  assert.equal(stays[0].status, 'closed');
  assert.equal(stays[0].exit_reason, 'completed');
  assert.equal(stays[0].destination, 'family');
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test('English switch: labels, the API\'s problem title and field messages follow the language', async () => {
  await b.click('nav a[href="#/board"]');
  await b.locator('.bed').first().waitFor();
  const occupied = b.locator('.bed[data-state=occupied]:not(.away)').first();
  await occupied.click();
  await b.locator('#sign-out').waitFor();
  // an expected return in the past: the API answers 422 with the field
  await b.selectOption('#sign-out select[name=purpose]', 'medical');
  await b.fill('#sign-out input[name=expected_back_at]', '2020-01-01T08:00');
  await b.click('#sign-out button[type=submit]');
  await b.locator('#sign-out .form-alert:has-text("Beberapa isian tidak valid")').waitFor();
  await b.locator('#sign-out input[name=expected_back_at][aria-invalid=true]').waitFor();
  assert.match(await b.locator('#sign-out .field-error').innerText(), /harus di masa depan/);

  await b.click('button.lang');
  await b.locator('nav a:has-text("Beds")').waitFor();
  assert.equal(await b.evaluate(() => document.documentElement.lang), 'en');
  await b.locator('#sign-out h2:has-text("Sign out")').waitFor();
  await b.selectOption('#sign-out select[name=purpose]', 'medical');
  await b.fill('#sign-out input[name=expected_back_at]', '2020-01-01T08:00');
  await b.click('#sign-out button[type=submit]');
  await b.locator('#sign-out .form-alert:has-text("Some fields are invalid")').waitFor();
  assert.match(await b.locator('#sign-out .field-error').innerText(), /must be in the future/);
  await shot(b, 'field-error-en-1280');
  // a right value takes the field's error away, and with the last one the form's alert
  await b.fill('#sign-out input[name=expected_back_at]', '2099-01-01T08:00');
  assert.equal(await b.locator('#sign-out .field-error, #sign-out .form-alert, #sign-out [aria-invalid]').count(), 0,
    'the fixed field and the form carry no error');
  await b.click('button.lang');
  await b.locator('nav a:has-text("Tempat tidur")').waitFor();
  assert.deepEqual([...a.errors, ...b.errors], []);
});
