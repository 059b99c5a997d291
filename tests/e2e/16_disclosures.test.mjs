// The disclosure log of §18.4 in the console, at 1 280 px and at 360 px: a caseworker reads a
// resident whose national ID is set with a purpose (X-Purpose) and exports the residents as CSV;
// a manager finds the read in the log — when, kind, who, the resident by name, the source, the
// fields, the purpose — page by page, narrows it by resident and kind (the server's answer, in its
// order), gets the same selection as CSV (its header the contract's columns); an admin sees who
// by name, and with a second house "all houses" lists its reads too; the menu offers the log to
// managers and admins, not to caseworkers or staff; nothing
// wider than 360 px; no page errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { A, SHOTS, launch, open, login, shot, apiAs, fitsScreen, day } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PURPOSE = 'kunjungan rumah (uji e2e log)';
const rowIds = (page) => page.locator('#dl-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.id));

/** the log's first page, then "Muat lebih banyak" until the row of id is there */
async function findRow(page, id) {
  const row = page.locator(`#dl-table tbody tr[data-id="${id}"]`);
  for (let i = 0; i < 200 && !(await row.count()); i++) {
    const more = page.locator('#main .actions button:has-text("Muat lebih banyak")');
    await more.waitFor();
    const n = await page.locator('#dl-table tbody tr').count();
    await more.click();
    await page.waitForFunction((k) => document.querySelectorAll('#dl-table tbody tr').length > k, n);
  }
  return row;
}

test('the disclosure log: a read with its purpose, filters, CSV, the menu by role', async () => {
  const cw = await apiAs('caseworker');
  const hid = cw.me.house_ids[0];
  const roster = (await cw.get(`/houses/${hid}/roster`)).body.items;
  const rid = roster[0].resident_id;
  // the read: one object with its national ID, and a purpose
  const res = await fetch(A + '/api/v1/residents/' + rid, { headers: { Authorization: 'Bearer ' + cw.token, 'X-Purpose': PURPOSE } });
  assert.equal(res.status, 200);
  const resident = await res.json();
  assert.match(resident.national_id || '', /^\d{16}$/, 'the seeded resident has a national ID');
  // an export: the residents CSV names every resident of the house
  const csvRes = await fetch(A + '/api/v1/residents?house_id=' + hid, { headers: { Authorization: 'Bearer ' + cw.token, Accept: 'text/csv' } });
  assert.equal(csvRes.status, 200);
  await csvRes.text();

  const mgr = await apiAs('manager');
  const reads = (await mgr.get(`/disclosures?house_id=${hid}&resident_id=${rid}&kind=read&limit=200`)).body.items;
  const rec = reads.find((d) => d.purpose === PURPOSE);
  assert.ok(rec, 'the server recorded the read');
  assert.deepEqual([rec.user_id, rec.role, rec.entity, rec.entity_id], [cw.me.id, 'caseworker', 'resident', rid]);
  assert.ok(rec.fields.includes('national_id'));

  for (const width of [1280, 360]) {
    const page = await open(browser, A, width, width > 400 ? 900 : 780);
    await login(page, 'manager');
    const link = page.locator('nav a[href="#/disclosures"]');
    assert.equal(await link.innerText(), 'Log pengungkapan');
    await link.click();
    await page.locator('#main > .view:not([aria-busy]) #dl-filter').waitFor();
    await page.locator('#dl-table tbody tr').first().waitFor();
    // the top of the first page as one opens it (the whole of 50 records on a phone is 11 000 px)
    await page.screenshot({ path: join(SHOTS, `disclosures-${width}.png`), fullPage: true, clip: { x: 0, y: 0, width, height: 1600 } });

    // unfiltered: the read is there (oldest first: it may be pages away)
    const row = await findRow(page, rec.id);
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[1], 'Dibaca');
    assert.match(cells[2], /^[0-9a-f]{8} Pembimbing Kemasyarakatan$/, 'a manager sees who by role and id');
    assert.equal(cells[3], resident.full_name, 'the resident by name (from the bed board)');
    assert.equal(await row.locator('a').getAttribute('href'), '#/resident/' + rid);
    assert.match(cells[4], /^resident [0-9a-f]{8}$/);
    assert.match(cells[5], /national_id/);
    assert.equal(cells[6], PURPOSE);
    if (width === 360) await fitsScreen(page, '#main');

    // narrowed: this resident's reads of today; the server's answer in its order
    await page.locator('#dl-filter select[name=resident_id]').selectOption(rid);
    await page.locator('#dl-filter select[name=kind]').selectOption('read');
    await page.locator('#dl-filter input[name=from]').fill(day(0));
    await page.locator('#dl-filter input[name=to]').fill(day(0));
    await page.locator('#dl-filter button[type=submit]').click();
    await page.waitForFunction(() => [...document.querySelectorAll('#dl-table tbody tr')].every((r) => r.dataset.kind === 'read'));
    await page.locator(`#dl-table tbody tr[data-id="${rec.id}"]`).waitFor();
    const want = (await mgr.get(`/disclosures?house_id=${hid}&resident_id=${rid}&kind=read&from=${day(0)}&to=${day(0)}&limit=50`)).body.items.map((d) => d.id);
    assert.deepEqual(await rowIds(page), want);
    assert.match(page.url(), new RegExp(`#/disclosures\\?resident_id=${rid}&kind=read&from=`), 'the filters in the address');
    if (width === 360) await fitsScreen(page, '#main');
    await shot(page, 'disclosures-filtered-' + width);

    // the same selection as CSV
    const dl = page.waitForEvent('download');
    await page.click('#dl-csv');
    const csv = readFileSync(await (await dl).path(), 'utf8').trim().split(/\r?\n/);
    assert.equal(csv[0], 'id,at,kind,user_id,role,partner_id,resident_id,house_id,entity,entity_id,fields,purpose,consent_id,request_id,path');
    assert.equal(csv.length - 1, want.length);
    assert.ok(csv.some((l) => l.startsWith(rec.id + ',') && l.includes(PURPOSE)));
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }

  // an admin sees who by name; exports are there too
  const adm = await open(browser, A, 1280, 900);
  await login(adm, 'admin');
  await adm.goto(`/#/disclosures?resident_id=${rid}&kind=read`);
  const arow = adm.locator(`#dl-table tbody tr[data-id="${rec.id}"]`);
  await arow.waitFor();
  assert.match(await arow.locator('td').nth(2).innerText(), new RegExp('^' + cw.me.full_name + ' Pembimbing Kemasyarakatan$'));
  await adm.locator('#dl-filter select[name=kind]').selectOption('export');
  await adm.locator('#dl-filter button[type=submit]').click();
  await adm.locator('#dl-table tbody tr[data-kind=export]').first().waitFor();
  assert.equal(await adm.locator('#dl-table tbody tr:not([data-kind=export])').count(), 0);
  assert.match(await adm.locator('#dl-table tbody tr[data-kind=export] td').nth(4).innerText(), /^residents$|^resident$/);
  await shot(adm, 'disclosures-admin-1280');
  assert.deepEqual(adm.errors, []);

  // a second house, and a read there: "all houses" shows it, the one house does not
  const admin = await apiAs('admin');
  const house2 = (await admin.post('/houses', { code: 'E2E-DL2', name: 'Rumah kedua (e2e)' })).body;
  const r2 = (await admin.post('/residents', { house_id: house2.id, full_name: 'Klien Rumah Dua', register_number: 'E2E-DL2-1',
    sex: 'male', legal_status: 'released', national_id: '1571010101900099' })).body;
  assert.equal((await admin.get('/residents/' + r2.id)).status, 200);
  const read2 = (await admin.get(`/disclosures?resident_id=${r2.id}&kind=read`)).body.items[0];
  assert.ok(read2 && read2.house_id === house2.id, 'the read in the second house is recorded');
  const many = await open(browser, A, 1280, 900);
  await login(many, 'admin');
  await many.goto(`/#/disclosures?user_id=${admin.me.id}&kind=read`);
  await many.locator('#dl-filter input[name=all]').waitFor();
  // the first answer is in: its rows or the list's "none" line are drawn
  await many.waitForFunction(() => document.querySelector('#dl-table tbody tr')
    || [...document.querySelectorAll('#main p.muted')].some((p) => p.textContent.startsWith('Tidak ada pengungkapan')));
  assert.equal(await many.locator(`#dl-table tbody tr[data-id="${read2.id}"]`).count(), 0, 'not in the one house');
  const asked = many.waitForRequest((q) => q.url().includes('/api/v1/disclosures?') && !q.url().includes('house_id='));
  await many.locator('#dl-filter input[name=all]').check();
  await many.locator('#dl-filter button[type=submit]').click();
  await asked;
  await many.locator(`#dl-table tbody tr[data-id="${read2.id}"]`).waitFor();
  assert.match(many.url(), /[?&]all=1/, '"all houses" in the address');
  assert.deepEqual(many.errors, []);

  // not in the menu of caseworkers and staff
  for (const who of ['caseworker', 'staff']) {
    const p = await open(browser, A, 360, 780);
    await login(p, who);
    assert.equal(await p.locator('nav a[href="#/disclosures"]').count(), 0, 'not in the menu of ' + who);
    await p.context().close();
  }
});
