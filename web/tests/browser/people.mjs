// The office's "Люди" and the courier's login by link, in Debian's Chromium against a real kassad
// started by tests/e2e/test_web_people.py. Env: KASSA_URL, KASSA_TOKEN (an admin's), KASSA_ENTITY,
// KASSA_ARTIFACTS. The admin issues a courier token in the dashboard and reads its link (and QR) once;
// the courier opens the link on a phone, sees their orders; the admin revokes the token and the
// phone says it is signed out (the live event stream tells it). Waits are on what the pages show.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, env, withBrowser } from './lib.mjs';

const e = env('KASSA_URL', 'KASSA_TOKEN', 'KASSA_ENTITY', 'KASSA_ARTIFACTS');
const BASE = e.KASSA_URL;
const office = apiClient(BASE, e.KASSA_TOKEN);
const p = (n) => String(n).padStart(2, '0');
const now = new Date();
const TODAY = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
const COURIER = 'Курьер Тестов';

await office('PUT', '/v1/orders/P-1', {
  customer: 'cust-P-1',
  entity_inn: e.KASSA_ENTITY,
  lines: [{ sku: 'S1', name: 'Пицца', qty: '1', price: 45600, vat: 'vat22' }],
  courier: COURIER,
  delivery_date: TODAY,
  delivery_address: 'г. Москва, ул. Садовая, д. 9',
  customer_contact: '+79990001122',
});

const result = {};
const consoleErrors = await withBrowser(e.KASSA_ARTIFACTS, async (page, shot) => {
  // ---- the admin issues a courier token in "Люди" ----
  await page.goto(`${BASE}/office/#token=${e.KASSA_TOKEN}`);
  await page.getByText('Состояние обновляется в реальном времени').waitFor(); // the event stream is up
  await page.getByRole('tab', { name: 'Люди' }).click();
  const form = page.locator('[data-test=issue-token]');
  await form.getByLabel('Имя').fill(COURIER);
  await form.getByLabel('Юрлицо').selectOption(e.KASSA_ENTITY);
  await form.getByRole('button', { name: 'Выдать и показать QR-код' }).click();
  const issued = page.locator('[data-test=issued-token]');
  await issued.waitFor();
  const link = await issued.locator('[data-test=login-link]').inputValue();
  assert.match(link, new RegExp(`^${BASE}/courier/#token=[0-9a-f]{64}$`));
  await issued.locator('img.login-qr').screenshot({ path: join(e.KASSA_ARTIFACTS, 'login-qr.png') });
  result.link = link;
  result.qr_png = join(e.KASSA_ARTIFACTS, 'login-qr.png');
  await shot('office-issued');
  await issued.getByRole('button', { name: 'Готово, скрыть' }).click();
  await issued.waitFor({ state: 'detached' });
  const row = page.locator(`tr[data-name="${COURIER}"]`);
  await row.waitFor();
  assert.ok(!(await page.content()).includes(link.split('#token=')[1]), 'the token is shown only once');

  // ---- the courier opens the link on a phone: signed in, the token gone from the address bar ----
  const phone = await page.context().newPage();
  await phone.setViewportSize({ width: 360, height: 740 });
  await phone.goto(link);
  await phone.locator('[data-order="P-1"]').waitFor();
  assert.equal(new URL(phone.url()).hash, '');
  assert.equal(await phone.evaluate(() => localStorage.getItem('kassa.courier.token')), link.split('#token=')[1]);
  await phone.bringToFront();
  await phone.screenshot({ path: join(e.KASSA_ARTIFACTS, '02-courier-orders.png'), fullPage: true });

  // ---- revoked in the dashboard: the phone says it is signed out, the token is forgotten ----
  await page.bringToFront();
  await row.getByRole('button', { name: 'Отозвать' }).click();
  await row.waitFor({ state: 'detached' });
  await shot('office-revoked');
  await phone.locator('[data-test=signed-out]').waitFor();
  assert.equal(await phone.evaluate(() => localStorage.getItem('kassa.courier.token')), null);
  await phone.screenshot({ path: join(e.KASSA_ARTIFACTS, '04-courier-signed-out.png'), fullPage: true });
});
assert.deepEqual(consoleErrors.filter((m) => !m.includes('401')), [], 'console errors');
writeFileSync(join(e.KASSA_ARTIFACTS, 'result.json'), JSON.stringify(result));
console.log('people: ok');
