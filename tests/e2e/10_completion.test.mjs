// Completion with a certificate (§16.7) and the programme report (§16.9), at 1280 px and at 360 px.
// Through the API: a partner (a Pokmas Lipas) with its user, a programme of that partner awarding a
// certificate after 2 hours, two enrolled residents, a session begun an hour ago with one present
// (2 hours) and one absent. In the console a manager (at 360 px a caseworker, offered no override)
// completes the first (the number left empty: the server's 001; shown on the resident's page), a
// manager is refused the second without the hours (requirements_not_met next to the
// reason), then completes it with a reason and a certificate number of its own; the manager's report
// shows every figure of the programme. The partner's user logs in: its menu is its programmes and
// the report, the report's small counts are hidden (the notice, the programme's row, the totals),
// no resident's name or id anywhere on the page, the CSV with the hidden cells empty (1280 px);
// the partners page, the audit and the resident's page refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { A, launch, open, login, shot, apiAs, day, fill, saved, fitsScreen, pageText } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ok = (r, code = 201) => { assert.equal(r.status, code, JSON.stringify(r.body)); return r.body; };
const HIDDEN = '< 5 (disembunyikan)';

async function setup(width) {
  const admin = await apiAs('admin');
  const mgr = await apiAs('manager');
  const hid = mgr.me.house_ids[0];
  const partner = ok(await admin.post('/partners', { name: `Pokmas Lipas Sejahtera ${width}`, kind: 'community_group', house_ids: [hid] }));
  const user = { username: `pokmas${width}`, password: 'pokmas-demo-password-' + width };
  ok(await admin.post('/users', { ...user, role: 'partner', full_name: 'Ketua Pokmas', partner_id: partner.id }));
  const p = ok(await mgr.post('/programmes', { house_id: hid, title: `Pelatihan Sablon Kaos ${width}`, kind: 'skills_training', partner_id: partner.id,
    starts_on: day(-7), certificate: true, hours_required: 2, status: 'open' }));
  const people = [];
  for (const [i, full_name] of [`Rahmat Hidayat ${width}`, `Andi Pratama ${width}`].entries()) {
    const r = ok(await mgr.post('/residents', { house_id: hid, full_name, register_number: `E2E-DONE-${width}-${i}`, sex: 'male', legal_status: 'released' }));
    people.push({ ...r, enrolment: ok(await mgr.post(`/programmes/${p.id}/enrolments`, { resident_id: r.id })) });
  }
  const s = ok(await mgr.post(`/programmes/${p.id}/sessions`, { scheduled_at: new Date(Date.now() - 3600e3).toISOString(), duration_minutes: 120, topic: 'Teknik sablon manual' }));
  ok(await mgr.put(`/sessions/${s.id}/attendance`, { records: [{ enrolment_id: people[0].enrolment.id, status: 'present' },
    { enrolment_id: people[1].enrolment.id, status: 'absent' }] }, { 'If-Match': '"0"' }));
  return { mgr, p, people, user };
}

async function flow(width, height) {
  const { mgr, p, people, user } = await setup(width);
  const [done, short] = people;
  const ownNumber = `SBL/${width}/2026/017`;
  const programmePage = async (user) => {
    const pg = await open(browser, A, width, height);
    await login(pg, user);
    await pg.goto('/#/programme/' + p.id);
    await pg.locator('#enrolments').waitFor();
    return pg;
  };
  // at 360 px a caseworker completes the first: the form offers no override (§16.7: 403 for them)
  let page = await programmePage(width < 400 ? 'caseworker' : 'manager');
  const li = (x) => page.locator(`#enrolments li[data-enrolment="${x.enrolment.id}"]`);
  assert.match(await li(done).innerText(), /2 \/ 2 jam/);

  // hours met: completed with the next certificate number (none given)
  await li(done).locator('summary:has-text("Luluskan")').click();
  const f1 = li(done).locator('form.complete');
  assert.equal(await f1.locator('input[name=certificate_number]').inputValue(), '');
  assert.equal(await f1.locator('input[name=override_reason]').count(), width < 400 ? 0 : 1);
  await f1.locator('button[type=submit]').click();
  await saved(page, 'sertifikat no. 001');
  assert.equal(await li(done).getAttribute('data-stage'), 'completed');
  assert.match(await li(done).innerText(), /Lulus[\s\S]*Sertifikat no\. 001/);
  if (width < 400) {
    assert.deepEqual(page.errors, []);
    await page.context().close();
    page = await programmePage('manager');
  }

  // hours not met: refused without a reason (next to the reason's field), then completed with one
  await li(short).locator('summary:has-text("Luluskan")').click();
  const f2 = li(short).locator('form.complete');
  await f2.locator('button[type=submit]').click();
  await f2.locator('.field-error').waitFor();
  assert.equal(await f2.locator('input[name=override_reason]').getAttribute('aria-invalid'), 'true');
  assert.match(await f2.locator('.form-alert').innerText(), /Syarat kelulusan belum terpenuhi/);
  await f2.scrollIntoViewIfNeeded();
  await shot(page, `completion-refused-${width}`);
  if (width < 400) await fitsScreen(page, '#main');
  await fill(f2, { certificate_number: ownNumber, override_reason: 'Sakit satu sesi, materi dikejar dengan instruktur' });
  await f2.locator('button[type=submit]').click();
  await saved(page, `sertifikat no. ${ownNumber}`);
  assert.match(await li(short).innerText(), new RegExp(`Sertifikat no\\. ${ownNumber}[\\s\\S]*Sakit satu sesi`));
  await li(short).scrollIntoViewIfNeeded();
  await shot(page, `completion-${width}`);
  const stored = ok(await mgr.get('/enrolments?programme_id=' + p.id), 200).items;
  assert.deepEqual(stored.map((e) => [e.stage, e.certificate_number]), [['completed', '001'], ['completed', ownNumber]]);
  assert.equal(stored[1].override_reason, 'Sakit satu sesi, materi dikejar dengan instruktur');
  await page.goto('/#/resident/' + done.id);
  await page.locator('#res-enrolments').waitFor();
  assert.match(await page.locator('#res-enrolments').innerText(), new RegExp(p.title + '\\s+Lulus\\s+Sertifikat no\\. 001'));

  // the manager's report: every figure of the programme
  await page.click('nav a[href="#/programme-report"]');
  const row = page.locator(`#pr-programmes tr[data-programme="${p.id}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-suppressed'), 'false');
  const cells = async (r) => (await r.locator('td').allInnerTexts()).slice(2);
  assert.deepEqual(await cells(row), ['1', '1', '50 %', '2', '2', '2']);
  assert.equal(await page.locator('#pr-suppressed').count(), 0);
  await shot(page, `programme-report-${width}`);
  if (width < 400) await fitsScreen(page, '#main');
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // the partner's user: aggregates only, small counts hidden
  const pp = await open(browser, A, width, height);
  await pp.goto('/');
  await pp.locator('input[name=username]').fill(user.username);
  await pp.locator('input[name=password]').fill(user.password);
  await pp.keyboard.press('Enter');
  await pp.locator('#programmes').waitFor();
  assert.deepEqual(await pp.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#/programmes', '#/programme-report', '#/outcomes']);
  await pp.click('nav a[href="#/programme-report"]');
  const prow = pp.locator(`#pr-programmes tr[data-programme="${p.id}"]`);
  await prow.waitFor();
  assert.equal(await pp.locator('#pr-programmes tbody tr').count(), 1, 'only its own programme');
  assert.equal(await prow.getAttribute('data-suppressed'), 'true');
  // participants (one), the rate and person-hours derived from them, two completions and two
  // certificates: hidden; the count of sessions never is
  assert.deepEqual(await cells(prow), [HIDDEN, '1', 'disembunyikan', 'disembunyikan', HIDDEN, HIDDEN]);
  assert.match(await pp.locator('#pr-suppressed').innerText(), /disembunyikan/);
  assert.equal(await pp.locator('#pr-totals [data-metric=participants] b').innerText(), HIDDEN);
  assert.equal(await pp.locator('#pr-totals [data-metric=completions] b').innerText(), HIDDEN);
  assert.equal(await pp.locator('#pr-totals [data-metric=sessions_held] b').innerText(), '1');
  const text = await pageText(pp);
  for (const x of people) for (const v of [x.full_name, x.register_number, x.id, x.enrolment.id]) assert.ok(!text.includes(v), `${v} on the partner's report`);
  assert.ok(!text.includes(ownNumber), 'a certificate number on the partner\'s report');
  await shot(pp, `partner-report-${width}`);
  if (width < 400) await fitsScreen(pp, '#main');
  else {
    const [dl] = await Promise.all([pp.waitForEvent('download'), pp.click('#pr-csv')]);
    const csv = readFileSync(await dl.path(), 'utf8').trim().split(/\r?\n/);
    assert.match(csv[0], /^programme_id,title,kind,house_id,partner_id,status,participants,sessions_held,attendance_rate,hours_delivered,completions,certificates,suppressed$/);
    assert.equal(csv.length, 2, csv.join('\n'));
    assert.match(csv[1], /,open,,1,,,,,true$/);
  }

  // its programme's page: no residents, no completion
  await pp.click(`#pr-programmes a[href="#/programme/${p.id}"]`);
  await pp.locator('#sessions').waitFor();
  assert.equal(await pp.locator('#enrolments, form.complete').count(), 0);
  // nothing else is reachable
  for (const hash of ['#/partners', '#/audit', '#/resident/' + done.id, '#/board']) {
    await pp.goto('/' + hash);
    await pp.locator('#main .alert.error').waitFor();
    assert.ok(!(await pp.locator('#main').innerText()).includes(done.full_name), hash);
  }
  assert.deepEqual(pp.errors, []);
  await pp.context().close();
}

test('complete with a certificate; the report, and a partner sees only aggregates, at 1280 px', () => flow(1280, 900));
test('complete with a certificate; the report, and a partner sees only aggregates, at 360 px', () => flow(360, 780));
