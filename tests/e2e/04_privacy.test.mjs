// A staff user never sees a national ID (NIK) anywhere: not in the text, the form values or the
// markup of any page they can open, nor in any API answer the page receives. Nor the decree, the
// guarantor or the Litmas of a legal basis (§15.1): staff see its type and dates only.
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

  // the decrees and Litmas numbers of the seed, and one basis with a guarantor
  const cw = await apiAs('caseworker');
  const hendra = (await cw.get('/residents?q=Hendra%20Wijaya')).body.items[0];
  const prev = (await cw.get(`/legal-bases?resident_id=${hendra.id}&current=true`)).body.items[0];
  const made = await cw.post(`/residents/${hendra.id}/legal-bases`, { type: prev.type, decree_number: 'PAS-RAHASIA-0404/2026',
    decree_date: prev.decree_date, starts_on: prev.starts_on, supervision_ends_on: prev.supervision_ends_on, litmas_number: 'LITMAS-RAHASIA-0404',
    guarantor: { name: 'Penjamin Rahasia', relation: 'Paman', phone: '0811040404' }, supersedes_id: prev.id });
  assert.equal(made.status, 201);
  const bases = (await cw.get('/legal-bases?limit=200')).body.items;
  const secrets = [...new Set(bases.flatMap((b) => [b.decree_number, b.litmas_number, b.guarantor?.name, b.guarantor?.phone]).filter(Boolean))];
  assert.ok(secrets.length >= 20 && secrets.includes('Penjamin Rahasia'), 'the seed has decrees to look for');

  const staff = await apiAs('staff');
  const residents = (await staff.get('/residents?limit=200')).body.items;
  const stays = (await staff.get('/stays?status=active&limit=200')).body.items;
  const hashes = ['#/board', '#/checkin', '#/out', '#/violation', '#/residents', '#/worklist', '#/alerts', '#/rollcall',
    ...residents.map((r) => '#/resident/' + r.id), ...stays.slice(0, 6).flatMap((s) => ['#/stay/' + s.id, '#/plan/' + s.id])];
  const check = async (where) => {
    const text = await pageText(page);
    for (const nik of ids) assert.ok(!text.includes(nik), `a national ID on ${where}`);
    for (const x of secrets) assert.ok(!text.includes(x), `a decree, Litmas or guarantor (${x}) on ${where}`);
    const seen = await page.locator('main').innerText();
    assert.ok(!/\bNIK\b|National ID/.test(seen), `a national ID label on ${where}`);
    assert.ok(!/Nomor SK|Penjamin|Litmas/.test(seen), `a legal basis label staff have no value for on ${where}`);
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
  assert.ok(all.includes('"under_supervision"'), 'legal bases were read');
  for (const x of secrets) assert.ok(!all.includes(x), `a decree, Litmas or guarantor (${x}) in an API answer to staff`);
  for (const k of ['"decree_number"', '"guarantor"', '"litmas_number"']) assert.ok(!all.includes(k), `${k} in an API answer to staff`);
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
