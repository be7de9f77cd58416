// What the browser tests share: Debian's Chromium with a fresh profile, screenshots, API calls.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export function env(...names) {
  const out = {};
  for (const n of names) {
    assert.ok(process.env[n], `${n} is not set`);
    out[n] = process.env[n];
  }
  return out;
}

/** fetch against kassad with the bearer token; asserts a 2xx and returns the parsed body. */
export function apiClient(base, token) {
  return async function api(method, path, body, key) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body) headers['Content-Type'] = 'application/json';
    if (key) headers['Idempotency-Key'] = key;
    const res = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/**
 * Runs `scenario(page, shot)` in headless Chromium (a fresh --user-data-dir, the flags CI needs),
 * saving numbered screenshots into `out`; a failure leaves a "failure" screenshot. Returns the
 * page's console errors.
 */
export async function withBrowser(out, scenario) {
  mkdirSync(out, { recursive: true });
  let step = 0;
  const profile = mkdtempSync(join(tmpdir(), 'kassa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 900 },
    locale: 'ru-RU',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.setDefaultTimeout(45_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const shot = async (name) => {
    const file = join(out, `${String(++step).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`screenshot ${file}`);
  };
  try {
    await scenario(page, shot);
    return consoleErrors;
  } catch (e) {
    await shot('failure').catch(() => {});
    throw e;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
