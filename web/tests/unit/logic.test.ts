import { describe, expect, it } from 'vitest';
import type { ReceiptRecord, Register } from '../../src/api/types';
import {
  asPrinted,
  closeShiftChecks,
  deliveryAttention,
  fnDaysLeft,
  localDayStart,
  formatDuration,
  matchesClientFilter,
  ofdView,
  receiptAttention,
  registerAttention,
  shiftView,
  vatClassOf1199,
} from '../../src/office/logic';

const NOW = new Date('2026-12-02T12:00:00Z');
const H = 3_600_000;

function reg(over: Partial<Register> = {}, device: Partial<NonNullable<Register['device']>> = {}): Register {
  return {
    id: 'a-1',
    entity_inn: '7701234567',
    state: 'idle',
    queue_depth: 0,
    warnings: [],
    device: {
      shift_open: true,
      shift_number: 3,
      shift_opened_at: new Date(NOW.getTime() - 2 * H).toISOString(),
      shift_expired: false,
      fn_number: '9999',
      fn_expiry: new Date(NOW.getTime() + 400 * 24 * H).toISOString(),
      last_fd_number: 17,
      ofd_unsent: 0,
      paper_ok: true,
      receipt_open: false,
      ...device,
    },
    ...over,
  };
}

function rec(over: Partial<ReceiptRecord> = {}, receipt: Partial<ReceiptRecord['receipt']> = {}): ReceiptRecord {
  return {
    id: 1,
    state: 'confirmed',
    register: 'a-1',
    customer: 'C1',
    orders: ['123'],
    created: NOW.toISOString(),
    updated: NOW.toISOString(),
    receipt: {
      tag1054: 1,
      lines: [{ name: 'Товар А', qty: '2', unit: 0, price: 150000, amount: 300000, tag1214: 4, tag1212: 1, tag1199: 1, vat: 0 }],
      tag1031: 300000,
      tag1081: 0,
      tag1215: 0,
      tag1216: 0,
      tag1217: 0,
      total: 300000,
      tax_system: 'osn',
      buyer_contact: '+79001234567',
      cashier: 'Кассир Иванова',
      ...receipt,
    },
    ...over,
  };
}

describe('register figures', () => {
  it('counts the shift down from 24 hours', () => {
    expect(shiftView(reg(), NOW)).toEqual({ text: 'открыта (№ 3), осталось 22 ч 00 мин', level: 'ok' });
    const late = shiftView(reg({}, { shift_opened_at: new Date(NOW.getTime() - 23 * H).toISOString() }), NOW);
    expect(late.level).toBe('warn');
    expect(shiftView(reg({}, { shift_opened_at: new Date(NOW.getTime() - 25 * H).toISOString() }), NOW).level).toBe('bad');
    expect(shiftView(reg({}, { shift_expired: true }), NOW).text).toContain('истекла');
    expect(shiftView(reg({}, { shift_open: false }), NOW).text).toBe('закрыта (№ 3)');
  });
  it('gives FN days left', () => {
    expect(fnDaysLeft(reg(), NOW)).toBe(400);
    expect(fnDaysLeft(reg({}, { fn_expiry: undefined }), NOW)).toBeNull();
  });
  it('counts the OFD backlog down from 30 days', () => {
    expect(ofdView(reg(), NOW).level).toBe('ok');
    const v = ofdView(reg({}, { ofd_unsent: 4, ofd_oldest_unsent: new Date(NOW.getTime() - 28 * 24 * H).toISOString() }), NOW);
    expect(v.daysLeft).toBe(2);
    expect(v.level).toBe('bad');
    expect(v.text).toContain('не передано: 4');
    expect(v.text).toContain('до блокировки 2 дн');
  });
  it('writes durations for people', () => {
    expect(formatDuration(65 * 60_000)).toBe('1 ч 05 мин');
    expect(formatDuration(-5)).toBe('0 мин');
    expect(formatDuration(50 * H)).toBe('2 дн 2 ч');
  });
});

describe('needs attention', () => {
  it('a register that needs the operator has one action: Продолжить', () => {
    const items = registerAttention([reg({ state: 'needs_operator', detail: 'нет бумаги' }), reg({ id: 'b' })]);
    expect(items).toHaveLength(1);
    expect(items[0].action).toEqual({ kind: 'resume', register: 'a-1' });
    expect(items[0].actionLabel).toBe('Продолжить');
    expect(items[0].words).toContain('нет бумаги');
    expect(items[0].words).toContain('Не пробивайте');
  });
  it('a fiscal storage near its end and an OFD backlog are announced, with where to look', () => {
    expect(registerAttention([reg()], NOW)).toHaveLength(0);
    const fn = registerAttention([reg({}, { fn_expiry: new Date(NOW.getTime() + 12 * 24 * H).toISOString() })], NOW);
    expect(fn).toHaveLength(1);
    expect(fn[0].title).toContain('ФН заканчивается через 12 дн');
    expect(fn[0].action).toEqual({ kind: 'show_registers' });
    expect(registerAttention([reg({}, { fn_expiry: new Date(NOW.getTime() - 24 * H).toISOString() })], NOW)[0].title).toContain('срок ФН истёк');
    // one document unsent for an hour is normal; for two days it is not
    expect(registerAttention([reg({}, { ofd_unsent: 1, ofd_oldest_unsent: new Date(NOW.getTime() - H).toISOString() })], NOW)).toHaveLength(0);
    const ofd = registerAttention([reg({}, { ofd_unsent: 3, ofd_oldest_unsent: new Date(NOW.getTime() - 48 * H).toISOString() })], NOW);
    expect(ofd).toHaveLength(1);
    expect(ofd[0].id).toBe('ofd-a-1');
    expect(ofd[0].words).toContain('Не передано: 3');
    expect(ofd[0].words).toContain('до блокировки 28 дн');
  });
  it('an expired shift asks for the Z report', () => {
    expect(registerAttention([reg({}, { shift_expired: true })])[0].action).toEqual({ kind: 'close_shift', register: 'a-1' });
  });
  it('uncertain and failed receipts say what not to do', () => {
    const items = receiptAttention([rec({ id: 5, state: 'uncertain' }), rec({ id: 6, state: 'failed', error: 'E' }), rec({ id: 7 })]);
    expect(items.map((i) => i.id)).toEqual(['rcpt-5', 'rcpt-6']);
    expect(items[0].words).toContain('Не пробивайте его второй раз');
    expect(items[1].words).toContain('(E)');
  });
  it('a failed e-receipt is resent', () => {
    const items = deliveryAttention([
      rec({ id: 8, deliveries: [{ kind: 'sms', state: 'failed', attempts: 10, last_error: 'gateway 500' }] }),
      rec({ id: 9, deliveries: [{ kind: 'email', state: 'sent', attempts: 1, last_error: '' }] }),
    ]);
    expect(items).toHaveLength(1);
    expect(items[0].action).toEqual({ kind: 'resend', receipt: 8 });
  });
});

describe('journal filters the API lacks', () => {
  const r = rec();
  it('by customer, contact digits, exact sum and line text', () => {
    expect(matchesClientFilter(r, {})).toBe(true);
    expect(matchesClientFilter(r, { customer: 'c1' })).toBe(true);
    expect(matchesClientFilter(r, { customer: 'C2' })).toBe(false);
    expect(matchesClientFilter(r, { contact: '8 900 123-45-67'.slice(2) })).toBe(true);
    expect(matchesClientFilter(r, { contact: '4567' })).toBe(true);
    expect(matchesClientFilter(r, { contact: '9999' })).toBe(false);
    expect(matchesClientFilter(r, { sum: '3 000,00' })).toBe(true);
    expect(matchesClientFilter(r, { sum: '3000.01' })).toBe(false);
    expect(matchesClientFilter(r, { sum: 'abc' })).toBe(false);
    expect(matchesClientFilter(r, { text: 'товар а' })).toBe(true);
    expect(matchesClientFilter(r, { text: 'иванова' })).toBe(true);
    expect(matchesClientFilter(r, { text: 'Товар Б' })).toBe(false);
  });
});

describe('journal dates', () => {
  it('a local day becomes [midnight, next midnight) in Unix seconds', () => {
    expect(localDayStart('', 0)).toBeUndefined();
    const from = localDayStart('2026-12-01', 0)!;
    const to = localDayStart('2026-12-01', 1)!;
    expect(new Date(from * 1000).getDate()).toBe(1);
    expect(new Date(from * 1000).getHours()).toBe(0);
    expect(to - from).toBe(86_400); // no DST in Russia
    expect(localDayStart('2026-12-31', 1)! - localDayStart('2027-01-01', 0)!).toBe(0);
  });
});

describe('close shift pre-checks', () => {
  it('names receipts in flight and the OFD backlog', () => {
    expect(closeShiftChecks(reg(), 0)).toEqual([]);
    const checks = closeShiftChecks(reg({ queue_depth: 2 }, { ofd_unsent: 3 }), 1);
    expect(checks).toHaveLength(3);
    expect(checks[0]).toContain('Чеков в работе на этой кассе: 1');
  });
});

describe('corrections', () => {
  it('maps rate codes back to VAT classes, the calculated forms too', () => {
    expect([11, 12, 1, 3, 2, 4, 5, 6, 7, 9, 8, 10].map(vatClassOf1199)).toEqual([
      'vat22', 'vat22', 'vat20', 'vat20', 'vat10', 'vat10', 'vat0', 'none', 'vat5', 'vat5', 'vat7', 'vat7',
    ]);
  });
  it('gives the printed receipt with its own tags and only the payments it had', () => {
    const printed = asPrinted(rec());
    expect(printed).toEqual({
      tag1054: 1,
      lines: [{ name: 'Товар А', qty: '2', price: 150000, amount: 300000, tag1214: 4, tag1212: 1, tag1199: 1, vat: 0 }],
      tag1031: 300000,
      total: 300000,
    });
  });
});
