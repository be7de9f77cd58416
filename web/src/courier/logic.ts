// The courier page's rules, kept pure so Vitest checks them: the day, the contact for 1008, change,
// what a settlement sends, and where a receipt stands. Money is integer kopecks throughout.

import type { DeliveryInput, OrderView, ReceiptRecord } from '../api/types';

/** The phone's calendar day as YYYY-MM-DD (local time: the courier's "today"). */
export function localDay(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/**
 * A buyer contact for tag 1008 as kassad accepts it (+7 and ten digits, or an e-mail of at most 64
 * characters), normalised from what a person types ("8 (912) 345-67-89" → "+79123456789"), or null.
 */
export function normaliseContact(text: string): string | null {
  const s = text.trim();
  if (!s) return null;
  if (s.includes('@')) {
    return s.length <= 64 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) ? s : null;
  }
  if (!/^[+\d\s()-]+$/.test(s)) return null;
  const digits = s.replace(/\D/g, '');
  if (digits.length === 11 && (digits[0] === '7' || digits[0] === '8')) return `+7${digits.slice(1)}`;
  if (digits.length === 10 && !s.startsWith('+')) return `+7${digits}`;
  return null;
}

/** Change to hand back for cash `given` against `due`, or null when the cash does not cover it. */
export function changeFor(due: number, given: number): number | null {
  return given >= due ? given - due : null;
}

export type Method = 'cash' | 'card' | 'sbp';

export interface Settlement {
  method: Method;
  due: number; // kopecks still owed for the order
  given?: number; // cash handed over (cash only)
  contact: string | null; // normalised 1008, or null
  address: string; // the delivery address: 1009 of this settlement
  courier: string; // 1021
}

/** Why the button may not be pressed yet, in Russian, or null when the settlement can go. */
export function refusal(s: Settlement): string | null {
  if (s.due <= 0) return 'По заказу ничего не нужно платить.';
  if (!s.contact) return 'Нужен телефон или e-mail покупателя для электронного чека.';
  if (s.method === 'cash') {
    if (s.given === undefined || changeFor(s.due, s.given) === null) return 'Полученных наличных меньше суммы к оплате.';
  }
  return null;
}

/** The body of POST /v1/orders/{id}/delivery for a settlement that `refusal` let through. */
export function deliveryBody(s: Settlement): DeliveryInput {
  const body: DeliveryInput =
    s.method === 'cash' ? { cash: s.given ?? s.due, excess: 'change' } : { electronic: s.due };
  if (s.contact) body.buyer_contact = s.contact;
  if (s.address) body.settlement_address = s.address;
  if (s.courier) body.cashier = s.courier;
  return body;
}

export type Stage = 'queued' | 'register' | 'done' | 'failed';

/** Where a receipt stands, for the progress line: queued → at the register → fiscal number. */
export function stageOf(r: Pick<ReceiptRecord, 'state'>): Stage {
  switch (r.state) {
    case 'planned':
      return 'queued';
    case 'sending':
    case 'uncertain':
      return 'register';
    case 'confirmed':
      return 'done';
    default:
      return 'failed';
  }
}

/** To do: still open; done: delivered or cancelled. */
export function splitOrders(orders: OrderView[]): { todo: OrderView[]; done: OrderView[] } {
  return {
    todo: orders.filter((o) => o.state === 'open'),
    done: orders.filter((o) => o.state !== 'open'),
  };
}

/** A link that opens the phone's maps app on the address (geo: URI, RFC 5870 with a query). */
export function mapsLink(address: string): string {
  return `geo:0,0?q=${encodeURIComponent(address)}`;
}
