// The attendance sheet of a session (§16.6) on a phone (360 px, staff) and at 1280 px (a manager):
// a running programme with 40 enrolled residents and a session that began an hour ago, made through
// the API; the sheet shows one row per person within the screen's width, "all present", a few taps
// cycle present → late → excused → absent, one save sends the whole sheet with If-Match "0" (201),
// the session is held with its headcount; after a reload the statuses are kept; a sheet changed
// meanwhile elsewhere gives 412: the stored sheet is drawn again with a word why, and a second save
// answers 200.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, day, saved, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const N = 40;
const ok = (r, code = 201) => { assert.equal(r.status, code, JSON.stringify(r.body)); return r.body; };

async function setup(width) {
  const mgr = await apiAs('manager');
  const hid = mgr.me.house_ids[0];
  const p = ok(await mgr.post('/programmes', { house_id: hid, title: `Kelas Menjahit ${width}`, kind: 'skills_training', starts_on: day(-7), ends_on: day(30) }));
  ok(await mgr.patch('/programmes/' + p.id, { status: 'open' }, { 'If-Match': `"${p.version}"` }), 200);
  for (let i = 1; i <= N; i++) {
    const full_name = i === 2 ? `Muhammad Rizky Ramadhan Saputra Wijayakusuma ${width}` : `Peserta ${String(i).padStart(2, '0')} ${width}`;
    const r = ok(await mgr.post('/residents', { house_id: hid, full_name, register_number: `E2E-ATT-${width}-${i}`, sex: 'male', legal_status: 'released' }));
    assert.equal(ok(await mgr.post(`/programmes/${p.id}/enrolments`, { resident_id: r.id })).stage, 'enrolled');
  }
  const s = ok(await mgr.post(`/programmes/${p.id}/sessions`, { scheduled_at: new Date(Date.now() - 3600e3).toISOString(), duration_minutes: 120, topic: `Menjahit pola dasar ${width}` }));
  return { mgr, s };
}

const statuses = (page) => page.locator('#attendance .sheet > li').evaluateAll((ls) => ls.map((l) => l.dataset.status));

async function flow(width, height, user) {
  const { mgr, s } = await setup(width);
  const page = await open(browser, A, width, height);
  await login(page, user);
  await page.goto('/#/session/' + s.id);
  await page.locator('#att-form').waitFor();
  assert.equal(await page.locator('#attendance .sheet > li').count(), N);
  assert.deepEqual(new Set(await statuses(page)), new Set(['']), 'nothing marked before the first recording');
  if (width < 400) await fitsScreen(page, '#attendance');

  // an unmarked row stops the save before it is sent
  await page.locator('#att-form button[type=submit]').click();
  await page.locator('#att-form .form-alert').waitFor();
  assert.equal(await page.locator('#att-form .field-error').count(), N);

  await page.click('#att-all');
  const btn = (i) => page.locator(`#attendance .sheet > li:nth-child(${i}) button`);
  await btn(1).click(); // late
  for (let k = 0; k < 2; k++) await btn(2).click(); // excused
  for (let k = 0; k < 3; k++) await btn(3).click(); // absent
  for (let k = 0; k < 4; k++) await btn(4).click(); // round the cycle: present again
  assert.deepEqual((await statuses(page)).slice(0, 5), ['late', 'excused', 'absent', 'present', 'present']);
  assert.equal(await btn(3).innerText(), 'Absen');
  assert.match(await page.locator('.sheet-bar').innerText(), /Hadir 37 · Terlambat 1 · Izin 1 · Absen 1/);
  if (width < 400) await fitsScreen(page, '#attendance');

  const put = page.waitForResponse((r) => r.url().endsWith(`/sessions/${s.id}/attendance`) && r.request().method() === 'PUT');
  await page.locator('#att-form button[type=submit]').click();
  const res = await put;
  assert.equal(res.status(), 201);
  assert.equal(res.request().headers()['if-match'], '"0"');
  assert.equal(JSON.parse(res.request().postData()).records.length, N);
  await saved(page, 'Daftar hadir tersimpan', '#att-form');
  assert.match(await page.locator('.view-head').innerText(), /Terlaksana/);
  assert.match(await page.locator('#sess-facts').innerText(), /Hadir\s+38[\s\S]*Hadir 37 · Terlambat 1 · Izin 1 · Absen 1/);
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight)); // the sticky save bar at the sheet's end
  await shot(page, `attendance-${width}`);

  await page.reload();
  await page.locator('#att-form').waitFor();
  assert.deepEqual((await statuses(page)).slice(0, 5), ['late', 'excused', 'absent', 'present', 'present']);

  // someone else changes the sheet meanwhile: 412, the stored sheet drawn again
  const stored = ok(await mgr.get(`/sessions/${s.id}/attendance`), 200);
  const other = stored.records.map((r, i) => ({ enrolment_id: r.enrolment_id, status: i === 4 ? 'absent' : r.status }));
  ok(await mgr.put(`/sessions/${s.id}/attendance`, { records: other }, { 'If-Match': `"${stored.version}"` }), 200);
  await btn(1).click(); // late → excused, on the old version
  await page.locator('#att-form button[type=submit]').click();
  await saved(page, 'diubah orang lain', '#att-form');
  assert.deepEqual((await statuses(page)).slice(0, 5), ['late', 'excused', 'absent', 'present', 'absent']);
  await btn(1).click();
  const put2 = page.waitForResponse((r) => r.url().endsWith(`/sessions/${s.id}/attendance`) && r.request().method() === 'PUT');
  await page.locator('#att-form button[type=submit]').click();
  assert.equal((await put2).status(), 200);
  await saved(page, 'Daftar hadir tersimpan', '#att-form');
  assert.equal((await statuses(page))[0], 'excused');
  assert.equal(ok(await mgr.get(`/sessions/${s.id}/attendance`), 200).records[0].status, 'excused');
  assert.deepEqual(page.errors, []);
  await page.context().close();
}

test('the attendance sheet of 40 people on a phone (staff, 360 px)', () => flow(360, 780, 'staff'));
test('the attendance sheet at 1280 px (a manager)', () => flow(1280, 900, 'manager'));
