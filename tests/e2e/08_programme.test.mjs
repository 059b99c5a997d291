// Programmes and micro-businesses in the console (§16), at 1280 px and at 360 px: at 1280 px the
// admin records a partner and its user on the partners page (at 360 px through the API); a manager
// creates a programme run with a partner, opens it, adds a session, enrols a resident (at 360 px
// withdraws them again); on the resident's page records a business, moves it to registered with
// an SKU and records two months (the chart, the credit-readiness summary). The partner's user
// logs in and reaches only its programmes and their sessions: no bed board, no residents, the
// small counts shown as hidden.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, day, fill, saved, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const month = (back) => { const [y, m] = day().split('-').map(Number); const d = new Date(Date.UTC(y, m - 1 - back, 1)); return d.toISOString().slice(0, 7); };

async function flow(width, height) {
  const admin = await apiAs('admin');
  const mgr = await apiAs('manager');
  const hid = mgr.me.house_ids[0];
  const pname = `Dinas Koperasi dan UMKM ${width}`;
  const pw = 'mitra-demo-password-' + width;
  let part;
  if (width > 1000) {
    // the admin records the partner and its user in the console
    const ap = await open(browser, A, width, height);
    await login(ap, 'admin');
    await ap.click('nav a[href="#/partners"]');
    await ap.click('#partner-new-box > summary');
    await fill(ap.locator('#partner-new'), { name: pname, kind: 'city_government', 'agreement.number': `PKS-${width}/2026`,
      'agreement.signed_on': day(-30), 'agreement.valid_until': day(20), 'contact.name': 'Ibu Sari' });
    await ap.locator('#partner-new button[type=submit]').click();
    await saved(ap, 'Mitra tersimpan');
    const row = ap.locator(`#partners tr:has-text("${pname}")`);
    assert.match(await row.innerText(), /Dinas Pemkot[\s\S]*Segera habis/);
    await row.locator('summary').click();
    await fill(row, { username: `mitra${width}`, password: pw, full_name: 'Petugas Dinas' });
    await row.locator('button[type=submit]').click();
    await saved(ap, `Akun mitra${width} dibuat`);
    await shot(ap, `partners-${width}`);
    assert.deepEqual(ap.errors, []);
    await ap.context().close();
    part = { body: (await admin.get('/partners?limit=200')).body.items.find((x) => x.name === pname) };
    assert.ok(part.body, 'the partner is stored');
  } else {
    part = await admin.post('/partners', { name: pname, kind: 'city_government', house_ids: [hid], agreement: { number: `PKS-${width}/2026`, signed_on: day(-30) } });
    assert.equal(part.status, 201, JSON.stringify(part.body));
    const pu = await admin.post('/users', { username: `mitra${width}`, password: pw, role: 'partner', full_name: 'Petugas Dinas', partner_id: part.body.id });
    assert.equal(pu.status, 201, JSON.stringify(pu.body));
  }
  const name = `Budi Santoso ${width}`;
  const res = await mgr.post('/residents', { house_id: hid, full_name: name, register_number: `E2E-PROG-${width}`, sex: 'male', legal_status: 'released' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const rid = res.body.id;
  const title = `Pelatihan Las Listrik ${width}`;

  const page = await open(browser, A, width, height);
  await login(page, 'manager');
  await page.click('nav a[href="#/programmes"]');
  await page.click('#prog-new-box > summary');
  await fill(page.locator('#prog-new'), { title, kind: 'skills_training', starts_on: day(-7), ends_on: day(60), capacity: '10', planned_sessions: '8', partner_id: part.body.id });
  await page.locator('#prog-new button[type=submit]').click();
  await saved(page, 'Program dibuat');
  assert.equal(await page.locator('h1').innerText(), title);

  // draft → open (enrolments are accepted while open)
  await page.click('#prog-status-box > summary');
  await page.locator('#prog-status select[name=status]').selectOption('open');
  await page.locator('#prog-status button[type=submit]').click();
  await saved(page, 'Tersimpan');
  assert.match(await page.locator('.view-head').innerText(), /Dibuka/);

  await page.click('#sess-new-box > summary');
  await fill(page.locator('#sess-new'), { scheduled_at: day(2) + 'T09:00', duration_minutes: '120', topic: 'Dasar pengelasan', location: 'BLK Jambi' });
  await page.locator('#sess-new button[type=submit]').click();
  await saved(page, 'Sesi ditambahkan');
  assert.match(await page.locator('#sessions').innerText(), /Dasar pengelasan/);

  await page.locator('#enrol select[name=resident_id]').selectOption(rid);
  await page.locator('#enrol button[type=submit]').click();
  await saved(page, 'Klien terdaftar');
  assert.match(await page.locator('#enrolments').innerText(), new RegExp(name + '[\\s\\S]*Peserta'));
  assert.match(await page.locator('#prog-facts').innerText(), /Kursi terisi\s+1/);
  await shot(page, `programme-${width}`);
  if (width < 400) {
    await page.click('#enrolments summary:has-text("Keluarkan")');
    await fitsScreen(page, '#main');
    await page.locator('#enrolments select[name=withdrawal_reason]').selectOption('employment');
    await page.locator('#enrolments button.danger').click();
    await saved(page, 'dikeluarkan');
    assert.match(await page.locator('#enrolments').innerText(), /Keluar[\s\S]*Bekerja/);
  }

  // the session's page: its attendance sheet read-only until the session begins (09 takes attendance)
  await page.click('#sessions a');
  await page.locator('#attendance').waitFor();
  assert.match(await page.locator('#attendance .alert.warn').innerText(), /belum dimulai/);
  assert.equal(await page.locator('h1').innerText(), 'Dasar pengelasan');
  await shot(page, `session-${width}`);

  // the resident's programmes and a new business
  await page.goto('/#/resident/' + rid);
  await page.locator('#res-enrolments').waitFor();
  assert.match(await page.locator('#res-enrolments').innerText(), new RegExp(title + '\\s+' + (width < 400 ? 'Keluar' : 'Peserta')));
  await page.locator('#res-programmes').scrollIntoViewIfNeeded();
  await shot(page, `resident-programmes-${width}`);
  await page.click('#biz-new-box > summary');
  await fill(page.locator('#biz-new'), { name: `Bengkel Las Budi ${width}`, sector: 'repair', stage: 'business_plan' });
  await page.locator('#biz-new button[type=submit]').click();
  await saved(page, 'Usaha tercatat');

  await page.click('#biz-stage-box > summary');
  const sf = page.locator('#biz-stage');
  await sf.locator('select[name=stage]').selectOption('registered');
  assert.ok(await sf.locator('input[name=amount_idr]').isHidden());
  await fill(sf, { sku_number: `SKU/${width}/KEL-TB/2026`, sku_issued_on: day(-1) });
  await sf.locator('button[type=submit]').click();
  await saved(page, 'Tahap usaha tersimpan');
  assert.deepEqual(await page.locator('#biz-history > li').evaluateAll((ls) => ls.map((l) => l.dataset.stage)), ['business_plan', 'registered']);

  for (const [m, rev, cost] of [[month(1), '2500000', '1800000'], [month(0), '3500000', '2000000']]) {
    await page.click('#biz-month-box > summary');
    await fill(page.locator('#biz-month'), { month: m, revenue_idr: rev, costs_idr: cost, workers: '1' });
    await page.locator('#biz-month button[type=submit]').click();
    await saved(page, 'Catatan bulan tersimpan');
  }
  assert.deepEqual(await page.locator('#biz-months tr[data-month]').evaluateAll((r) => r.map((x) => x.dataset.month)), [month(0), month(1)]);
  assert.match(await page.locator('#biz-months').innerText(), /1\.500\.000/);
  assert.equal(await page.locator('#biz-chart rect').count(), 4);
  const credit = await page.locator('#credit').innerText();
  for (const w of ['Belum siap', 'SKU', '6 bulan beromzet']) assert.ok(credit.includes(w), `${w} in ${credit}`);
  await shot(page, `business-${width}`);
  if (width < 400) {
    await page.click('#biz-stage-box > summary');
    await fitsScreen(page, '#main');
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // the partner's user: only its programmes
  const pp = await open(browser, A, width, height);
  await pp.goto('/');
  await pp.locator('input[name=username]').fill(`mitra${width}`);
  await pp.locator('input[name=password]').fill(pw);
  await pp.keyboard.press('Enter');
  await pp.locator('#programmes').waitFor();
  assert.match(pp.url(), /#\/programmes$/);
  assert.deepEqual(await pp.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#/programmes', '#/programme-report', '#/outcomes']);
  const rows = pp.locator('#programmes tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.innerText(), new RegExp(title));
  assert.match(await rows.innerText(), width < 400 ? /\b0 \/ 10/ : /< 5 \(disembunyikan\) \/ 10/);
  await shot(pp, `partner-${width}`);
  await pp.click('#programmes a');
  await pp.locator('#sessions').waitFor();
  assert.equal(await pp.locator('#enrolments').count(), 0);
  const text = await pp.locator('#main').innerText();
  assert.ok(!text.includes(name) && !text.includes('Daftar tunggu'), text);
  await shot(pp, `partner-programme-${width}`);
  if (width < 400) await fitsScreen(pp, '#main');
  await pp.goto('/#/board');
  await pp.locator('#main .alert.error').waitFor();
  assert.equal(await pp.locator('.bed').count(), 0);
  await pp.goto('/#/resident/' + rid);
  await pp.locator('#main .alert.error').waitFor();
  assert.ok(!(await pp.locator('#main').innerText()).includes(name));
  assert.deepEqual(pp.errors, []);
  await pp.context().close();
}

test('programmes, businesses and the partner view at 1280 px', () => flow(1280, 900));
test('programmes, businesses and the partner view at 360 px', () => flow(360, 780));
