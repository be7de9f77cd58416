import { describe, expect, it } from 'vitest';
import { formatQuantity, formatRub, lineAmount, parseQuantity, parseRub } from '../../src/api/money';

const S = '\u00a0';

describe('formatRub: integer kopecks to roubles', () => {
  it('splits kopecks without floating point', () => {
    expect(formatRub(0)).toBe(`0,00${S}₽`);
    expect(formatRub(5)).toBe(`0,05${S}₽`);
    expect(formatRub(100)).toBe(`1,00${S}₽`);
    expect(formatRub(123456)).toBe(`1${S}234,56${S}₽`);
    expect(formatRub(1_000_000_000_01)).toBe(`1${S}000${S}000${S}000,01${S}₽`);
    expect(formatRub(-300000)).toBe(`−3${S}000,00${S}₽`);
    expect(formatRub(70, false)).toBe('0,70');
  });
  it('refuses what is not whole kopecks', () => {
    expect(() => formatRub(0.1 + 0.2)).toThrow(RangeError);
    expect(() => formatRub(Number.MAX_SAFE_INTEGER + 2)).toThrow(RangeError);
  });
  it('a sum that floats would get wrong stays exact', () => {
    // 0.1 + 0.2 roubles would print 0,30000000000000004 through floating point
    expect(formatRub(10 + 20)).toBe(`0,30${S}₽`);
    expect(formatRub(1_005)).toBe(`10,05${S}₽`);
  });
});

describe('parseRub: typed text to kopecks', () => {
  it('reads commas, points, spaces and the rouble sign', () => {
    expect(parseRub('10')).toBe(1000);
    expect(parseRub('1 234,56')).toBe(123456);
    expect(parseRub('1234.5')).toBe(123450);
    expect(parseRub('0,05')).toBe(5);
    expect(parseRub(`7${S}000 ₽`)).toBe(700000);
    expect(parseRub('1.10')).toBe(110); // not 110.00000000000001
    expect(parseRub('99999999,99')).toBe(9_999_999_999);
  });
  it('refuses what is not a sum', () => {
    for (const bad of ['', ' ', 'abc', '1,234', '-5', '1e3', '0,001', '12.', '.5', '1 2 3,4.5', '100000000'])
      expect(parseRub(bad), bad).toBeNull();
  });
});

describe('quantities and line amounts', () => {
  it('reads and writes decimal quantities exactly', () => {
    expect(parseQuantity('2')).toBe(2_000_000n);
    expect(parseQuantity('0,25')).toBe(250_000n);
    expect(parseQuantity('1.000001')).toBe(1_000_001n);
    expect(parseQuantity('1.0000001')).toBeNull();
    expect(parseQuantity('-1')).toBeNull();
    expect(formatQuantity(1_500_000n)).toBe('1.5');
    expect(formatQuantity(2_000_000n)).toBe('2');
    expect(formatQuantity(250_000n)).toBe('0.25');
  });
  it('rounds price × quantity half up to a kopeck', () => {
    expect(lineAmount(150000, 2_000_000n)).toBe(300000);
    expect(lineAmount(333, 500_000n)).toBe(167); // 166.5 → 167
    expect(lineAmount(333, 333_333n)).toBe(111); // 110.99988…
    expect(lineAmount(1, 499_999n)).toBe(0);
    expect(lineAmount(1, 500_000n)).toBe(1);
  });
});
