// A caseworker works on an exit plan from the worklist: target date, a goal's status and due date,
// a new goal; the changes are stored (checked through the API).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a caseworker edits an exit plan: target date, goal status and due date, a new goal', async () => {
  const page = await open(browser, A, 1280, 900);
  await login(page, 'caseworker');
  await page.click('nav a[href="#/worklist"]');
  const first = page.locator('#worklist tbody tr').first();
  await first.waitFor();
  const name = (await first.locator('a').innerText()).trim();
  assert.match(await first.getAttribute('class'), /overdue/, 'plans with overdue goals come first, highlighted');
  await shot(page, 'worklist-1280');
  await first.locator('a').click();
  await page.locator('#plan-form').waitFor();
  assert.match(await page.locator('h1').innerText(), new RegExp(name));
  const stayId = decodeURIComponent(page.url().split('#/plan/')[1]);

  const clearFlash = () => page.evaluate(() => document.getElementById('flash').replaceChildren());
  const saved = async (text) => { // the message, then the view drawn again from the server's data
    await page.locator(`#flash .alert:has-text("${text}")`).waitFor();
    await page.locator('#main > .view:not([aria-busy])').waitFor();
  };

  // the plan itself
  await page.fill('#plan-form input[name=target_exit_on]', '2027-02-15');
  await page.selectOption('#plan-form select[name=destination_plan]', 'family');
  await page.fill('#plan-form textarea[name=summary]', 'Kembali ke keluarga; kerja di bengkel las.');
  await page.click('#plan-form button[type=submit]');
  await saved('Rencana keluar disimpan');

  // the overdue "finance" goal: achieved, with a note; the housing goal: in progress, a new due date
  await clearFlash();
  const finance = page.locator('form.goal', { hasText: 'Keuangan' });
  assert.match(await finance.getAttribute('class'), /over/, 'an overdue goal is highlighted');
  await finance.locator('select[name=status]').selectOption('achieved');
  await finance.locator('input[name=note]').fill('Rekening dibuka di BRI.');
  await finance.locator('button[type=submit]').click();
  await saved('Tersimpan');
  await clearFlash();
  const housing = page.locator('form.goal', { hasText: 'Tempat tinggal' });
  await housing.locator('input[name=due_on]').fill('2027-01-31');
  await housing.locator('select[name=status]').selectOption('in_progress');
  await housing.locator('button[type=submit]').click();
  await saved('Tersimpan');

  // a new goal
  await clearFlash();
  await page.selectOption('#add-goal select[name=domain]', 'business');
  await page.fill('#add-goal input[name=title]', 'Daftar program modal usaha UMKM');
  await page.fill('#add-goal input[name=due_on]', '2027-01-10');
  await page.click('#add-goal button[type=submit]');
  await saved('Sasaran ditambahkan');
  await page.waitForFunction(() => [...document.querySelectorAll('form.goal input[name=title]')].some((i) => i.value === 'Daftar program modal usaha UMKM'));
  await shot(page, 'exit-plan-1280');

  const cw = await apiAs('caseworker');
  const plan = (await cw.get(`/stays/${stayId}/exit-plan`)).body;
  assert.equal(plan.target_exit_on, '2027-02-15');
  assert.equal(plan.destination_plan, 'family');
  assert.equal(plan.summary, 'Kembali ke keluarga; kerja di bengkel las.');
  const g = (d) => plan.goals.filter((x) => x.domain === d);
  assert.equal(g('finance')[0].status, 'achieved');
  assert.equal(g('finance')[0].note, 'Rekening dibuka di BRI.');
  assert.equal(g('housing')[0].due_on, '2027-01-31');
  assert.equal(g('housing')[0].status, 'in_progress');
  assert.ok(plan.goals.some((x) => x.title === 'Daftar program modal usaha UMKM' && x.due_on === '2027-01-10' && x.status === 'planned'));
  assert.ok(plan.readiness > 0);
  await page.setViewportSize({ width: 360, height: 780 });
  await shot(page, 'exit-plan-360');
  assert.deepEqual(page.errors, []);
});

test('the residents list comes page by page: "Muat lebih banyak" until the last page, focus on the first new row', async () => {
  const page = await open(browser, A, 360, 780);
  await login(page, 'caseworker');
  const cw = await apiAs('caseworker');
  const total = (await cw.get(`/residents?house_id=${cw.me.house_ids[0]}&limit=200`)).body.items.length;
  assert.ok(total > 10, 'the seed has residents to page through');
  // pages of 5 instead of 50, so that the seeded house has several
  await page.route('**/api/v1/residents?*', (route) => route.continue({ url: route.request().url().replace(/([?&]limit=)\d+/, (m, k) => k + '5') }));
  await page.click('nav a[href="#/residents"]');
  const rows = page.locator('main ul.list > li');
  await rows.nth(4).waitFor();
  assert.equal(await rows.count(), 5);
  await shot(page, 'residents-360');
  const more = page.locator('main button:has-text("Muat lebih banyak")');
  await more.click();
  await rows.nth(9).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.closest('li') === document.querySelectorAll('main ul.list > li')[5]), true,
    'the first new row has the focus');
  const settled = () => page.waitForFunction(() => !document.querySelector('main ul.list').parentElement.hasAttribute('aria-busy'));
  while (await more.count()) { await more.click(); await settled(); }
  await page.waitForFunction((n) => document.querySelectorAll('main ul.list > li').length === n, total);
  assert.equal(await page.locator('main button:has-text("Muat lebih banyak")').count(), 0);
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, 'residents-1280');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a caseworker creates and edits a resident; staff then find them at check-in, without the NIK', async () => {
  const page = await open(browser, A, 1280, 900);
  await login(page, 'caseworker');
  await page.click('nav a[href="#/residents"]');
  await page.click('main a:has-text("Klien baru")');
  const form = page.locator('main form');
  await form.locator('input[name=full_name]').fill('Rahmat Hidayat');
  await form.locator('input[name=register_number]').fill('PB-2026-0099');
  await form.locator('select[name=sex]').selectOption('male');
  await form.locator('select[name=legal_status]').selectOption('parole');
  await form.locator('input[name=national_id]').fill('123'); // not 16 digits: the API says so next to the field
  await form.locator('input[name="emergency_contact.name"]').fill('Ibu Hidayat');
  await form.locator('button[type=submit]').click();
  await form.locator('input[name=national_id][aria-invalid=true]').waitFor();
  assert.equal(await form.locator('input[name=full_name]').inputValue(), 'Rahmat Hidayat');
  await form.locator('input[name=national_id]').fill('1571099988877766');
  await form.locator('button[type=submit]').click();
  await page.locator('#flash .alert:has-text("Rahmat Hidayat")').waitFor();
  await page.locator('#resident-form input[name=phone]').fill('081299990000');
  await page.locator('#resident-form textarea[name=notes]').fill('Rujukan dari Bapas Kelas I Jambi.');
  await page.locator('#resident-form button[type=submit]').click();
  await page.locator('#flash .alert:has-text("Tersimpan")').waitFor();
  const cw = await apiAs('caseworker');
  const r = (await cw.get('/residents?q=PB-2026-0099')).body.items[0];
  assert.equal(r.phone, '081299990000');
  assert.equal(r.notes, 'Rujukan dari Bapas Kelas I Jambi.');
  assert.equal(r.national_id, '1571099988877766');
  assert.equal(r.emergency_contact.name, 'Ibu Hidayat');
  assert.equal(r.version, 2);
  await shot(page, 'resident-new-1280');

  const staffPage = await open(browser, A, 360, 780);
  await login(staffPage, 'staff');
  await staffPage.click('nav a[href="#/checkin"]');
  await staffPage.fill('input[name=q]', 'rahmat');
  await staffPage.keyboard.press('Enter');
  await staffPage.getByLabel(/Rahmat Hidayat/).waitFor();
  const text = await staffPage.locator('main').innerText();
  assert.ok(!text.includes('1571099988877766'));
  assert.deepEqual([...page.errors, ...staffPage.errors], []);
});
