// Money is integer kopecks end to end (as the API speaks it). Nothing here multiplies or divides a
// sum by a floating-point number: formatting splits the integer, parsing reads digits.

const NBSP = '\u00a0';

function assertKopecks(k: number): void {
  if (!Number.isSafeInteger(k)) throw new RangeError(`not a whole number of kopecks: ${k}`);
}

/** 123456 → "1 234,56 ₽" (non-breaking spaces); negative sums get a minus sign. */
export function formatRub(kopecks: number, withSign = true): string {
  assertKopecks(kopecks);
  const negative = kopecks < 0;
  const abs = negative ? -kopecks : kopecks;
  const rub = String(Math.trunc(abs / 100));
  const kop = String(abs % 100).padStart(2, '0');
  const grouped = rub.replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
  return `${negative ? '−' : ''}${grouped},${kop}${withSign ? NBSP + '₽' : ''}`;
}

/**
 * What a person types ("1 234,56", "1234.5", "10") → kopecks, or null when it is not a sum of
 * money (more than two decimals, letters, empty, negative, above the API's 9 999 999 999).
 */
export function parseRub(text: string): number | null {
  const s = text.replace(/[\s\u00a0\u202f₽]/g, '').replace(',', '.');
  const m = /^(\d{1,8})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const kopecks = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return kopecks <= 9_999_999_999 ? kopecks : null;
}

/** A quantity as the API writes it ("2", "0.25") → millionths, exactly (BigInt). */
export function parseQuantity(text: string): bigint | null {
  const m = /^(\d{1,8})(?:\.(\d{1,6}))?$/.exec(text.trim().replace(',', '.'));
  if (!m) return null;
  return BigInt(m[1]) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** Millionths → the API's decimal string ("1.5", "2"). */
export function formatQuantity(micro: bigint): string {
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** price (kopecks) × quantity (millionths), rounded half up to a kopeck, as the planner does per line. */
export function lineAmount(price: number, qtyMicro: bigint): number {
  assertKopecks(price);
  const product = BigInt(price) * qtyMicro;
  const sign = product < 0n ? -1n : 1n;
  const abs = product * sign;
  return Number(sign * ((abs + 500_000n) / 1_000_000n));
}
