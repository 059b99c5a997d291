// The roll-call screen (§17.7) on a phone (360 px, staff): open an evening roll-call of the demo
// house, one row per resident in residence within the screen's width, "all present", a tap to
// absent, taps to excused (its note required before the save is sent), one save of the rows
// changed, close; the API then holds the closed roll-call with those marks; no page errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, saved, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const statuses = (page) => page.locator('#rc-form .sheet > li').evaluateAll((ls) => ls.map((l) => l.dataset.status));

test('roll call on a phone: open, mark, save, close', async () => {
  const staff = await apiAs('staff');
  const hid = staff.me.house_ids[0];
  const roster = (await staff.get(`/houses/${hid}/roster`)).body.items;
  assert.ok(roster.length >= 3, 'the demo house has residents');
  const page = await open(browser, A, 360, 780);
  await login(page, 'staff');
  await page.goto('/#/rollcall');
  await page.locator('#rc-open').waitFor();
  await page.locator('#rc-kind').selectOption('evening');
  await page.locator('#rc-open button[type=submit]').click();
  await saved(page, 'Apel dimulai', '#rc-form');
  assert.equal(await page.locator('#rc-form .sheet > li').count(), roster.length);
  const first = await page.locator('#rc-form .sheet > li:nth-child(1) .where').innerText();
  assert.ok(first.startsWith(roster[0].room_code + ' · ' + roster[0].bed_label), first);
  const pre = await statuses(page);
  assert.ok(pre.every((s) => s === 'unmarked' || s === 'out'), pre.join());
  await fitsScreen(page, '#rc-form');

  await page.click('#rc-all');
  const btn = (i) => page.locator(`#rc-form .sheet > li:nth-child(${i}) button`);
  const firstIn = pre.indexOf('unmarked') + 1;
  const second = pre.indexOf('unmarked', firstIn) + 1;
  await btn(firstIn).click(); // present → absent
  for (let k = 0; k < 2; k++) await btn(second).click(); // → excused
  assert.equal((await statuses(page))[firstIn - 1], 'absent');
  assert.equal((await statuses(page))[second - 1], 'excused');
  assert.match(await page.locator('#rc-form .sheet-bar').innerText(), /Tidak hadir 1 · Izin 1/);
  // excused needs a note: stopped before sending
  await page.locator('#rc-form button[type=submit]').click();
  await page.locator('#rc-form .field-error').waitFor();
  await page.locator(`#rc-form .sheet > li:nth-child(${second}) input`).fill('Izin ke rumah sakit');
  const post = page.waitForResponse((r) => r.url().endsWith('/marks') && r.request().method() === 'POST');
  await page.locator('#rc-form button[type=submit]').click();
  const res = await post;
  assert.equal(res.status(), 200);
  const sent = JSON.parse(res.request().postData()).marks;
  assert.equal(sent.length, pre.filter((s) => s === 'unmarked').length, 'the rows changed only');
  await saved(page, 'Tanda tersimpan', '#rc-form');
  await shot(page, 'roll-call-360');

  await page.locator('#rc-close button[type=submit]').click();
  await saved(page, 'Apel ditutup', '#rc-open');
  const last = (await staff.get(`/houses/${hid}/roll-calls?status=closed`)).body.items.at(-1);
  const rc = (await staff.get(`/roll-calls/${last.id}`)).body;
  assert.equal(rc.status, 'closed');
  assert.equal(rc.totals.absent, 1);
  assert.equal(rc.totals.excused, 1);
  assert.equal(rc.totals.unmarked, 0);
  assert.deepEqual(page.errors, []);
});
