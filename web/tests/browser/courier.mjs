// The courier page in Debian's Chromium on a 360×740 phone viewport against a real kassad, started
// by tests/e2e/test_web_courier.py. Env: KASSA_URL, KASSA_TOKEN (a cashier's, to set up orders),
// KASSA_COURIER (the courier token's name), KASSA_COURIER_TOKEN, KASSA_ENTITY, KASSA_ARTIFACTS.
// Waits are on what the page shows (Playwright's auto-waiting), never on a clock.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, env, withBrowser } from './lib.mjs';

const e = env('KASSA_URL', 'KASSA_TOKEN', 'KASSA_COURIER', 'KASSA_COURIER_TOKEN', 'KASSA_ENTITY', 'KASSA_ARTIFACTS', 'KASSA_SBP_LINK');
const BASE = e.KASSA_URL;
const OUT = e.KASSA_ARTIFACTS;
const office = apiClient(BASE, e.KASSA_TOKEN);
const p = (n) => String(n).padStart(2, '0');
const now = new Date();
const TODAY = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;

// Two orders for today (one prepaid in part), one for another courier, one for tomorrow.
const order = (id, courier, date, price, address, extra = [], terms = {}) =>
  office('PUT', `/v1/orders/${id}`, {
    ...terms,
    customer: `cust-${id}`,
    entity_inn: e.KASSA_ENTITY,
    lines: [{ sku: 'S1', name: 'Пицца', qty: '1', price, vat: 'vat22' }, ...extra],
    courier,
    delivery_date: date,
    delivery_address: address,
    customer_contact: '+79990001122',
  });
// K-1 also has two drinks; one is refused at the door.
await order('K-1', e.KASSA_COURIER, TODAY, 123450, 'г. Москва, ул. Садовая, д. 5, кв. 7', [
  { sku: 'D1', name: 'Напиток', qty: '2', price: 15000, vat: 'vat22' },
]);
await order('K-2', e.KASSA_COURIER, TODAY, 67800, 'г. Москва, ул. Лесная, д. 2', [], {
  payment_method: 'card',
  deliver_from: '10:00',
  deliver_by: '12:30',
});
await order('K-other', 'someone-else', TODAY, 1000, 'г. Москва, ул. Другая, д. 1');
await order('K-later', e.KASSA_COURIER, '2099-01-01', 1000, 'г. Москва, ул. Будущая, д. 1');
await office('POST', '/v1/payments?wait=30', { customer: 'cust-K-1', electronic: 23450, allocate: [{ order: 'K-1', amount: 23450 }] }, 'k1-prepay');

const result = {};
const consoleErrors = await withBrowser(OUT, async (page, shot) => {
  await page.setViewportSize({ width: 360, height: 740 });
  // ---- log in by the link the office shows; the token leaves the address bar ----
  await page.goto(`${BASE}/courier/#token=${e.KASSA_COURIER_TOKEN}`);
  await page.getByRole('tab', { name: 'К выполнению (2)' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token is not left in the address bar');
  assert.deepEqual(await page.locator('[data-order]').evaluateAll((els) => els.map((x) => x.dataset.order)), ['K-1', 'K-2']);
  const k1 = page.locator('[data-order="K-1"]');
  await k1.getByText('к оплате 1 300,00').waitFor(); // 1234,50 + 2 × 150,00 − 234,50 prepaid
  assert.match(await k1.getByRole('link', { name: 'Маршрут' }).getAttribute('href'), /^geo:0,0\?q=/);
  // How K-2's customer will pay and by when; K-1 says nothing of it.
  const terms = page.locator('[data-order="K-2"] [data-test=terms]');
  assert.equal(await terms.textContent(), 'Оплата картой · Доставить 10:00–12:30');
  assert.equal(await k1.locator('[data-test=terms]').count(), 0);
  // Touch targets: every button and link at least 48 px high.
  for (const h of await page.locator('main button, main a').evaluateAll((els) => els.map((x) => x.getBoundingClientRect().height)))
    assert.ok(h >= 48, `a touch target is ${h}px high`);
  await shot('list');

  // ---- K-1 at the door: one drink refused (− on its line), the rest in cash with change ----
  await k1.getByRole('button').click();
  await page.locator('[data-test=due]').waitFor();
  const due = async () => (await page.locator('[data-test=due]').textContent()).replace(/\s/g, '');
  assert.equal(await due(), '1300,00₽');
  assert.equal((await page.locator('[data-test=prepaid]').textContent()).replace(/\s/g, ''), '234,50₽');
  const drink = page.locator('tr[data-sku=D1]');
  await drink.locator('[data-test=minus]').click();
  assert.equal(await due(), '1150,00₽', '«К оплате» follows the refused drink at once');
  assert.equal((await drink.locator('[data-test=qty]').textContent()).replace(/\s/g, ''), '1из2');
  await drink.locator('[data-test=plus]').click();
  assert.equal(await due(), '1300,00₽');
  await drink.locator('[data-test=minus]').click();
  for (const h of await page.locator('main button, main input').evaluateAll((els) => els.map((x) => x.getBoundingClientRect().height)))
    assert.ok(h >= 48, `a touch target at the door is ${h}px high`);
  await page.locator('[data-test=law]').waitFor();
  const go = page.getByRole('button', { name: 'Пробить чек' });
  await page.locator('input[name=given]').fill('500');
  assert.ok(await go.isDisabled(), 'too little cash cannot be sent');
  await page.locator('input[name=given]').fill('1500');
  assert.equal((await page.locator('[data-test=change]').textContent()).replace(/\s/g, ''), 'Сдача350,00₽');
  await page.locator('input[name=contact]').fill('');
  assert.ok(await go.isDisabled(), 'no contact, no receipt (§3.11)');
  await page.locator('input[name=contact]').fill('8 (999) 000-11-22');
  await shot('k1-cash');
  await go.click();
  await page.locator('[data-test=progress][data-stage=done]').waitFor();
  await page.locator('[data-test=check-qr]').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Пробить чек' }).count(), 0, 'no second button');
  result.check_qr_png = join(OUT, 'k1-check-qr.png');
  await page.locator('[data-test=check-qr]').screenshot({ path: result.check_qr_png });
  await shot('k1-receipt');

  // ---- K-2 paid by card while the phone has no signal; sent when it comes back ----
  await page.getByRole('button', { name: '← Заказы' }).click();
  await page.getByRole('tab', { name: 'К выполнению (1)' }).waitFor();
  // The service worker has the page and its assets before the signal goes.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.context().setOffline(true);
  await page.locator('[data-order="K-2"]').getByRole('button').click();
  // The order screen starts on the customer's method; no credit where the order does not allow it.
  assert.equal(await page.getByRole('tab', { name: 'Карта' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.getByRole('tab', { name: 'В кредит' }).count(), 0);
  assert.ok(await page.getByRole('button', { name: 'Пробить чек' }).isDisabled(), 'a card payment needs its RRN');
  await page.locator('input[name=rrn]').fill('612345678901');
  await page.getByRole('button', { name: 'Пробить чек' }).click();
  await page.locator('[data-test=queued-here]').waitFor();
  await shot('k2-offline-queued');
  // Offline, the page itself reloads from the service worker, the action still queued.
  await page.reload();
  await page.locator('[data-test=queued]').waitFor();
  await shot('offline-reload');
  await page.context().setOffline(false);
  await page.getByRole('tab', { name: 'Выполнены (2)' }).waitFor();
  await page.locator('[data-test=queued]').waitFor({ state: 'detached' });
  await page.getByRole('tab', { name: 'Выполнены (2)' }).click();
  await page.locator('[data-order="K-2"]').getByRole('button').click();
  await page.locator('[data-test=progress][data-stage=done]').waitFor();
  await page.getByText('RRN 612345678901').waitFor();
  await shot('k2-receipt');

  // ---- end of day: the cash taken for K-1 is handed to the office ----
  await page.getByRole('button', { name: '← Заказы' }).click();
  await page.locator('[data-test=handover]').click();
  await page.locator('[data-test=held]').waitFor();
  assert.equal((await page.locator('[data-test=held]').textContent()).replace(/\s/g, ''), '1150,00₽');
  await page.getByRole('button', { name: /^Сдать/ }).click();
  await page.locator('[data-test=pending]').waitFor();
  await shot('cash-handover');

  // ---- the office sees the handover on its dashboard and confirms it ----
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${BASE}/office/#token=${e.KASSA_TOKEN}`);
  const item = page.locator('[data-handover]').filter({ hasText: e.KASSA_COURIER });
  await item.getByText('1 150,00').waitFor();
  await shot('office-handover');
  await item.getByRole('button', { name: 'Принято' }).click();
  await item.waitFor({ state: 'detached' });

  // ---- two more orders for the day: K-3 (prepaid in part) paid by SBP, K-4 settled late ----
  await order('K-3', e.KASSA_COURIER, TODAY, 45600, 'г. Москва, ул. Тверская, д. 3');
  await order('K-4', e.KASSA_COURIER, TODAY, 78900, 'г. Москва, ул. Арбат, д. 4');
  await office('POST', '/v1/payments?wait=30', { customer: 'cust-K-3', electronic: 10000, allocate: [{ order: 'K-3', amount: 10000 }] }, 'k3-prepay');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${BASE}/courier/`);
  await page.getByRole('tab', { name: 'К выполнению (2)' }).waitFor();

  // ---- K-3 by SBP: Kassa's payment QR full screen for what is due, then the receipt ----
  await page.locator('[data-order="K-3"]').getByRole('button').click();
  assert.equal(await due(), '356,00₽'); // 456,00 − 100,00 prepaid
  await page.getByRole('tab', { name: 'СБП' }).click();
  const qrAsked = page.waitForRequest((r) => r.url().includes('/v1/orders/K-3/payment-qr'));
  await page.getByRole('button', { name: 'Показать QR СБП на весь экран' }).click();
  const sbpUrl = new URL((await qrAsked).url());
  assert.deepEqual([sbpUrl.searchParams.get('kind'), sbpUrl.searchParams.get('amount')], ['sbp', '35600']);
  const sbpQr = page.locator('[data-test=sbp-qr]');
  await sbpQr.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test=sbp-qr]')?.complete);
  assert.equal((await page.locator('.c-fullqr .big').textContent()).replace(/\s/g, ''), 'СБП·356,00₽');
  result.sbp_qr_png = join(OUT, 'k3-sbp-qr.png');
  await sbpQr.screenshot({ path: result.sbp_qr_png });
  await shot('k3-sbp-qr');
  // The bank's static SBP link as configured, unchanged (an NSPK link is never extended: the buyer
  // sees the sum on the courier's screen); the API answers for the same amount due.
  const decoded = execFileSync('zbarimg', ['--raw', '-q', result.sbp_qr_png], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  assert.equal(decoded, e.KASSA_SBP_LINK);
  const asJson = await office('GET', `/v1/orders/K-3/payment-qr?kind=sbp&format=json&amount=35600`);
  assert.deepEqual([asJson.payload, asJson.amount, asJson.order], [decoded, 35600, 'K-3']);
  const owedK3 = (await office('GET', '/v1/orders/K-3')).owed;
  assert.equal(owedK3, 35600, 'the QR is for exactly what the order owes');
  await page.getByRole('button', { name: 'Закрыть' }).click();
  await page.getByRole('button', { name: 'Пробить чек' }).click();
  await page.locator('[data-test=progress][data-stage=done]').waitFor();
  await shot('k3-receipt');

  // ---- K-4 by card with no signal, the phone's clock 20 minutes back: sent late, corrected ----
  await page.getByRole('button', { name: '← Заказы' }).click();
  await page.getByRole('tab', { name: 'К выполнению (1)' }).waitFor();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const settledAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 20 * 60 * 1000);
  result.k4_settled_at = settledAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  await page.clock.setFixedTime(settledAt);
  assert.equal(await page.evaluate(() => new Date().getTime()), settledAt.getTime());
  await page.context().setOffline(true);
  await page.locator('[data-order="K-4"]').getByRole('button').click();
  await page.getByRole('tab', { name: 'Карта' }).click();
  await page.locator('input[name=rrn]').fill('698765432109');
  await page.getByRole('button', { name: 'Пробить чек' }).click();
  await page.locator('[data-test=queued-here]').waitFor();
  await page.getByRole('button', { name: '← Заказы' }).click();
  await page.locator('[data-test=queued]').waitFor();
  await page.context().setOffline(false);
  await page.getByRole('tab', { name: 'Выполнены (4)' }).waitFor();
  await page.locator('[data-test=queued]').waitFor({ state: 'detached' });
  await page.getByRole('tab', { name: 'Выполнены (4)' }).click();
  await page.locator('[data-order="K-4"]').getByRole('button').click();
  await page.locator('[data-test=progress][data-stage=done]').waitFor();
  await page.getByText('Чек пробит позже расчёта: оформлен чек коррекции').waitFor();
  await shot('k4-late-receipt');

  // ---- K-5, to be paid on credit by 18:00: «В кредит», followed by live events (no long poll) ----
  await page.clock.setFixedTime(new Date()); // the phone's clock is right again (not late)
  await order('K-5', e.KASSA_COURIER, TODAY, 54300, 'г. Москва, ул. Мира, д. 5', [], { payment_method: 'credit', deliver_by: '18:00' });
  await page.goto(`${BASE}/courier/`);
  await page.getByRole('tab', { name: 'К выполнению (1)' }).waitFor();
  const k5 = page.locator('[data-order="K-5"]');
  assert.equal(await k5.locator('[data-test=terms]').textContent(), 'Оплата в кредит · Доставить до 18:00');
  const longPolls = [];
  page.on('request', (r) => {
    if (/\/v1\/receipts\/\d+\?wait=/.test(r.url())) longPolls.push(r.url());
  });
  // The live stream is up: the delivery is answered at once (planned), the stages come as events.
  const posted = page.waitForResponse((r) => r.url().includes('/v1/orders/K-5/delivery'));
  await k5.getByRole('button').click();
  await page.locator('[data-test=deadline]').waitFor();
  await page.locator('main[data-live=yes]').waitFor();
  const credit = page.getByRole('tab', { name: 'В кредит' });
  assert.equal(await credit.getAttribute('aria-selected'), 'true', 'a credit order starts on «В кредит»');
  await page.locator('[data-test=credit-note]').waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'four payment tabs fit 360 px');
  await shot('k5-credit');
  await page.getByRole('button', { name: 'Пробить чек' }).click();
  const answer = await posted;
  assert.equal(new URL(answer.url()).searchParams.get('wait'), '0');
  await page.locator('[data-test=progress][data-stage=done]').waitFor();
  await page.locator('[data-test=check-qr]').waitFor();
  assert.deepEqual(longPolls, [], 'the order screen follows its receipt by /v1/events');
  await page.getByText('Долг покупателя (кредит)').waitFor();
  await shot('k5-credit-receipt');
});

const k1 = await office('GET', '/v1/orders/K-1');
const k2 = await office('GET', '/v1/orders/K-2');
assert.equal(k1.state, 'delivered');
assert.equal(k2.state, 'delivered');
assert.deepEqual(k1.refused_lines, [{ sku: 'D1', qty: '1' }]);
assert.equal(k2.receipts.at(-1).card_reference, '612345678901');
const { handovers } = await office('GET', '/v1/handovers?state=all');
assert.deepEqual(
  handovers.filter((h) => h.courier === e.KASSA_COURIER).map((h) => [h.amount, h.state, h.confirmed_by]),
  [[115000, 'confirmed', 'cashier']],
);
// K-4 reached kassad after the tolerance: one receipt, a correction that keeps the phone's time.
const k3 = await office('GET', '/v1/orders/K-3');
const k4 = await office('GET', '/v1/orders/K-4');
assert.deepEqual([k3.state, k3.owed, k3.receipts.at(-1).receipt.tag1081], ['delivered', 0, 35600]);
assert.equal(k4.state, 'delivered');
assert.equal(k4.receipts.length, 1, 'one receipt for the late action');
const late = await office('GET', `/v1/receipts/${k4.receipts[0].id}`);
assert.deepEqual([late.state, late.late, late.settled_at, late.card_reference], ['confirmed', 'corrected', result.k4_settled_at, '698765432109']);
assert.ok(late.receipt.correction, 'a late settlement is fiscalised as a correction');
result.k4_receipt = late.id;
// K-5 on credit at the door: one sale on credit (1214 = 6, 1216 = all of it), the order owes it.
const k5 = await office('GET', '/v1/orders/K-5');
assert.deepEqual([k5.state, k5.credit_owed, k5.receipts.length], ['delivered', 54300, 1]);
const sale = k5.receipts[0].receipt;
assert.deepEqual([sale.tag1054, sale.tag1216, sale.tag1031, sale.tag1081], [1, 54300, 0, 0]);
assert.deepEqual(sale.lines.map((l) => l.tag1214), [6]);
result.k5_receipt = k5.receipts[0].id;
result.k1_receipts = k1.receipts.map((r) => r.id);
result.k2_receipts = k2.receipts.map((r) => r.id);
writeFileSync(join(OUT, 'result.json'), JSON.stringify(result, null, 2));
// Offline fetches fail by design (the page queues the action); nothing else may log an error.
assert.deepEqual(
  consoleErrors.filter((m) => !m.includes('ERR_INTERNET_DISCONNECTED') && !m.includes('Failed to fetch')),
  [],
  'no errors in the page console',
);
console.log('courier page: ok');
