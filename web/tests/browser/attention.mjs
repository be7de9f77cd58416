// A register out of paper in the "needs attention" queue, signed in by the link /office/#token=….
// Started by tests/e2e/test_web_office.py with an external kassa-sim whose tape runs out. Env:
// KASSA_URL, KASSA_TOKEN, KASSA_REGISTER (the paper-out register), KASSA_ARTIFACTS, and
// KASSA_RESUME_ROUTE=1 once kassad has POST /v1/registers/{id}/resume.
import assert from 'node:assert/strict';
import { env, withBrowser } from './lib.mjs';

const { KASSA_URL: BASE, KASSA_TOKEN: TOKEN, KASSA_REGISTER: REGISTER, KASSA_ARTIFACTS: OUT } = env(
  'KASSA_URL',
  'KASSA_TOKEN',
  'KASSA_REGISTER',
  'KASSA_ARTIFACTS',
);

const errors = await withBrowser(OUT, async (page, shot) => {
  await page.goto(`${BASE}/office/#token=${encodeURIComponent(TOKEN)}`);
  // The token leaves the address bar at once.
  await page.waitForURL(`${BASE}/office/`);
  const item = page.locator(`[data-attention="reg-${REGISTER}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /нужен оператор/);
  assert.match(await item.textContent(), /Не пробивайте его второй раз вручную/);
  await page.locator(`[data-register="${REGISTER}"]`).getByText('нет бумаги').waitFor();
  await shot('attention-paper-out');
  await item.getByRole('button', { name: 'Продолжить' }).click();
  const toast = page.getByRole('status');
  if (process.env.KASSA_RESUME_ROUTE === '1') {
    // The paper is still out: kassad answers, whatever it says, and the page shows it.
    await toast.waitFor();
  } else {
    await toast.filter({ hasText: 'нет маршрута resume' }).waitFor();
  }
  await shot('attention-resume');
});
assert.deepEqual(errors.filter((e) => !/40[49]|50[03]/.test(e)), [], 'no errors in the page console');
console.log('attention browser test: all steps passed');
