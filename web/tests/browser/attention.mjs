// A register out of paper in "needs attention", signed in by the link /office/#token=…: «Продолжить»
// is refused while the paper is out; the operator loads paper (SIGUSR1 to the outside kassa-sim)
// and presses «Продолжить» (unless the register already continued); the receipt that waited prints. Started by tests/e2e/test_web_office.py, which then
// checks the FN archive for exactly one copy. Env: KASSA_URL, KASSA_TOKEN, KASSA_REGISTER (the
// paper-out register), KASSA_SIM_PID, KASSA_STUCK_RECEIPT (the receipt waiting), KASSA_ARTIFACTS.
import assert from 'node:assert/strict';
import { apiClient, env, withBrowser } from './lib.mjs';

const E = env('KASSA_URL', 'KASSA_TOKEN', 'KASSA_REGISTER', 'KASSA_SIM_PID', 'KASSA_STUCK_RECEIPT', 'KASSA_ARTIFACTS');
const api = apiClient(E.KASSA_URL, E.KASSA_TOKEN);

const errors = await withBrowser(E.KASSA_ARTIFACTS, async (page, shot) => {
  await page.goto(`${E.KASSA_URL}/office/#token=${encodeURIComponent(E.KASSA_TOKEN)}`);
  // The token leaves the address bar at once.
  await page.waitForURL(`${E.KASSA_URL}/office/`);
  const item = page.locator(`[data-attention="reg-${E.KASSA_REGISTER}"]`);
  const card = page.locator(`[data-register="${E.KASSA_REGISTER}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /нужен оператор/);
  assert.match(await item.textContent(), /Не пробивайте его второй раз вручную/);
  await card.getByText('нет бумаги').waitFor();
  await shot('paper-out');

  // «Продолжить» before the paper is in: kassad says the register still needs a person.
  await item.getByRole('button', { name: 'Продолжить' }).click();
  await page.getByRole('status').filter({ hasText: `Касса ${E.KASSA_REGISTER} всё ещё ждёт оператора` }).waitFor();
  await shot('resume-refused');

  // The operator loads paper. The worker sees it on its next status read and may continue by
  // itself; «Продолжить» is pressed while the item is still there (kassad answers either way).
  process.kill(Number(E.KASSA_SIM_PID), 'SIGUSR1');
  await item
    .getByRole('button', { name: 'Продолжить' })
    .click({ timeout: 10_000 })
    .then(() => page.getByRole('status').filter({ hasText: `Касса ${E.KASSA_REGISTER}:` }).waitFor())
    .catch(() => console.log('the register continued by itself before «Продолжить»'));
  await item.waitFor({ state: 'detached' });
  await card.locator('dd').filter({ hasText: /^есть$/ }).waitFor();
  const stuck = await api('GET', `/v1/receipts/${E.KASSA_STUCK_RECEIPT}?wait=30`);
  assert.equal(stuck.state, 'confirmed');
  await card.getByText('готова').waitFor();
  await shot('resumed');
});
assert.deepEqual(errors.filter((e) => !/503/.test(e)), [], 'no errors in the page console');
console.log('attention browser test: all steps passed');
