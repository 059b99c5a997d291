// A caseworker keeps a resident's legal basis (§15.2) on the resident page, at 1280 px and at
// 360 px: records a basis (it supersedes the seeded one), sees it current, records a second one,
// sees the history, corrects the current one (a reason is required), revokes it. A basis recorded
// elsewhere meanwhile gives a readable 409 and a reload that keeps what was typed. Staff then open
// the same resident: the type and the end of supervision, never the decree, guarantor or Litmas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, pageText, day, fill, fitsScreen, saved as savedIn } from './lib.mjs';

/** a date as the console writes it (i18n.js fmtD, Indonesian) */
const shown = (d) => new Intl.DateTimeFormat('id-ID', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(d + 'T00:00:00Z'));

let browser;
const saved = (page, text) => savedIn(page, text, '#legal');
const seen = {}; // width → { resident, decrees, guarantor, litmas }
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function flow(width, height, name, { conflict }) {
  const page = await open(browser, A, width, height);
  await login(page, 'caseworker');
  const cw = await apiAs('caseworker');
  const res = (await cw.get('/residents?q=' + encodeURIComponent(name))).body.items[0];
  const seeded = (await cw.get(`/legal-bases?resident_id=${res.id}&current=true`)).body.items[0];
  assert.ok(seeded?.decree_number, 'the seed gives the resident a basis with a decree');
  await page.goto('/#/resident/' + res.id);
  const cur = page.locator('#legal-current');
  await cur.waitFor();
  assert.match(await cur.innerText(), new RegExp(seeded.decree_number.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'a caseworker sees the decree');

  // 1. a new basis, superseding the seeded one (CB)
  const tag = width; // keeps the numbers of the two runs apart
  const first = {
    type: 'cuti_bersyarat', starts_on: day(-40), supervision_ends_on: day(200),
    decree_number: `PAS-${tag}.PK.05.09/2026`, decree_date: day(-45), issuing_authority: 'Direktorat Jenderal Pemasyarakatan',
    'guarantor.name': 'Siti Aminah', 'guarantor.relation': 'Istri', 'guarantor.phone': '081234560001',
    litmas_number: `LIT/BAPAS-JMB/2026/${tag}`, notes: 'Penjamin tinggal di Kota Jambi.',
  };
  await page.click('#legal-new-box > summary');
  const nf = page.locator('#legal-new');
  await fill(nf, first);
  await nf.locator('button[type=submit]').click();
  await saved(page, 'Dasar hukum baru tercatat');
  let text = await cur.innerText();
  for (const s of ['Cuti Bersyarat (CB)', 'Berlaku', 'Dalam bimbingan', 'tinggal 200 hari', shown(day(200)), first.decree_number,
    'Siti Aminah · Istri · 081234560001', first.litmas_number, 'Direktorat Jenderal Pemasyarakatan']) assert.ok(text.includes(s), `${s} in the current basis: ${text}`);
  const hist = page.locator('#legal-history > li');
  assert.equal(await hist.count(), 1);
  assert.match(await hist.first().innerText(), /Diganti/);
  const b1 = (await cw.get(`/legal-bases?resident_id=${res.id}&current=true`)).body.items[0];
  assert.equal(b1.supersedes_id, seeded.id);
  assert.deepEqual(b1.guarantor, { name: 'Siti Aminah', relation: 'Istri', phone: '081234560001' });
  assert.equal((await cw.get('/residents/' + res.id)).body.legal_status, 'conditional_leave', 'the resident follows its basis');
  // the resident's own form shows, but does not send, what the basis governs
  assert.ok(await page.locator('#resident-form select[name=legal_status]').isDisabled());

  // 2. a second basis (CB → PB): the API's field error first, next to the field
  await page.click('#legal-new-box > summary');
  const second = { type: 'pembebasan_bersyarat', starts_on: day(-10), supervision_ends_on: day(300), decree_date: day(-12),
    'guarantor.name': 'Siti Aminah', 'guarantor.relation': 'Istri' };
  await fill(nf, second);
  await nf.locator('button[type=submit]').click();
  await nf.locator('input[name=decree_number][aria-invalid=true]').waitFor();
  assert.match(await nf.locator('.field:has(input[name=decree_number]) .field-error').innerText(), /wajib untuk jenis ini/);
  await nf.locator('input[name=decree_number]').fill(`PAS-${tag}.PK.01.05/2026`);
  if (conflict) {
    // meanwhile someone else records a basis: the page's one is no longer current
    const other = await cw.post(`/residents/${res.id}/legal-bases`, { type: 'cuti_bersyarat', decree_number: `PAS-${tag}-LAIN/2026`,
      decree_date: day(-40), starts_on: day(-40), supervision_ends_on: day(210), supersedes_id: b1.id });
    assert.equal(other.status, 201);
    await nf.locator('button[type=submit]').click();
    const alert = page.locator('#legal-new .form-alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Dasar hukum sudah diganti/);
    assert.match(await alert.innerText(), /orang lain sudah mencatat dasar hukum baru/);
    await page.waitForFunction((d) => document.querySelector('#legal-current')?.innerText.includes(d), `PAS-${tag}-LAIN/2026`);
    assert.equal(await page.locator('#legal-new input[name=decree_number]').inputValue(), `PAS-${tag}.PK.01.05/2026`, 'what was typed is kept');
    assert.equal(await page.locator('#legal-new select[name=type]').inputValue(), 'pembebasan_bersyarat');
    assert.equal(await page.locator('#legal-new input[name="guarantor.name"]').inputValue(), 'Siti Aminah');
    assert.equal((await cw.get(`/legal-bases?resident_id=${res.id}`)).body.items.length, 3, 'the refused basis was not written');
    await page.locator('#legal-new button[type=submit]').click();
  } else {
    await nf.locator('button[type=submit]').click();
  }
  await saved(page, 'Dasar hukum baru tercatat');
  text = await cur.innerText();
  assert.ok(text.includes('Pembebasan Bersyarat (PB)') && text.includes(`PAS-${tag}.PK.01.05/2026`), text);
  assert.ok(text.includes('Siti Aminah · Istri') && !text.includes('081234560001'), 'the guarantor given, without a phone');
  const n = conflict ? 3 : 2;
  assert.equal(await hist.count(), n, 'the superseded bases');
  assert.match(await hist.nth(n - 1).innerText(), new RegExp(seeded.decree_number.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'the oldest last');
  assert.match(await hist.first().innerText(), conflict ? /PAS-\d+-LAIN/ : /Cuti Bersyarat \(CB\)/, 'the newest first');
  assert.equal((await cw.get('/residents/' + res.id)).body.legal_status, 'parole');

  // 3. a correction of the end of supervision: the reason is required
  await page.click('#legal-correct-box > summary');
  const cf = page.locator('#legal-correct');
  await cf.locator('input[name=supervision_ends_on]').fill(day(280));
  await cf.locator('button[type=submit]').click();
  await cf.locator('textarea[name=correction_reason][aria-invalid=true]').waitFor();
  await cf.locator('textarea[name=correction_reason]').fill('Salah ketik tanggal ekspirasi dari SK.');
  await cf.locator('button[type=submit]').click();
  await saved(page, 'Koreksi dasar hukum tersimpan');
  text = await cur.innerText();
  assert.ok(text.includes('tinggal 280 hari') && text.includes('Salah ketik tanggal ekspirasi dari SK.'), text);
  const b2 = (await cw.get(`/legal-bases?resident_id=${res.id}&current=true`)).body.items[0];
  assert.equal(b2.supervision_ends_on, day(280));
  assert.equal(b2.version, 2);
  assert.equal(b2.correction_reason, 'Salah ketik tanggal ekspirasi dari SK.');
  assert.equal(b2.decree_number, `PAS-${tag}.PK.01.05/2026`, 'the fields not changed stay');
  assert.equal((await cw.get('/residents/' + res.id)).body.supervision_ends_on, day(280));

  // 4. revocation (pencabutan)
  await page.click('#legal-revoke-box > summary');
  const rf = page.locator('#legal-revoke');
  assert.equal(await rf.locator('input[name=revoked_on]').inputValue(), day(0), 'today by default');
  await rf.locator('input[name=decree_number]').fill(`PAS-${tag}.PK.REV/2026`);
  await rf.locator('textarea[name=reason]').fill('Tiga kali tidak memenuhi wajib lapor.');
  await rf.locator('button[type=submit]').click();
  await saved(page, 'Dasar hukum dicabut');
  text = await cur.innerText();
  assert.ok(text.includes('Dicabut') && !text.includes('Dalam bimbingan') && text.includes('Tiga kali tidak memenuhi wajib lapor.') &&
    text.includes(`PAS-${tag}.PK.REV/2026`), text);
  assert.equal(await page.locator('#legal-revoke-box').count(), 0, 'a revoked basis cannot be revoked again');
  const b3 = (await cw.get(`/legal-bases?resident_id=${res.id}&current=true`)).body.items[0];
  assert.equal(b3.status, 'revoked');
  assert.equal(b3.revoked_on, day(0));

  await page.locator('#legal').scrollIntoViewIfNeeded();
  await shot(page, `legal-basis-${width}`);
  // the forms open, as a caseworker sees them while typing
  await page.click('#legal-new-box > summary');
  await page.click('#legal-correct-box > summary');
  await fitsScreen(page, '#legal');
  assert.deepEqual(page.errors, []);
  await page.context().close();
  seen[width] = { resident: res, ends: day(280), hidden: [seeded.decree_number, first.decree_number, `PAS-${tag}.PK.01.05/2026`,
    `PAS-${tag}.PK.REV/2026`, 'Siti Aminah', '081234560001', first.litmas_number, 'Tiga kali tidak memenuhi', 'Salah ketik tanggal'] };
}

test('a caseworker records, supersedes, corrects and revokes a legal basis at 1280 px', () => flow(1280, 900, 'Budi Santoso', { conflict: true }));

test('a caseworker records, supersedes, corrects and revokes a legal basis at 360 px', () => flow(360, 780, 'Eko Prasetyo', { conflict: false }));

test('staff see the legal basis type and end of supervision, never the decree, guarantor or Litmas', async () => {
  const s = seen[1280];
  assert.ok(s, 'runs after the caseworker test');
  const page = await open(browser, A, 1280, 900);
  const bodies = [];
  page.on('response', (r) => { if (r.url().includes('/api/v1/legal-bases')) bodies.push(r.text().catch(() => '')); });
  await login(page, 'staff');
  await page.goto('/#/resident/' + s.resident.id);
  const cur = page.locator('#legal-current');
  await cur.waitFor();
  const text = await cur.innerText();
  for (const w of ['Pembebasan Bersyarat (PB)', 'Dicabut', shown(s.ends), 'Mulai berlaku', 'Akhir masa bimbingan']) assert.ok(text.includes(w), `${w} for staff: ${text}`);
  const all = await pageText(page);
  for (const w of s.hidden) assert.ok(!all.includes(w), `staff see ${w}`);
  const main = await page.locator('main').innerText();
  for (const label of ['Nomor SK', 'Tanggal SK', 'Penjamin', 'Litmas', 'Diterbitkan oleh', 'Alasan pencabutan', 'Alasan koreksi'])
    assert.ok(!main.includes(label), `an empty label "${label}" for staff`);
  assert.equal(await page.locator('#legal-new, #legal-correct, #legal-revoke, #legal details').count(), 0, 'no forms for staff');
  assert.ok(await page.locator('#legal-history > li').count() >= 3, 'the history, for staff too');
  const api = (await Promise.all(bodies)).join('\n');
  assert.ok(api.includes('"supervision_ends_on"'), 'the page read the legal bases');
  for (const k of ['"decree_number"', '"guarantor"', '"litmas_number"', '"notes"', '"revocation_reason"']) assert.ok(!api.includes(k), `${k} in an API answer to staff`);
  await shot(page, 'legal-basis-staff-1280');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
