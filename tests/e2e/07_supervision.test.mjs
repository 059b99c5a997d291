// Supervision in the console (§15), at 1280 px and at 360 px: a caseworker's home is the caseload;
// on a new resident's page they record a legal basis (PB), set a reporting schedule that began
// two weeks ago (two periods already missed: critical), record a back-dated report (one miss:
// the alert is a warning), then see the second miss turn critical again — at 1280 px the report
// is voided, at 360 px an excuse is taken back — the header's badge counting along through the
// live stream; they acknowledge the critical alert on the alerts page. Staff see on the alerts
// page only the kinds they may see, and acknowledge only the kinds they may. A manager changes
// the house's settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { A, SHOTS, launch, open, login, shot, apiAs, day, fill, saved, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** the number in the header's badge, once it is `n` (it follows the live stream) */
async function badgeIs(page, n) {
  await page.waitForFunction((want) => document.querySelector('#alert-badge b')?.textContent === want, String(n), { timeout: 20000 });
}

const periodsOf = (page) => page.locator('#reporting-periods > li').evaluateAll((ls) => ls.map((l) => [l.dataset.due, l.dataset.status, l.classList.contains('run')]));

async function flow(width, height, undo) {
  const cw = await apiAs('caseworker');
  const name = `Rudi Hartono ${width}`;
  const made = await cw.post('/residents', { house_id: cw.me.house_ids[0], full_name: name, register_number: `E2E-LAPOR-${width}`, sex: 'male', legal_status: 'released', caseworker_id: cw.me.id });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const rid = made.body.id;
  // the seed's residents in residence become this caseworker's (run.sh seeds before the caseworker
  // exists), so that the caseload has more than the new resident
  for (const r of (await cw.get(`/residents?house_id=${cw.me.house_ids[0]}&status=in_residence&limit=6`)).body.items) {
    if (r.caseworker_id !== cw.me.id) assert.equal((await cw.patch('/residents/' + r.id, { caseworker_id: cw.me.id })).status, 200);
  }
  const critical0 = (await cw.get(`/alerts?house_id=${cw.me.house_ids[0]}&severity=critical&acknowledged=false&limit=200`)).body.items.length;

  const page = await open(browser, A, width, height);
  await login(page, 'caseworker');
  // the caseworker's home: the caseload, the new resident in it (in residence: no; supervised: not yet)
  assert.match(page.url(), /#\/caseload$/);
  await badgeIs(page, critical0);

  await page.goto('/#/resident/' + rid);
  await page.locator('#legal-none').waitFor();
  assert.match(await page.locator('#reporting').innerText(), /tidak dalam pengawasan/);

  // 1. a legal basis: PB from two months ago
  await page.click('#legal-new-box > summary');
  await fill(page.locator('#legal-new'), { type: 'pembebasan_bersyarat', starts_on: day(-60), supervision_ends_on: day(300),
    decree_number: `PAS-${width}.PK.01.05/2026`, decree_date: day(-62) });
  await page.locator('#legal-new button[type=submit]').click();
  await saved(page, 'Dasar hukum baru tercatat');
  assert.match(await page.locator('#reporting').innerText(), /Belum ada jadwal wajib lapor/);

  // 2. a schedule every 7 days from two weeks ago, no grace: two periods missed, one due
  await page.click('#rep-schedule-box > summary');
  const sf = page.locator('#rep-schedule');
  await fill(sf, { frequency: 'interval', starts_on: day(-14), interval_days: '7', grace_days: '0' });
  await sf.locator('button[type=submit]').click();
  await saved(page, 'Jadwal wajib lapor tersimpan');
  assert.deepEqual(await periodsOf(page), [[day(-8), 'missed', true], [day(-1), 'missed', true], [day(6), 'due', false], [day(13), 'upcoming', false]]);
  assert.match(await page.locator('#reporting-summary').innerText(), /2 kali berturut-turut tidak lapor/);
  await page.locator('#reporting-risk').waitFor();
  assert.match(await page.locator('#reporting-summary').innerText(), /tiap 7 hari · tenggang 0 hari/);
  await badgeIs(page, critical0 + 1);

  // 3. the first period made good: a report back-dated (at 360 px: the first period excused instead)
  if (undo === 'void') {
    await page.click('#rep-record-box > summary');
    const rf = page.locator('#rep-record');
    await rf.locator('input[name=reported_at]').fill(day(-10) + 'T10:00');
    await rf.locator('input[name=location]').fill('Kantor Bapas Jambi');
    await rf.locator('button[type=submit]').click();
    await saved(page, 'Lapor tercatat');
  } else {
    await page.click('#rep-excuse-box > summary');
    const ef = page.locator('#rep-excuse');
    await ef.locator('select[name=due_on]').selectOption(day(-8));
    await ef.locator('textarea[name=reason]').fill('Rawat inap di RSUD Raden Mattaher, surat keterangan dokter.');
    await ef.locator('button[type=submit]').click();
    await saved(page, 'Periode dikecualikan');
  }
  assert.deepEqual(await periodsOf(page), [[day(-8), undo === 'void' ? 'met' : 'excused', false], [day(-1), 'missed', true], [day(6), 'due', false], [day(13), 'upcoming', false]]);
  assert.match(await page.locator('#reporting-summary').innerText(), /1 kali berturut-turut tidak lapor/);
  assert.equal(await page.locator('#reporting-risk').count(), 0);
  await badgeIs(page, critical0);
  const warning = (await cw.get(`/alerts?resident_id=${rid}`)).body.items.map((a) => a.kind);
  assert.ok(warning.includes('reporting_missed') && !warning.includes('reporting_second_consecutive_miss'), warning.join());

  // 4. the second miss turns critical: the report was a mistake (voided) / the excuse taken back
  if (undo === 'void') {
    const rec = page.locator('#reporting-records > li').first();
    assert.match(await rec.innerText(), /Kantor Bapas Jambi/);
    await rec.locator('summary').click();
    await rec.locator('textarea[name=reason]').fill('Salah catat: klien lapor di periode lain.');
    await rec.locator('button[type=submit]').click();
    await saved(page, 'Catatan lapor dibatalkan');
    assert.match(await page.locator('#reporting-records > li').first().innerText(), /Dibatalkan/);
  } else {
    await page.locator(`#reporting-periods > li[data-due="${day(-8)}"] button`).click();
    await saved(page, 'Pengecualian dihapus');
  }
  assert.deepEqual(await periodsOf(page), [[day(-8), 'missed', true], [day(-1), 'missed', true], [day(6), 'due', false], [day(13), 'upcoming', false]]);
  await page.locator('#reporting-risk').waitFor();
  await badgeIs(page, critical0 + 1);
  await page.locator('#reporting').scrollIntoViewIfNeeded();
  await shot(page, `reporting-${width}`);
  if (width < 400) {
    for (const s of ['#rep-record-box', '#rep-schedule-box']) await page.click(s + ' > summary');
    await fitsScreen(page, '#reporting', 36); // the small buttons of a period tile: 2.25rem
  }

  // 5. the alerts page from the badge: the critical alert, acknowledged with a note
  await page.click('#alert-badge');
  const item = page.locator(`#alerts > li[data-kind="reporting_second_consecutive_miss"]:has-text("${name}")`);
  await item.waitFor();
  const text = await item.innerText();
  for (const w of ['Kritis', 'Dua kali berturut-turut tidak lapor', 'Risiko pencabutan', 'Ya']) assert.ok(text.includes(w), `${w} in ${text}`);
  await shot(page, `alerts-${width}`);
  if (width < 400) await fitsScreen(page, '#alerts');
  await item.locator('summary').click();
  await item.locator('textarea[name=note]').fill('Sudah ditelepon; klien datang ke Bapas besok.');
  await item.locator('button[type=submit]').click();
  await page.locator('#flash .alert:has-text("Peringatan ditanggapi")').waitFor();
  await badgeIs(page, critical0);
  await item.waitFor({ state: 'detached' }); // the list shows the open ones
  const acked = (await cw.get(`/alerts?resident_id=${rid}&kind=reporting_second_consecutive_miss`)).body.items[0];
  assert.equal(acked.note, 'Sudah ditelepon; klien datang ke Bapas besok.');
  assert.equal(acked.acknowledged_by, cw.me.id);
  // with the acknowledged ones shown, it stays listed as acknowledged
  await page.locator('select[name=acknowledged]').selectOption('');
  await page.locator('main form[role=search] button').click();
  await page.locator(`#alerts > li.acked[data-kind="reporting_second_consecutive_miss"]:has-text("${name}")`).waitFor();

  // 6. the caseload: two misses in a row, no critical alert open any more
  await page.click('nav a[href="#/caseload"]');
  const row = page.locator(`#caseload tr[data-resident="${rid}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.equal(cells[0], name);
  assert.match(cells[1], /Pembebasan Bersyarat/);
  assert.match(cells[4], /^2/);
  assert.equal(cells[5].trim(), '0', 'the acknowledged alert is no longer open');
  await shot(page, `caseload-${width}`);
  if (width < 400) await fitsScreen(page, '#caseload');
  if (undo === 'void') {
    // 7. a new rhythm from today (a replacement: If-Match; only the rhythm chosen is sent)
    await row.locator('a').click();
    await page.click('#rep-schedule-box > summary');
    const sf = page.locator('#rep-schedule');
    assert.equal(await sf.locator('input[name=starts_on]').inputValue(), day(0), 'a replacement starts today');
    assert.ok(await sf.locator('input[name=day_of_month]').isHidden(), 'the other rhythm is hidden');
    await fill(sf, { frequency: 'monthly', day_of_month: '10' });
    assert.ok(await sf.locator('input[name=interval_days]').isHidden());
    await sf.locator('button[type=submit]').click();
    await saved(page, 'Jadwal wajib lapor tersimpan');
    assert.match(await page.locator('#reporting-summary').innerText(), /tiap tanggal 10 · tenggang 0 hari/);
    const sc = (await cw.get(`/residents/${rid}/reporting/schedule`)).body;
    assert.deepEqual([sc.version, sc.frequency, sc.day_of_month, sc.interval_days, sc.history.length], [2, 'monthly', 10, null, 2]);
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
}

test('a caseworker records a basis, sets a schedule, records a report and acknowledges the second miss at 1280 px', () => flow(1280, 900, 'void'));

test('a caseworker sets a schedule, excuses a period and acknowledges the second miss at 360 px', () => flow(360, 780, 'excuse'));

test('staff see only the alerts they may, and acknowledge only the kinds they may', async () => {
  const st = await apiAs('staff');
  const mine = (await st.get(`/alerts?house_id=${st.me.house_ids[0]}&limit=200`)).body.items;
  const page = await open(browser, A, 1280, 900);
  await login(page, 'staff');
  await page.click('nav a[href="#/alerts"]');
  await page.locator('#main > .view:not([aria-busy]) h1').waitFor();
  const kinds = await page.locator('#alerts > li').evaluateAll((ls) => ls.map((l) => [l.dataset.kind, !!l.querySelector('details')]));
  assert.equal(kinds.length, mine.filter((a) => !a.acknowledged_at).length, 'the open alerts staff receive');
  for (const [kind, ack] of kinds) {
    assert.ok(!kind.startsWith('reporting_missed') && kind !== 'reporting_second_consecutive_miss', `staff see ${kind}`);
    assert.equal(ack, kind === 'movement_overdue' || kind === 'hold_expiring', `an acknowledgement offered to staff for ${kind}`);
  }
  assert.ok(kinds.some(([k]) => k === 'movement_overdue'), 'the seed has a resident overdue from reporting duty');
  await shot(page, 'alerts-staff-1280');
  assert.equal(await page.locator('nav a[href="#/caseload"]').count(), 0, 'no caseload for staff');
  // reporting compliance is case information: no reporting panel on a resident's page for staff
  await page.click(`#alerts > li[data-kind="movement_overdue"] a[href^="#/resident/"]`);
  await page.locator('#main > .view:not([aria-busy]) #legal').waitFor();
  assert.equal(await page.locator('#reporting').count(), 0, 'staff see a reporting panel');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a manager changes the house settings', async () => {
  const mg = await apiAs('manager');
  const hid = mg.me.house_ids[0];
  const before = (await mg.get('/houses/' + hid)).body;
  const page = await open(browser, A, 1280, 900);
  await login(page, 'manager');
  await page.click('nav a[href="#/manage"]');
  const f = page.locator('#house-settings');
  await f.waitFor();
  assert.equal(await f.locator('input[name=reporting_due_days]').inputValue(), String(before.reporting_due_days));
  assert.equal(await f.locator('input[name=follow_up_days]').inputValue(), before.follow_up_days.join(', '));
  // the server's rule first: critical below warning
  await f.locator('input[name=supervision_critical_days]').fill(String(before.supervision_warning_days));
  await f.locator('button[type=submit]').click();
  await f.locator('[name=supervision_critical_days][aria-invalid=true], [name=supervision_warning_days][aria-invalid=true]').first().waitFor();
  assert.equal((await mg.get('/houses/' + hid)).body.version, before.version, 'nothing written');
  await f.locator('input[name=supervision_critical_days]').fill(String(before.supervision_critical_days));
  await f.locator('input[name=reporting_due_days]').fill('5');
  await f.locator('input[name=follow_up_days]').fill('30, 60');
  await f.locator('button[type=submit]').click();
  await saved(page, 'Pengaturan rumah tersimpan');
  const now = (await mg.get('/houses/' + hid)).body;
  assert.equal(now.reporting_due_days, 5);
  assert.deepEqual(now.follow_up_days, [30, 60]);
  assert.equal(now.name, before.name);
  await page.locator('#house-settings').screenshot({ path: join(SHOTS, 'settings-1280.png') });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
