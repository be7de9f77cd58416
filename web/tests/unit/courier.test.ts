import { describe, expect, it } from 'vitest';
import {
  allHanded,
  cardReferenceOk,
  changeFor,
  deliveredList,
  deadlineText,
  deliveryBody,
  doorSums,
  expectedPayment,
  initialMethod,
  lineAmount,
  microQty,
  qtyMicro,
  step,
  localDay,
  mapsLink,
  normaliseContact,
  refusal,
  splitOrders,
  stageOf,
  type Settlement,
} from '../../src/courier/logic';
import type { OrderView } from '../../src/api/types';

const base: Settlement = { method: 'cash', due: 150_000, given: 200_000, contact: '+79123456789', address: 'ул. Ленина, 1', courier: 'Иванов' };

describe('courier page logic', () => {
  it('takes the phone’s local calendar day', () => {
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });

  it('normalises phones to +7 and ten digits and accepts e-mails, refusing the rest', () => {
    expect(normaliseContact('8 (912) 345-67-89')).toBe('+79123456789');
    expect(normaliseContact('+7 912 345 67 89')).toBe('+79123456789');
    expect(normaliseContact('9123456789')).toBe('+79123456789');
    expect(normaliseContact('buyer@example.ru')).toBe('buyer@example.ru');
    expect(normaliseContact('+1 912 345 67 89')).toBeNull();
    expect(normaliseContact('12345')).toBeNull();
    expect(normaliseContact('not an email@')).toBeNull();
    expect(normaliseContact(`${'a'.repeat(60)}@x.ru`)).toBeNull();
    expect(normaliseContact('')).toBeNull();
  });

  it('computes change in whole kopecks and refuses too little cash', () => {
    expect(changeFor(150_050, 200_000)).toBe(49_950);
    expect(changeFor(150_000, 150_000)).toBe(0);
    expect(changeFor(150_000, 149_999)).toBeNull();
  });

  it('refuses cash without a buyer contact and short cash; allows a complete settlement', () => {
    expect(refusal(base)).toBeNull();
    expect(refusal({ ...base, contact: null })).toMatch(/телефон или e-mail/);
    expect(refusal({ ...base, given: 100_000 })).toMatch(/меньше/);
    expect(refusal({ ...base, given: undefined })).toMatch(/меньше/);
    // Nothing due (prepaid in full) still gets its settlement receipt: the button stays.
    expect(refusal({ ...base, due: 0, given: undefined })).toBeNull();
    expect(refusal({ ...base, method: 'card', given: undefined })).toMatch(/RRN/);
    expect(refusal({ ...base, method: 'card', given: undefined, cardReference: '612345678901' })).toBeNull();
    expect(refusal({ ...base, method: 'sbp', given: undefined })).toBeNull();
  });

  it('offers credit only where the order allows it, and sends what is due as credit', () => {
    const credit = { ...base, method: 'credit' as const, given: undefined };
    expect(refusal(credit)).toMatch(/кредит/);
    expect(refusal({ ...credit, creditAllowed: true })).toBeNull();
    expect(refusal({ ...credit, creditAllowed: true, contact: null })).toMatch(/телефон или e-mail/);
    const body = deliveryBody({ ...credit, creditAllowed: true, due: 300_000, delivered: [{ sku: 'A', qty: '2' }] });
    expect(body).toMatchObject({ credit: 300_000, delivered: [{ sku: 'A', qty: '2' }], buyer_contact: '+79123456789' });
    expect(body.cash).toBeUndefined();
    expect(body.electronic).toBeUndefined();
  });

  it('shows the expected payment method and the deadline, and starts on the expected tab', () => {
    expect(expectedPayment({ payment_method: 'sbp' })).toBe('по СБП');
    expect(expectedPayment({ payment_method: 'credit' })).toBe('в кредит');
    expect(expectedPayment({})).toBeNull();
    expect(deadlineText({ deliver_from: '10:00', deliver_by: '12:30' })).toBe('10:00–12:30');
    expect(deadlineText({ deliver_by: '18:00' })).toBe('до 18:00');
    expect(deadlineText({ deliver_from: '10:00' })).toBeNull();
    expect(initialMethod({ payment_method: 'card' })).toBe('card');
    expect(initialMethod({ payment_method: 'credit', credit_at_door: true })).toBe('credit');
    expect(initialMethod({ payment_method: 'credit', credit_at_door: false })).toBe('cash');
    expect(initialMethod({ payment_method: 'prepaid' })).toBe('cash');
  });

  it('sends cash with change, card and SBP as electronic, with 1008, 1009 and 1021', () => {
    expect(deliveryBody(base)).toEqual({
      cash: 200_000,
      excess: 'change',
      buyer_contact: '+79123456789',
      settlement_address: 'ул. Ленина, 1',
      cashier: 'Иванов',
    });
    expect(deliveryBody({ ...base, method: 'sbp', given: undefined, address: '', courier: '' })).toEqual({
      electronic: 150_000,
      buyer_contact: '+79123456789',
    });
  });

  it('sends what was handed over, the refused prepayment choice, the card reference and the phone time', () => {
    const s: Settlement = {
      ...base,
      method: 'card',
      given: undefined,
      due: 0,
      cardReference: 'RRN-1',
      delivered: [
        { sku: 'A', qty: '1' },
        { sku: 'B', qty: '0' },
      ],
      back: 850_000,
      refusedPrepayment: 'advance',
      settledAt: '2026-12-02T14:05:00.000Z',
    };
    // Nothing due: no money and no reference; the refusal and the choice for the prepayment go.
    expect(deliveryBody(s)).toEqual({
      delivered: s.delivered,
      refused_prepayment: 'advance',
      buyer_contact: '+79123456789',
      settlement_address: 'ул. Ленина, 1',
      cashier: 'Иванов',
      settled_at: '2026-12-02T14:05:00.000Z',
    });
    expect(deliveryBody({ ...s, due: 70_000, back: 0 })).toMatchObject({ electronic: 70_000, card_reference: 'RRN-1' });
    expect(deliveryBody({ ...s, back: 1 }).refused_prepayment).toBe('advance');
    expect(deliveryBody({ ...s, back: 1, refusedPrepayment: undefined }).refused_prepayment).toBe('refund');
    expect(deliveryBody({ ...base, excess: 'advance' })).toMatchObject({ cash: 200_000, excess: 'advance' });
    expect(cardReferenceOk('123456789012')).toBe(true);
    expect(cardReferenceOk('12 34')).toBe(false);
    expect(cardReferenceOk('')).toBe(false);
  });

  it('recomputes «К оплате» live as goods are refused, as the planner does', () => {
    // Order №123 of fiscal-rules.md §3: A 2 × 1 500.00, B 1 × 7 000.00; 3 000.00 prepaid.
    const order = {
      prepaid: 300_000,
      lines: [
        { sku: 'A', name: 'Товар А', qty: '2', unit: 0, price: 150_000, vat: 'vat22', subject: 1 },
        { sku: 'B', name: 'Товар Б', qty: '1', unit: 0, price: 700_000, vat: 'vat22', subject: 1 },
      ],
    } as Pick<OrderView, 'lines' | 'prepaid'>;
    let h = allHanded(order);
    expect(doorSums(order, h)).toEqual({ goods: 1_000_000, offset: 300_000, due: 700_000, back: 0, refused: false, nothing: false });
    expect(deliveredList(order, h)).toBeUndefined();
    h = step(order, h, 'B', -1); // Б refused
    expect(doorSums(order, h)).toMatchObject({ goods: 300_000, due: 0, back: 0, refused: true });
    h = step(order, h, 'A', -1); // one А refused too: 1 500.00 handed over, 1 500.00 of prepayment above it
    expect(doorSums(order, h)).toMatchObject({ goods: 150_000, offset: 150_000, due: 0, back: 150_000 });
    expect(deliveredList(order, h)).toEqual([
      { sku: 'A', qty: '1' },
      { sku: 'B', qty: '0' },
    ]);
    expect(step(order, h, 'B', -1).B).toBe(0); // never below 0
    expect(step(order, allHanded(order), 'A', 1).A).toBe(2_000_000); // never above what was ordered
    h = step(order, h, 'A', -1);
    expect(doorSums(order, h)).toMatchObject({ nothing: true, back: 300_000, due: 0 });
  });

  it('does fixed-point quantities and half-up amounts without floating point', () => {
    expect(qtyMicro('1.5')).toBe(1_500_000);
    expect(qtyMicro('0.000001')).toBe(1);
    expect(qtyMicro('1.2345678')).toBeNull();
    expect(qtyMicro('-1')).toBeNull();
    expect(microQty(1_500_000)).toBe('1.5');
    expect(microQty(2_000_000)).toBe('2');
    expect(lineAmount(333, 500_000)).toBe(167); // 166.5 → 167
    expect(lineAmount(9_999_999_999, 333_333)).toBe(3_333_330_000); // the product is above 2^53
  });

  it('maps receipt states to the progress line', () => {
    expect(stageOf({ state: 'planned' })).toBe('queued');
    expect(stageOf({ state: 'sending' })).toBe('register');
    expect(stageOf({ state: 'uncertain' })).toBe('register');
    expect(stageOf({ state: 'confirmed' })).toBe('done');
    expect(stageOf({ state: 'failed' })).toBe('failed');
  });

  it('splits the day into to-do and done, and links the address into maps', () => {
    const o = (id: string, state: OrderView['state']) => ({ id, state }) as OrderView;
    const { todo, done } = splitOrders([o('1', 'open'), o('2', 'delivered'), o('3', 'cancelled')]);
    expect(todo.map((x) => x.id)).toEqual(['1']);
    expect(done.map((x) => x.id)).toEqual(['2', '3']);
    expect(mapsLink('ул. Ленина, 1')).toBe('geo:0,0?q=%D1%83%D0%BB.%20%D0%9B%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0%2C%201');
  });
});

describe('the courier page keeps its actions apart from the office page', () => {
  it('a PendingStore with its own prefix neither lists nor settles the other page’s actions', async () => {
    const { PendingStore } = await import('../../src/api/keys');
    const m = new Map<string, string>();
    const storage = {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
      get length() {
        return m.size;
      },
      key: (i: number) => [...m.keys()][i] ?? null,
    };
    const office = new PendingStore(storage);
    const courier = new PendingStore(storage, () => new Date(), 'kassa.courier.pending.');
    const a = office.prepare('/v1/orders/1/delivery', { cash: 1 }, 'office');
    const b = courier.prepare('/v1/orders/1/delivery', { cash: 1 }, 'courier');
    expect(a.key).not.toBe(b.key);
    expect(courier.list().map((x) => x.label)).toEqual(['courier']);
    expect(office.list().map((x) => x.label)).toEqual(['office']);
    expect(courier.prepare('/v1/orders/1/delivery', { cash: 1 }, 'again').key).toBe(b.key); // a retry reuses it
  });
});
