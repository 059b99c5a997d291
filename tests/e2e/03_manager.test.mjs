// A manager: occupancy, the census of the last 90 days as an SVG chart drawn by the page, the exits
// report, rooms/beds/rules management, and the audit trail of a resident.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs } from './lib.mjs';

let browser, page;
before(async () => {
  browser = await launch();
  page = await open(browser, A, 1280, 900);
  await login(page, 'manager');
});
after(async () => { await browser?.close(); });

test('occupancy of the house', async () => {
  await page.click('nav a[href="#/occupancy"]');
  await page.locator('.tiles .card').first().waitFor();
  const text = await page.locator('.tiles').innerText();
  assert.match(text, /Griya Abipraya Jambi/);
  assert.match(text, /\d+ %/);
  assert.match(text, /Laki-laki[\s\S]*Perempuan/);
});

test('the census chart of the last 90 days is an <svg> drawn from the data', async () => {
  await page.click('nav a[href="#/census"]');
  const chart = page.locator('svg#census-chart');
  await chart.waitFor();
  assert.equal(await chart.getAttribute('data-points'), '90');
  const d = await chart.locator('path.line').getAttribute('d');
  assert.equal((d.match(/[ML]/g) || []).length, 90, 'one point per day');
  const ys = [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => +m[1]);
  assert.ok(new Set(ys).size > 3, 'the line moves with the data');
  assert.ok(await chart.locator('rect.in').count() >= 5, 'check-ins drawn');
  assert.ok(await chart.locator('rect.out').count() >= 3, 'check-outs drawn');
  assert.match(await chart.locator('desc').textContent(), /tertinggi \d+/);
  const box = await chart.boundingBox();
  assert.ok(box.width > 600 && box.height > 200, 'the chart is drawn at a readable size');
  // the same numbers as the API
  const mgr = await apiAs('manager');
  const from = await page.evaluate(() => document.querySelector('#census-d').textContent);
  assert.ok(from.length > 10);
  const house = mgr.me.house_ids[0];
  const today = new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10); // Asia/Jakarta
  const start = new Date(Date.parse(today) - 89 * 864e5).toISOString().slice(0, 10);
  const census = (await mgr.get(`/houses/${house}/census?from=${start}&to=${today}`)).body.items;
  await page.locator('details summary:has-text("Tabel data")').click();
  const cell = await page.locator('table.cards tbody tr').first().locator('td').nth(1).innerText();
  assert.equal(cell.trim(), String(census[census.length - 1].occupied));
  await shot(page, 'census-1280');
  await page.setViewportSize({ width: 360, height: 780 });
  await shot(page, 'census-360');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('the exits report', async () => {
  await page.click('nav a[href="#/exits"]');
  await page.locator('.counts').waitFor();
  const text = await page.locator('main').innerText();
  assert.match(text, /Masa tinggal selesai/);
  assert.match(text, /Program selesai/);
  assert.match(text, /Melarikan diri/);
  await shot(page, 'exits-1280');
});

test('rooms, beds and rules: a bed out of service with a reason and back, a new rule', async () => {
  await page.click('nav a[href="#/manage"]');
  const room = page.locator('section.room[data-room="L2-04"]');
  await room.waitFor();
  const bed = room.locator('li[data-bed]').first();
  const bedId = await bed.getAttribute('data-bed');
  await bed.locator('summary').click();
  await bed.locator('input[name=status_reason]').fill('Kasur diganti');
  await bed.locator('button[type=submit]').click();
  await page.locator('#flash .alert').waitFor();
  await page.locator(`section.room[data-room="L2-04"] li[data-bed="${bedId}"]:has-text("Kasur diganti")`).waitFor();
  const mgr = await apiAs('manager');
  let b = (await mgr.get('/beds/' + bedId)).body;
  assert.equal(b.status, 'out_of_service');
  assert.equal(b.status_reason, 'Kasur diganti');
  await page.locator(`li[data-bed="${bedId}"] button:has-text("Aktifkan kembali")`).click();
  await page.locator(`li[data-bed="${bedId}"] summary`).waitFor();
  b = (await mgr.get('/beds/' + bedId)).body;
  assert.equal(b.status, 'available');

  await page.fill('#add-rule input[name=code]', 'TT-10');
  await page.selectOption('#add-rule select[name=severity]', 'minor');
  await page.fill('#add-rule input[name=title]', 'Hemat listrik dan air');
  await page.click('#add-rule button[type=submit]');
  await page.locator('li:has-text("TT-10 — Hemat listrik dan air")').waitFor();
  // the same code again: 409 conflict, shown next to the code
  await page.fill('#add-rule input[name=code]', 'TT-10');
  await page.selectOption('#add-rule select[name=severity]', 'minor');
  await page.fill('#add-rule input[name=title]', 'Dua kali');
  await page.click('#add-rule button[type=submit]');
  await page.locator('#add-rule input[name=code][aria-invalid=true]').waitFor();
  assert.equal(await page.inputValue('#add-rule input[name=title]'), 'Dua kali');
  await shot(page, 'manage-1280');
});

test('the audit trail of a resident', async () => {
  const mgr = await apiAs('manager');
  const r = (await mgr.get('/residents?q=Agus%20Salim')).body.items[0];
  await page.goto('/#/resident/' + r.id);
  await page.locator('main a:has-text("Jejak audit")').click();
  await page.locator('table#audit tbody tr').first().waitFor();
  const text = await page.locator('table#audit').innerText();
  assert.match(text, /stay/);
  assert.ok(await page.locator('table#audit tbody tr').count() >= 3, 'check-in, sign-out, return, check-out');
  await shot(page, 'audit-1280');
  assert.deepEqual(page.errors, []);
});
