// The privacy worklists of §18 in the console, at 1 280 px and at 360 px: a caseworker records a
// data-subject request on a resident's page, finds it in the worklist with its due clock and
// answers it (then listed as answered); a deletion request entered late (overdue at once, listed
// first) is refused after the server's 409 erasure_blocked (the resident is in residence), and
// the demo's request closed meanwhile elsewhere gives 409 request_closed, both said in Indonesian;
// the follow-ups of the demo resident who left: a result reached with its five outcomes, one not
// reached, one cancelled; the processing history on the resident page with its print page; the
// menu offers these pages to caseworkers, not to staff; nothing wider than 360 px; no page errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { A, SHOTS, launch, open, login, shot, apiAs, fill, saved, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** a wall time in the demo house's zone (Asia/Jakarta) h hours ago, as a datetime-local value */
const wall = (hoursAgo) => new Date(Date.now() - hoursAgo * 36e5 + 7 * 36e5).toISOString().slice(0, 16);

async function recordRequest(page, rid, v, shotName) {
  await page.goto('/#/resident/' + rid);
  await page.locator('#dr-new-box > summary').click();
  await fill(page.locator('#dr-form'), v);
  if (shotName) await part(page, '#requests', shotName);
  await page.locator('#dr-form button[type=submit]').click();
  await saved(page, 'Permintaan dicatat', '#dr-list');
}

/** a screenshot of one part of a long page (the resident page's panels) */
const part = (page, sel, name) => page.locator(sel).screenshot({ path: join(SHOTS, name + '.png') });

const worklistIds = (page) => page.locator('#dr-worklist > li').evaluateAll((ls) => ls.map((l) => l.dataset.id));

test('data-subject requests: record, the worklist with its clock, answer, refuse, the 409s', async () => {
  const cw = await apiAs('caseworker');
  const hid = cw.me.house_ids[0];
  const roster = (await cw.get(`/houses/${hid}/roster`)).body.items;
  const [one, two] = [roster[0].resident_id, roster[1].resident_id];

  const page = await open(browser, A, 1280, 900);
  await login(page, 'caseworker');
  assert.equal(await page.locator('nav a[href="#/requests"]').innerText(), 'Permintaan data');
  assert.equal(await page.locator('nav a[href="#/follow-ups"]').innerText(), 'Pendampingan lanjutan');
  await recordRequest(page, one, { kind: 'access', details: 'Klien meminta salinan data dirinya (uji e2e).' }, 'resident-request-form-1280');
  const q = (await cw.get(`/residents/${one}/requests`)).body.items.find((x) => x.status === 'open' && /uji e2e/.test(x.details));
  assert.ok(q, 'the API holds the open request');
  assert.equal(Date.parse(q.due_at) - Date.parse(q.received_at), 72 * 36e5);
  assert.match(await page.locator(`#dr-list > li[data-id="${q.id}"] [data-due]`).innerText(), /^sisa (71|72) jam|^sisa 3 hari/);

  await page.goto('/#/requests');
  const item = page.locator(`#dr-worklist > li[data-id="${q.id}"]`);
  await item.waitFor();
  assert.match(await item.locator('[data-due]').innerText(), /^sisa /);
  assert.equal(await item.locator('a').getAttribute('href'), '#/resident/' + one);
  const api = (await cw.get(`/data-requests?house_id=${hid}&status=open&limit=50`)).body.items.map((x) => x.id);
  assert.deepEqual(await worklistIds(page), api, 'the worklist in the server\'s order (overdue first)');
  await shot(page, 'requests-1280');

  // the demo's request, closed meanwhile elsewhere: 409 request_closed in the form, in Indonesian
  const demo = (await cw.get(`/data-requests?house_id=${hid}&status=open&limit=50`)).body.items.find((x) => x.id !== q.id && x.kind === 'access');
  if (demo) {
    await page.locator(`#dr-close-${demo.id} > summary`).click();
    const df = page.locator(`#dr-close-${demo.id} form`);
    await df.locator('[name=response]').fill('Salinan diserahkan.');
    assert.equal((await cw.post(`/data-requests/${demo.id}/close`, { status: 'answered', response: 'Salinan data dan rekam jejak diserahkan kepada klien.' })).status, 200);
    await df.locator('button[type=submit]').click();
    const alert = df.locator('.form-alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Permintaan sudah ditutup[\s\S]*sudah dijawab atau ditolak/);
  }

  await page.goto('/#/requests');
  await item.waitFor();
  await item.locator(`#dr-close-${q.id} > summary`).click();
  const cf = item.locator('form');
  assert.ok(await cf.locator('[name=refusal_reason]').isHidden(), 'the refusal ground only for a refusal');
  await cf.locator('[name=response]').fill('Salinan data diri dan rekam jejak pemrosesan diserahkan kepada klien.');
  await cf.locator('button[type=submit]').click();
  await saved(page, 'Permintaan dijawab', 'form[role=search]');
  await page.locator(`#dr-worklist > li[data-id="${q.id}"]`).waitFor({ state: 'detached' }); // gone from the open ones
  const closed = (await cw.get(`/data-requests/${q.id}`)).body;
  assert.deepEqual([closed.status, closed.answered_late], ['answered', false]);
  await page.locator('select[name=status]').selectOption('');
  await page.locator('form[role=search] button[type=submit]').click();
  await page.locator(`#dr-worklist > li[data-id="${q.id}"][data-status=answered]`).waitFor();
  await shot(page, 'requests-closed-1280');
  assert.deepEqual(page.errors, []);

  // 360 px: a deletion request entered late (80 hours ago), overdue at once and listed first;
  // the erasure blocked while the resident is in residence, then refused with its ground
  const phone = await open(browser, A, 360, 780);
  await login(phone, 'caseworker');
  await recordRequest(phone, two, { kind: 'deletion', received_at: wall(80), details: 'Klien meminta datanya dihapus.' });
  await fitsScreen(phone, '#requests');
  await part(phone, '#requests', 'resident-requests-360');
  const d = (await cw.get(`/residents/${two}/requests`)).body.items.find((x) => x.status === 'open' && x.kind === 'deletion');
  assert.ok(d.overdue, 'overdue at once');
  await phone.goto('/#/requests');
  await phone.locator('#dr-worklist > li').first().waitFor();
  assert.equal((await worklistIds(phone))[0], d.id, 'the most overdue first');
  const di = phone.locator(`#dr-worklist > li[data-id="${d.id}"]`);
  assert.match(await di.locator('[data-due]').innerText(), /^Terlambat (8|7) jam/);
  assert.match(await di.locator('[data-due]').getAttribute('class'), /overdue/);
  await di.locator(`#dr-close-${d.id} > summary`).click();
  const df = di.locator('form');
  await df.locator('[name=response]').fill('Data dihapus.');
  await df.locator('button[type=submit]').click();
  await df.locator('.form-alert').waitFor();
  assert.match(await df.locator('.form-alert').innerText(), /Data belum dapat dihapus[\s\S]*masih tinggal di rumah/);
  await fitsScreen(phone, '#main');
  await shot(phone, 'requests-360');
  await df.locator('[name=status]').selectOption('refused');
  await df.locator('[name=refusal_reason]').fill('Klien masih menjalani pembimbingan: tugas publik (Pasal 43 UU PDP).');
  await df.locator('button[type=submit]').click();
  await saved(phone, 'Permintaan ditolak', 'form[role=search]');
  const refused = (await cw.get(`/data-requests/${d.id}`)).body;
  assert.deepEqual([refused.status, refused.answered_late], ['refused', true]);
  assert.deepEqual(phone.errors, []);
});

test('follow-ups of a resident who left: a result reached, one not reached, one cancelled', async () => {
  const cw = await apiAs('caseworker');
  const hid = cw.me.house_ids[0];
  const pending = (await cw.get(`/follow-ups?house_id=${hid}&status=pending&limit=50`)).body.items;
  assert.ok(pending.length >= 3, 'the demo resident who left has three pending follow-ups');
  const [f1, f2, f3] = pending;

  const page = await open(browser, A, 1280, 900);
  await login(page, 'caseworker');
  await page.click('nav a[href="#/follow-ups"]');
  const li = page.locator(`#fu-worklist > li[data-id="${f1.id}"]`);
  await li.waitFor();
  assert.deepEqual(await page.locator('#fu-worklist > li').evaluateAll((ls) => ls.map((l) => l.dataset.id)), pending.map((x) => x.id));
  assert.match(await li.innerText(), new RegExp('Hari ke-' + f1.offset_days + ' setelah keluar'));
  await li.locator(`#fu-result-${f1.id} > summary`).click();
  const rf = li.locator(`#fu-result-${f1.id} form`);
  await rf.locator('[name=method]').selectOption('home_visit');
  // an outcome left unanswered is asked for before anything is sent
  await rf.locator('button[type=submit]').click();
  await rf.locator('.field-error').first().waitFor();
  await fill(rf, { housing_stable: 'true', employed: 'true', business_operating: 'false', reoffended: 'false', reporting_compliant: 'true',
    note: 'Tinggal bersama keluarga, bekerja di bengkel.' });
  await shot(page, 'follow-up-result-1280');
  await rf.locator('button[type=submit]').click();
  await saved(page, 'Hasil pendampingan tersimpan', 'form[role=search]');
  const done = (await cw.get(`/follow-ups/${f1.id}`)).body;
  assert.deepEqual([done.status, done.method, done.unreachable, done.housing_stable, done.employed, done.business_operating, done.reoffended, done.reporting_compliant],
    ['done', 'home_visit', false, true, true, false, false, true]);
  await page.locator('select[name=status]').selectOption('');
  await page.locator('form[role=search] button[type=submit]').click();
  await page.locator(`#fu-worklist > li[data-id="${f1.id}"][data-status=done]`).waitFor();
  await shot(page, 'follow-ups-1280');
  assert.deepEqual(page.errors, []);

  const phone = await open(browser, A, 360, 780);
  await login(phone, 'caseworker');
  await phone.goto('/#/follow-ups');
  const l2 = phone.locator(`#fu-worklist > li[data-id="${f2.id}"]`);
  await l2.waitFor();
  await l2.locator(`#fu-result-${f2.id} > summary`).click();
  const f2f = l2.locator(`#fu-result-${f2.id} form`);
  await f2f.locator('[name=method]').selectOption('phone');
  await f2f.locator('[name=unreachable]').check();
  assert.ok(await f2f.locator('.fu-outcomes').isHidden(), 'no outcomes when not reached');
  await fitsScreen(phone, '#fu-worklist');
  await f2f.locator('button[type=submit]').click();
  await saved(phone, 'Hasil pendampingan tersimpan', 'form[role=search]');
  const u = (await cw.get(`/follow-ups/${f2.id}`)).body;
  assert.deepEqual([u.status, u.unreachable, u.employed], ['done', true, null]);

  const l3 = phone.locator(`#fu-worklist > li[data-id="${f3.id}"]`);
  await l3.locator(`#fu-cancel-${f3.id} > summary`).click();
  await l3.locator(`#fu-cancel-${f3.id} form [name=reason]`).fill('Kembali ke Lapas (pencabutan PB).');
  await l3.locator(`#fu-cancel-${f3.id} form button[type=submit]`).click();
  await saved(phone, 'Pendampingan dibatalkan', 'form[role=search]');
  assert.equal((await cw.get(`/follow-ups/${f3.id}`)).body.status, 'cancelled');
  await phone.locator('select[name=status]').selectOption('');
  await phone.locator('form[role=search] button[type=submit]').click();
  await phone.locator(`#fu-worklist > li[data-id="${f3.id}"][data-status=cancelled]`).waitFor();
  await fitsScreen(phone, '#main');
  await shot(phone, 'follow-ups-360');
  assert.deepEqual(phone.errors, []);
});

test('processing history on the resident page, its print page, a manager\'s way to the resident\'s disclosure log; not for staff', async () => {
  const cw = await apiAs('caseworker');
  const hid = cw.me.house_ids[0];
  const rid = (await cw.get(`/houses/${hid}/roster`)).body.items[0].resident_id;
  for (const [width, height] of [[1280, 900], [360, 780]]) {
    const page = await open(browser, A, width, height);
    await login(page, 'caseworker');
    await page.goto('/#/resident/' + rid);
    await page.locator('#ph-box > summary').click();
    await page.locator('#ph-table tbody tr').first().waitFor();
    const entries = (await cw.get(`/residents/${rid}/processing-history?limit=50`)).body.items;
    assert.equal(await page.locator('#ph-table tbody tr').count(), entries.length);
    assert.ok(await page.locator('#ph-table tbody tr[data-type=change]').count() > 0, 'changes listed');
    const dl = page.waitForEvent('download');
    await page.click('#ph-print');
    const file = await (await dl).path();
    const html = readFileSync(file, 'utf8');
    const r = (await cw.get('/residents/' + rid)).body;
    assert.ok(html.includes(r.register_number), 'the print page names the register number');
    assert.match(html, /<table/);
    if (width === 360) await fitsScreen(page, '#history');
    await part(page, '#history', 'history-' + width);
    assert.equal(await page.locator('#ph-disclosures').count(), 0, 'the disclosure log is not a caseworker\'s');
    assert.deepEqual(page.errors, []);
  }
  // a manager goes from the history to the disclosure log of this resident
  const mgr = await open(browser, A, 360, 780);
  await login(mgr, 'manager');
  await mgr.goto('/#/resident/' + rid);
  await mgr.locator('#ph-box > summary').click();
  await mgr.locator('#ph-disclosures').click();
  await mgr.locator('#dl-table tbody tr').first().waitFor();
  assert.equal(await mgr.locator('#dl-filter select[name=resident_id]').inputValue(), rid);
  assert.match(mgr.url(), new RegExp(`#/disclosures\\?resident_id=${rid}`));
  const shown = await mgr.locator('#dl-table tbody tr a[data-resident]').evaluateAll((as) => as.map((a) => a.dataset.resident));
  assert.ok(shown.length > 0 && shown.every((x) => x === rid), 'only this resident\'s disclosures');
  assert.deepEqual(mgr.errors, []);
  const staff = await open(browser, A, 360, 780);
  await login(staff, 'staff');
  assert.equal(await staff.locator('nav a[href="#/requests"], nav a[href="#/follow-ups"]').count(), 0, 'not in the staff menu');
  await staff.goto('/#/resident/' + rid);
  await staff.locator('#main > .view:not([aria-busy]) h1').waitFor();
  assert.equal(await staff.locator('#requests, #history').count(), 0, 'no requests or history for staff');
  assert.deepEqual(staff.errors, []);
});
