import { describe, expect, it } from 'vitest';
import {
  changeFor,
  deliveryBody,
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
    expect(refusal({ ...base, due: 0 })).toMatch(/ничего/);
    expect(refusal({ ...base, method: 'card', given: undefined })).toBeNull();
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
