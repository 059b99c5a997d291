// Consents (§18.2, §18.3) on the resident page: at 1 280 px a caseworker records that a demo
// programme's partner may see a participant's attendance (purpose, partner, scope, proof, the
// notice given) and the partner view then names the resident; at 360 px the consent is withdrawn
// with a reason and the next partner view names them no more; no page errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { A, launch, open, login, shot, apiAs, fill, saved, fitsScreen } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SEATED = ['enrolled', 'completed', 'not_completed'];

/** a demo programme with a partner, and one of its participants the partner view does not name */
async function unnamedParticipant(cw) {
  for (const p of (await cw.get('/programmes?limit=200')).body.items.filter((x) => x.partner_id)) {
    const named = new Set((await cw.get(`/programmes/${p.id}/partner-view`)).body.named.map((n) => n.full_name));
    const e = (await cw.get(`/enrolments?programme_id=${p.id}&limit=200`)).body.items
      .find((x) => SEATED.includes(x.stage) && !named.has(x.full_name));
    if (e) return { prog: p, enrolment: e };
  }
  return {};
}

const namedBy = async (cw, prog) => (await cw.get(`/programmes/${prog.id}/partner-view`)).body.named.map((n) => n.full_name);

test('a consent recorded names the resident to the partner; withdrawn, the name is gone', async () => {
  const cw = await apiAs('caseworker');
  const { prog, enrolment } = await unnamedParticipant(cw);
  assert.ok(prog, 'a demo programme with a partner has a participant not named yet');
  const rid = enrolment.resident_id;

  const page = await open(browser, A, 1280, 900);
  await login(page, 'caseworker');
  await page.goto('/#/resident/' + rid);
  await page.locator('#consent-new-box > summary').click();
  const form = page.locator('#consent-form');
  await fill(form, { purpose: 'programme_partner_sharing', partner_id: prog.partner_id, 'proof.form': 'written',
    'proof.document_ref': 'PS/E2E/' + Date.now(), 'proof.witness_name': 'Dewi Lestari (PK)' });
  await form.locator('input[name=scope][value=identity]').check();
  await form.locator('input[name=scope][value=attendance]').check();
  await form.locator('input[name=notice_given]').check();
  await form.locator('button[type=submit]').click();
  await saved(page, 'Persetujuan dicatat', '#consent-list');
  const stored = (await cw.get(`/residents/${rid}/consents`)).body.items.at(-1);
  assert.equal(stored.status, 'active');
  assert.deepEqual([stored.purpose, stored.partner_id, stored.scope], ['programme_partner_sharing', prog.partner_id, ['identity', 'attendance']]);
  assert.equal(await page.locator(`#consent-list > li[data-id="${stored.id}"]`).getAttribute('data-status'), 'active');
  assert.ok((await namedBy(cw, prog)).includes(enrolment.full_name), 'the partner view names the resident');
  await shot(page, 'consent-1280');
  assert.deepEqual(page.errors, []);

  const phone = await open(browser, A, 360, 780);
  await login(phone, 'caseworker');
  await phone.goto('/#/resident/' + rid);
  await phone.locator(`#consent-withdraw-${stored.id} > summary`).click();
  const wf = phone.locator(`#consent-withdraw-${stored.id} form`);
  await wf.locator('[name=reason]').fill('Klien mencabut persetujuan secara lisan di depan PK.');
  await wf.locator('button[type=submit]').click();
  await saved(phone, 'Persetujuan dicabut', '#consent-list');
  assert.equal(await phone.locator(`#consent-list > li[data-id="${stored.id}"]`).getAttribute('data-status'), 'withdrawn');
  assert.equal((await cw.get(`/consents/${stored.id}`)).body.status, 'withdrawn');
  assert.ok(!(await namedBy(cw, prog)).includes(enrolment.full_name), 'withdrawn: named no more');
  await fitsScreen(phone, '#consents');
  await shot(phone, 'consent-360');
  assert.deepEqual(phone.errors, []);
});
