// Referrals and bed holds in the console (§17.3, §17.4): at 1280 px a manager registers a
// referral, holds a bed for it from its page, sees the board's tile held with its name and
// accepts it (the hold then holds the new resident); at 360 px staff hold a free bed from the
// board for a resident waiting and cancel the hold; a check-in on a bed held meanwhile for
// someone else is refused with the Indonesian problem text, the form kept. Checked through the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, saved, fill, day, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** a free bed of a room of that sex (or for anyone), from the API */
async function freeBed(who, sex) {
  const hid = who.me.house_ids[0];
  const [beds, rooms] = await Promise.all([who.get(`/houses/${hid}/beds?state=free`), who.get(`/houses/${hid}/rooms`)]);
  const sexOf = new Map(rooms.body.items.map((r) => [r.id, r.sex]));
  return beds.body.items.find((b) => [sex, 'any'].includes(sexOf.get(b.room_id)));
}

test('referral at 1280 px: register, hold a bed from its page, the board shows it held, accept', async () => {
  const mgr = await apiAs('manager');
  const page = await open(browser, A, 1280, 900);
  await login(page, 'manager');
  await page.goto('/#/referrals');
  await page.locator('#ref-new summary').click();
  const name = 'Andi Pratama';
  await fill(page.locator('#ref-new'), { full_name: name, register_number: 'PB-2026-E2E-13', sex: 'male',
    from_institution: 'Lapas Kelas IIA Jambi', institution_kind: 'lapas', expected_legal_basis: 'pembebasan_bersyarat',
    expected_arrival_on: day(1) });
  await page.locator('#ref-new button[type=submit]').click();
  await saved(page, `Rujukan ${name} tercatat`, '#hold-new');
  const id = page.url().split('/').at(-1);

  const bed = await freeBed(mgr, 'male');
  await fill(page.locator('#hold-new'), { bed_id: bed.id, until: day(2) + 'T12:00', reason: 'Datang besok dari Lapas' });
  await page.locator('#hold-new button[type=submit]').click();
  await saved(page, `Tempat tidur dipesan untuk ${name}`, '#hold-card');
  assert.match(await page.locator('#ref-hold').innerText(), new RegExp(bed.room_code + ' · ' + bed.label));
  await shot(page, 'referral-1280');

  await page.goto('/#/board');
  const tile = page.locator(`.rooms [data-bed="${bed.id}"][data-state="held"]`);
  await tile.waitFor();
  assert.match(await tile.innerText(), new RegExp(name));
  await shot(page, 'board-held-1280');

  await page.goto('/#/referral/' + id);
  await page.locator('#ref-accept button[type=submit]').click();
  await saved(page, `Rujukan ${name} diterima`, '#hold-card');
  const r = (await mgr.get('/referrals/' + id)).body;
  assert.equal(r.status, 'accepted');
  assert.ok(r.resident_id);
  const holds = (await mgr.get(`/holds?referral_id=${id}`)).body.items;
  assert.equal(holds.length, 1);
  assert.equal(holds[0].bed_id, bed.id);
  assert.equal(holds[0].status, 'active');
  assert.equal(holds[0].resident_id, r.resident_id, 'the hold now holds the new resident');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('referral hold on the board at 360 px: staff hold a free bed for a resident waiting, then cancel it', async () => {
  const staff = await apiAs('staff');
  const wahyu = (await staff.get('/residents?q=Wahyu%20Hidayatullah')).body.items[0];
  const bed = await freeBed(staff, 'male');
  const page = await open(browser, A, 360, 780);
  await login(page, 'staff');
  await page.locator(`.rooms [data-bed="${bed.id}"] button:has-text("Pesan")`).click();
  await page.locator('#hold-new').waitFor();
  await fill(page.locator('#hold-new'), { referral_id: 'resident_id:' + wahyu.id, until: day(1) + 'T18:00' });
  await page.locator('#hold-new button[type=submit]').click();
  await page.locator('#flash .alert:has-text("Tempat tidur dipesan untuk Wahyu Hidayatullah")').waitFor();
  const tile = page.locator(`.rooms [data-bed="${bed.id}"][data-state="held"]`);
  await tile.waitFor();
  assert.match(await tile.innerText(), /Wahyu Hidayatullah/);
  await tile.locator('button:has-text("Ubah")').click();
  await page.locator('#hold-cancel').waitFor();
  await fitsScreen(page, '#bed-panel');
  await shot(page, 'board-hold-360');
  await page.locator('#hold-cancel textarea[name=reason]').fill('Salah pilih tempat tidur');
  await page.locator('#hold-cancel button[type=submit]').click();
  await page.locator('#flash .alert:has-text("Pesanan untuk Wahyu Hidayatullah dibatalkan")').waitFor();
  await page.locator(`.rooms [data-bed="${bed.id}"][data-state="free"]`).waitFor();
  const holds = (await staff.get(`/holds?resident_id=${wahyu.id}&bed_id=${bed.id}`)).body.items;
  assert.equal(holds.length, 1);
  assert.equal(holds[0].status, 'cancelled');
  assert.equal(holds[0].cancel_reason, 'Salah pilih tempat tidur');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('referral hold refuses a check-in: a bed held meanwhile for someone else, the Indonesian problem text', async () => {
  const mgr = await apiAs('manager');
  const bed = await freeBed(mgr, 'male');
  const page = await open(browser, A, 1280, 900);
  await login(page, 'staff');
  await page.goto('/#/checkin');
  await page.fill('input[name=q]', 'wahyu');
  await page.click('button:has-text("Cari")');
  await page.getByLabel(/Wahyu Hidayatullah/).check();
  await page.selectOption('select[name=bed_id]', bed.id);
  await page.check('input[name=rules_acknowledged]');
  // meanwhile the bed is held for a referral
  const ref = await mgr.post('/referrals', { house_id: mgr.me.house_ids[0], full_name: 'Bayu Saputra', register_number: 'PB-2026-E2E-14',
    sex: 'male', from_institution: 'Rutan Kelas IIB Muara Bulian', expected_legal_basis: 'asimilasi', expected_arrival_on: day(3) });
  assert.equal(ref.status, 201);
  const hold = await mgr.post(`/beds/${bed.id}/holds`, { referral_id: ref.body.id, until: new Date(Date.now() + 2 * 864e5).toISOString() });
  assert.equal(hold.status, 201);
  await page.click('form button[type=submit]:has-text("Catat masuk")');
  await page.locator('.form-alert:has-text("Tempat tidur sudah dipesan")').waitFor();
  assert.equal(await page.inputValue('select[name=bed_id]'), bed.id, 'the form keeps the bed');
  await shot(page, 'checkin-held-1280');
  const stays = (await mgr.get('/stays?resident_id=' + (await mgr.get('/residents?q=Wahyu%20Hidayatullah')).body.items[0].id)).body.items;
  assert.equal(stays.length, 0, 'no stay was made');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
