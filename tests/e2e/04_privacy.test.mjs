// A staff user never sees a national ID (NIK) anywhere: not in the text, the form values or the
// markup of any page they can open, nor in any API answer the page receives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, apiAs, niks, pageText, shot } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('staff never see a national ID on any page', async () => {
  const ids = niks();
  assert.ok(ids.length >= 20, 'the seed has national IDs to look for');
  const page = await open(browser, A, 1280, 900);
  const bodies = [];
  page.on('response', async (r) => { if (r.url().includes('/api/v1/') && !r.url().endsWith('/events')) bodies.push(r.text().catch(() => '')); });
  await login(page, 'staff');

  const staff = await apiAs('staff');
  const residents = (await staff.get('/residents?limit=200')).body.items;
  const stays = (await staff.get('/stays?status=active&limit=200')).body.items;
  const hashes = ['#/board', '#/checkin', '#/out', '#/violation', '#/residents', '#/worklist',
    ...residents.map((r) => '#/resident/' + r.id), ...stays.slice(0, 6).flatMap((s) => ['#/stay/' + s.id, '#/plan/' + s.id])];
  const check = async (where) => {
    const text = await pageText(page);
    for (const nik of ids) assert.ok(!text.includes(nik), `a national ID on ${where}`);
    assert.ok(!/\bNIK\b|National ID/.test(await page.locator('main').innerText()), `a national ID label on ${where}`);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
      .filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).map((e) => e.name || e.id));
    assert.deepEqual(unlabelled, [], `controls without a label on ${where}`);
  };
  for (const hash of hashes) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.locator('#main > .view:not([aria-busy]) h1').waitFor();
    await check(hash);
  }
  // searching for a resident by the start of a NIK finds nothing and shows nothing
  await page.evaluate(() => { location.hash = '#/checkin'; });
  await page.fill('input[name=q]', ids[0].slice(0, 8));
  await page.click('button:has-text("Cari")');
  await page.locator('.results').waitFor();
  await check('check-in search');
  await page.goto('/#/resident/' + residents[0].id);
  await page.locator('#main > .view:not([aria-busy]) h1').waitFor();
  await shot(page, 'resident-staff-1280');
  const all = (await Promise.all(bodies)).join('\n');
  assert.ok(all.length > 1000, 'API answers were looked at');
  for (const nik of ids) assert.ok(!all.includes(nik), 'a national ID in an API answer to staff');
  assert.ok(!all.includes('"national_id"'), 'the national_id field in an API answer to staff');
  assert.deepEqual(page.errors, []);
});

test('a caseworker does see the national ID field of a resident (the check above can see one)', async () => {
  const page = await open(browser, A, 1280, 900);
  await login(page, 'caseworker');
  const cw = await apiAs('caseworker');
  const r = (await cw.get('/residents?q=Ahmad%20Fauzi')).body.items[0];
  await page.goto('/#/resident/' + r.id);
  await page.locator('input[name=national_id]').waitFor();
  assert.equal(await page.inputValue('input[name=national_id]'), r.national_id);
  assert.ok(niks().includes(r.national_id));
  await shot(page, 'resident-caseworker-1280');
  assert.deepEqual(page.errors, []);
});
