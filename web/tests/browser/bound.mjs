// A cashier bound to one legal entity sees only its registers and receipts on the dashboard (the
// server decides; the page must show nothing else). Env: KASSA_URL, KASSA_TOKEN (the bound
// cashier's), KASSA_REGISTERS (comma-separated: exactly the registers it may see), KASSA_ARTIFACTS.
import assert from 'node:assert/strict';
import { env, withBrowser } from './lib.mjs';

const { KASSA_URL: BASE, KASSA_TOKEN: TOKEN, KASSA_REGISTERS, KASSA_ARTIFACTS: OUT } = env(
  'KASSA_URL',
  'KASSA_TOKEN',
  'KASSA_REGISTERS',
  'KASSA_ARTIFACTS',
);
const expected = KASSA_REGISTERS.split(',').sort();

const errors = await withBrowser(OUT, async (page, shot) => {
  await page.goto(`${BASE}/office/#token=${encodeURIComponent(TOKEN)}`);
  await page.locator(`[data-register="${expected[0]}"]`).waitFor();
  const shown = await page.locator('[data-register]').evaluateAll((els) => els.map((e) => e.dataset.register));
  assert.deepEqual(shown.sort(), expected);
  await shot('bound-registers');
  await page.locator('[data-tab="journal"]').click();
  await page.getByText(/^Найдено: \d+/).waitFor();
  const registers = await page.locator('[data-receipt] td:nth-child(7)').evaluateAll((els) => els.map((e) => e.textContent));
  for (const r of registers) assert.ok(expected.includes(r), `receipt of register ${r} shown`);
  await shot('bound-journal');
});
assert.deepEqual(errors, [], 'no errors in the page console');
console.log(`bound cashier sees ${expected.join(', ')} only: passed`);
