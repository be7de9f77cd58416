import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, receiptsQuery, type Fetch } from '../../src/api/client';
import { fingerprint, newKey, PendingStore, type KeyStorage } from '../../src/api/keys';
import { tokenFromHash } from '../../src/api/token';

class MemoryStorage implements KeyStorage {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
  get length() {
    return this.map.size;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('idempotency keys', () => {
  it('are 128 random bits, different each time', () => {
    const a = newKey();
    expect(a).toMatch(/^web-[0-9a-f]{32}$/);
    expect(newKey()).not.toBe(a);
  });

  it('fingerprint ignores property order but not values', () => {
    expect(fingerprint('/p', { a: 1, b: { c: 2, d: 3 } })).toBe(fingerprint('/p', { b: { d: 3, c: 2 }, a: 1 }));
    expect(fingerprint('/p', { a: 1 })).not.toBe(fingerprint('/p', { a: 2 }));
    expect(fingerprint('/p', { a: 1 })).not.toBe(fingerprint('/q', { a: 1 }));
  });

  it('is stored before sending and reused for the same request until kassad answers', () => {
    const storage = new MemoryStorage();
    const store = new PendingStore(storage, () => new Date('2026-12-01T10:00:00Z'));
    const first = store.prepare('/v1/orders/1/returns', { lines: [{ sku: 'A', qty: '1' }], refund: { cash: 100 } }, 'Возврат');
    expect(storage.length).toBe(1); // on disk before any request
    const again = new PendingStore(storage).prepare('/v1/orders/1/returns', { refund: { cash: 100 }, lines: [{ qty: '1', sku: 'A' }] }, 'Возврат');
    expect(again.key).toBe(first.key); // a reload or a retry sends the same key
    const other = store.prepare('/v1/orders/1/returns', { lines: [{ sku: 'A', qty: '2' }], refund: { cash: 200 } }, 'Возврат');
    expect(other.key).not.toBe(first.key);
    expect(store.list().map((a) => a.key)).toEqual([first.key, other.key]);
    store.settle(first);
    expect(store.list().map((a) => a.key)).toEqual([other.key]);
  });
});

describe('Api.send', () => {
  const envelope = { receipts: [], change: 0, replayed: false };

  it('sends the stored key and body with ?wait, then forgets the action', async () => {
    const storage = new MemoryStorage();
    const pending = new PendingStore(storage);
    const fetchFn = vi.fn<Fetch>(async () => json(200, envelope));
    const api = new Api(() => 'tok', pending, fetchFn);
    const action = api.returnGoods('42', { lines: [{ sku: 'A', qty: '1' }], refund: { to_balance: 5000 } });
    await api.send(action);
    const [url, init] = fetchFn.mock.calls[0];
    expect(url).toBe('/v1/orders/42/returns?wait=15');
    const headers = init!.headers as Record<string, string>;
    expect(headers['Idempotency-Key']).toBe(action.key);
    expect(headers.Authorization).toBe('Bearer tok');
    expect(JSON.parse(init!.body as string)).toEqual({ lines: [{ sku: 'A', qty: '1' }], refund: { to_balance: 5000 } });
    expect(pending.list()).toEqual([]);
  });

  it('keeps the action when no answer came, so the retry reuses the key', async () => {
    const pending = new PendingStore(new MemoryStorage());
    let calls = 0;
    const keys: string[] = [];
    const fetchFn: Fetch = async (_u, init) => {
      keys.push((init!.headers as Record<string, string>)['Idempotency-Key']);
      if (calls++ === 0) throw new TypeError('Failed to fetch');
      return json(200, { ...envelope, replayed: true });
    };
    const api = new Api(() => 't', pending, fetchFn);
    const body = { cash: 1000 };
    await expect(api.send(api.repayCredit('7', body))).rejects.toMatchObject({ unanswered: true });
    expect(pending.list()).toHaveLength(1);
    const out = await api.send(api.repayCredit('7', body));
    expect(out.replayed).toBe(true);
    expect(keys[0]).toBe(keys[1]);
    expect(pending.list()).toEqual([]);
  });

  it('turns an error answer into ApiError with the stable code, and forgets the refused action', async () => {
    const pending = new PendingStore(new MemoryStorage());
    const api = new Api(() => 't', pending, async () =>
      json(422, { code: 'insufficient_advance', message: 'advance too small', details: { field: 'cash' } }),
    );
    const err = (await api.send(api.refundAdvance('C1', { cash: 1 })).catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('insufficient_advance');
    expect(err.details?.field).toBe('cash');
    expect(pending.list()).toEqual([]);
  });

  it('keeps the action on 503 (kassad could not take it now)', async () => {
    const pending = new PendingStore(new MemoryStorage());
    const api = new Api(() => 't', pending, async () => json(503, { code: 'unavailable', message: 'busy' }));
    await expect(api.send(api.correction({ correction: { type: 'self', date: '2026-11-30' }, correct: { lines: [], total: 0 } }))).rejects.toThrow();
    expect(pending.list()).toHaveLength(1);
  });
});

describe('sign-in and queries', () => {
  it('takes the token from the link fragment and keeps the rest', () => {
    expect(tokenFromHash('#token=abc')).toEqual({ token: 'abc', rest: '' });
    expect(tokenFromHash('#tab=journal&token=x%2By')).toEqual({ token: 'x+y', rest: '#tab=journal' });
    expect(tokenFromHash('')).toEqual({ token: null, rest: '' });
    expect(tokenFromHash('#token=')).toEqual({ token: null, rest: '' });
  });
  it('builds the receipts query from the filters that are set', () => {
    expect(receiptsQuery({})).toBe('');
    expect(receiptsQuery({ state: 'uncertain', register: '', order: 'A 1' })).toBe('?state=uncertain&order=A+1');
    expect(receiptsQuery({ from: 1764547200, to: 1764633600 })).toBe('?from=1764547200&to=1764633600');
    expect(receiptsQuery({ state: 'confirmed', sort: 'desc', limit: 100, cursor: '72312e642e3930' })).toBe(
      '?state=confirmed&sort=desc&limit=100&cursor=72312e642e3930',
    );
  });
});
