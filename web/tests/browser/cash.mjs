// Cash in and cash out (внесение / выемка) from the dashboard's shifts area, a refused payout beyond
// the drawer, and a receipt's copy from the journal, in Debian's Chromium against a real kassad
// started by tests/e2e/test_web_cash.py (which then reads the simulated register's drawer). Env:
// KASSA_URL, KASSA_TOKEN (a cashier's), KASSA_ENTITY, KASSA_REGISTER (a register of that entity,
// the only one), KASSA_ARTIFACTS. Waits are on what the page shows, never on a clock.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, env, withBrowser } from './lib.mjs';

const { KASSA_URL: BASE, KASSA_TOKEN: TOKEN, KASSA_ENTITY: ENTITY, KASSA_REGISTER: REGISTER, KASSA_ARTIFACTS: OUT } = env(
  'KASSA_URL',
  'KASSA_TOKEN',
  'KASSA_ENTITY',
  'KASSA_REGISTER',
  'KASSA_ARTIFACTS',
);
const api = apiClient(BASE, TOKEN);
const result = {};

const errors = await withBrowser(OUT, async (page, shot) => {
  await page.goto(`${BASE}/office/#token=${encodeURIComponent(TOKEN)}`);
  await page.locator(`[data-register="${REGISTER}"]`).waitFor();
  await page.locator('[data-tab="shifts"]').click();
  const form = page.locator('[data-test="cash-form"]');
  await form.waitFor();
  await form.locator('select[name="register"]').selectOption(REGISTER);
  const toast = page.getByRole('status');

  // ---- cash in 1 500,50 ₽ ----
  await form.getByLabel('Внесение').check();
  await form.getByLabel('Сумма, ₽').fill('1 500,50');
  await form.getByLabel('Основание').fill('Размен на начало дня');
  await shot('cash-in-form');
  await form.getByRole('button', { name: 'Внести' }).click();
  await toast.filter({ hasText: `Касса ${REGISTER}: внесение 1\u00a0500,50\u00a0₽` }).waitFor();
  await shot('cash-in-done');

  // ---- cash out 500 ₽ (keyboard only: Tab to the fields, Enter submits) ----
  await form.getByLabel('Выемка').check();
  await form.getByLabel('Сумма, ₽').fill('500');
  await form.getByLabel('Основание').focus();
  await page.keyboard.type('Инкассация');
  await page.keyboard.press('Enter');
  await toast.filter({ hasText: `Касса ${REGISTER}: выемка 500,00\u00a0₽` }).waitFor();
  await shot('cash-out-done');

  // ---- a payout beyond the drawer: the register refuses it, the page says why ----
  await form.getByLabel('Сумма, ₽').fill('9999999');
  await form.getByLabel('Основание').fill('Инкассация');
  await form.getByRole('button', { name: 'Изъять' }).click();
  await toast.filter({ hasText: 'в денежном ящике нет такой суммы' }).waitFor();
  await shot('cash-out-refused');

  // ---- a copy of the last receipt from its detail ----
  await api('PUT', '/v1/orders/web-copy', {
    customer: 'cust-web-copy',
    entity_inn: ENTITY,
    lines: [{ sku: 'T', name: 'Чай', qty: '1', price: 33300, vat: 'vat22' }],
  });
  const paid = await api('POST', '/v1/payments?wait=30', { customer: 'cust-web-copy', cash: 33300, allocate: [{ order: 'web-copy', amount: 33300 }] }, 'pay-web-copy');
  const receiptId = paid.receipts[0].id;
  result.copied_receipt = receiptId;
  await page.locator('[data-tab="journal"]').click();
  await page.locator('input[name="order"]').fill('web-copy');
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.locator(`[data-receipt="${receiptId}"]`).getByRole('button', { name: String(receiptId) }).click();
  const detail = page.locator('[data-test="receipt-detail"]');
  await detail.locator('[data-fact="fd"]').waitFor();
  await detail.getByRole('button', { name: 'Напечатать копию' }).click();
  await toast.filter({ hasText: `Чек № ${receiptId}: копия напечатана на кассе ${REGISTER}` }).waitFor();
  await shot('copy-printed');
});
// The refused payout's 409 is the browser's own log line for a failed fetch; nothing else may appear.
assert.deepEqual(
  errors.filter((e) => !e.includes('status of 409')),
  [],
  'no errors in the page console',
);
writeFileSync(join(OUT, 'result.json'), JSON.stringify(result));
console.log('cash in, cash out, a refused payout and a copy from the dashboard: passed');
