// Tonight (§17.9) and the capacity forecast (§17.10). On a phone (360 px, staff): the demo house's
// night within the screen's width, its counts those of the API, a referral expected today on the
// bed held for it (its name, room and bed); a handover note written (shift,
// several lines, two flags) joins the list without a reload and is stored as written. At 1280 px
// (manager): the forecast of 30 days by day and of 90 days by week, each figure the API's, the
// chart one point per day. Screenshots at both widths; no page errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, saved, fitsScreen, day } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ready = (page, part) => page.locator(`#main > .view:not([aria-busy]) ${part}`).waitFor();
const rows = (page) => page.locator('#fc-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].slice(1).map((c) => Number(c.textContent))));

test('tonight on a phone: the night at a glance, a handover note written and stored', async () => {
  const staff = await apiAs('staff'), mgr = await apiAs('manager');
  const hid = staff.me.house_ids[0];
  // someone to expect: a referral arriving today, a free bed of a men's room held for it
  const male = new Set((await staff.get(`/houses/${hid}/rooms`)).body.items.filter((r) => r.sex !== 'female').map((r) => r.id));
  const bed = (await staff.get(`/houses/${hid}/beds`)).body.items.find((b) => b.state === 'free' && male.has(b.room_id));
  const ref = await mgr.post('/referrals', { house_id: hid, full_name: 'Bambang Riyadi', register_number: 'LP-E2E-12', sex: 'male',
    from_institution: 'Lapas Kelas IIA Jambi', expected_legal_basis: 'pembebasan_bersyarat', expected_arrival_on: day() });
  assert.equal(ref.status, 201);
  const hold = await staff.post(`/beds/${bed.id}/holds`, { referral_id: ref.body.id, until: new Date(Date.now() + 864e5).toISOString() });
  assert.equal(hold.status, 201);
  const night = (await staff.get(`/houses/${hid}/tonight`)).body;
  assert.ok(night.arrivals.some((a) => a.hold_id === hold.body.id));
  const page = await open(browser, A, 360, 780);
  await login(page, 'staff');
  await page.click('nav a[href="#/tonight"]');
  await ready(page, '#tn-counts');
  const counts = await page.locator('#tn-counts li b').allInnerTexts();
  assert.deepEqual(counts.slice(0, 3).map(Number), [night.counts.in_house, night.counts.out, night.counts.overdue]);
  assert.equal(await page.locator('#tn-out li').count(), night.out.length);
  assert.equal(await page.locator('#tn-arrivals li').count(), night.arrivals.length);
  const arrival = await page.locator(`#tn-arrivals li[data-hold="${hold.body.id}"]`).innerText();
  assert.match(arrival, /Bambang Riyadi/);
  assert.ok(arrival.includes(bed.room_code + ' · ' + bed.label), arrival);
  await fitsScreen(page, '#main');

  const text = 'Pak Slamet batuk sejak sore.\nSudah minum obat; cek lagi jam 02.00.';
  const form = page.locator('#hn-form');
  await form.locator('[name=shift]').selectOption('night');
  await form.locator('[name=note]').fill(text);
  await form.locator('label:has-text("Kejadian")').click();
  await form.locator('label:has-text("Perlu tindak lanjut")').click();
  const post = page.waitForResponse((r) => r.url().endsWith('/handover-notes') && r.request().method() === 'POST');
  await form.locator('button[type=submit]').click();
  const res = await post;
  assert.equal(res.status(), 201);
  const id = (await res.json()).id;
  await saved(page, 'Catatan serah terima tersimpan', '#hn-list');
  const li = page.locator(`#hn-list li[data-id="${id}"]`);
  assert.equal(await li.locator('.note-text').innerText(), text);
  assert.match(await li.innerText(), /Malam[\s\S]*Kejadian[\s\S]*Perlu tindak lanjut/);
  assert.equal(await form.locator('[name=note]').inputValue(), '', 'the form is ready for the next note');
  const stored = (await staff.get(`/houses/${hid}/handover-notes?limit=200`)).body.items.find((n) => n.id === id);
  assert.deepEqual([stored.shift, stored.note, stored.flags, stored.author_id], ['night', text, ['incident', 'follow_up'], staff.me.id]);
  await fitsScreen(page, '#main');
  await shot(page, 'tonight-360');
  assert.deepEqual(page.errors, []);
});

test('tonight at 1280 px, and the forecast by day and by week: the figures of the API', async () => {
  const mgr = await apiAs('manager');
  const hid = mgr.me.house_ids[0];
  const page = await open(browser, A, 1280, 900);
  await login(page, 'manager');
  await page.click('nav a[href="#/tonight"]');
  await ready(page, '#tn-counts');
  await shot(page, 'tonight-1280');
  await page.click('nav a[href="#/forecast"]');
  await ready(page, '#fc-table');
  await page.locator('#fc-days').selectOption('30');
  await page.waitForURL(/days=30/);
  await ready(page, 'svg#forecast-chart[data-points="30"]');
  const day = (await mgr.get(`/houses/${hid}/forecast?days=30`)).body.items;
  const fig = (d) => [d.expected_occupied, d.expected_free, d.expected_occupied_legal, d.arrivals, d.exits, d.pending_arrivals, d.supervision_ends];
  assert.deepEqual(await rows(page), day.map(fig));

  await page.locator('#fc-days').selectOption('90');
  await ready(page, 'svg#forecast-chart[data-points="90"]');
  const chart = page.locator('svg#forecast-chart');
  assert.equal(((await chart.locator('path.line').getAttribute('d')).match(/[ML]/g) || []).length, 90, 'one point per day');
  const items = (await mgr.get(`/houses/${hid}/forecast?days=90`)).body.items;
  const weeks = [];
  for (let i = 0; i < 90; i += 7) {
    const g = items.slice(i, i + 7), max = (k) => Math.max(...g.map((d) => d[k])), sum = (k) => g.reduce((a, d) => a + d[k], 0);
    weeks.push([max('expected_occupied'), Math.min(...g.map((d) => d.expected_free)), max('expected_occupied_legal'),
      sum('arrivals'), sum('exits'), sum('pending_arrivals'), sum('supervision_ends')]);
  }
  assert.deepEqual(await rows(page), weeks);
  const box = await chart.boundingBox();
  assert.ok(box.width > 600 && box.height > 200, 'the chart is drawn at a readable size');
  await shot(page, 'forecast-1280');
  await page.setViewportSize({ width: 360, height: 780 });
  await page.reload();
  await ready(page, 'svg#forecast-chart');
  await fitsScreen(page, '#main');
  await shot(page, 'forecast-360');
  assert.deepEqual(page.errors, []);
});
