// The courier page's rules, kept pure so Vitest checks them: the day, the contact for 1008, change,
// what a settlement sends, and where a receipt stands. Money is integer kopecks throughout.

import type { DeliveryInput, OrderView, PaymentMethodExpected, ReceiptRecord } from '../api/types';

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

// ---- goods handed over at the door ---------------------------------------------------------------

const MICRO = 1_000_000n;

/** A quantity as the server writes it ("2", "1.5") in millionths, or null when malformed. */
export function qtyMicro(q: string): number | null {
  const m = /^(\d{1,8})(?:\.(\d{1,6}))?$/.exec(q);
  if (!m) return null;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Millionths back to the server's shortest decimal form. */
export function microQty(micro: number): string {
  const whole = Math.floor(micro / 1_000_000);
  const frac = String(micro % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** price × quantity rounded half up to whole kopecks, exactly as kassad does (no floating point). */
export function lineAmount(price: number, micro: number): number {
  const p = BigInt(price) * BigInt(micro);
  return Number((p + MICRO / 2n) / MICRO);
}

/** What the courier hands over, by sku, in millionths: everything ordered to start with. */
export type Handed = Record<string, number>;

export function allHanded(order: Pick<OrderView, 'lines'>): Handed {
  const h: Handed = {};
  for (const l of order.lines) h[l.sku] = (h[l.sku] ?? 0) + (qtyMicro(l.qty) ?? 0);
  return h;
}

/** − / + on a line: one whole unit at a time (the last step down to 0 or up to what was ordered). */
export function step(order: Pick<OrderView, 'lines'>, handed: Handed, sku: string, delta: 1 | -1): Handed {
  const ordered = allHanded(order)[sku] ?? 0;
  const now = handed[sku] ?? 0;
  const next = Math.min(ordered, Math.max(0, now + delta * 1_000_000));
  return { ...handed, [sku]: delta < 0 && now < 1_000_000 ? 0 : next };
}

export interface DoorSums {
  goods: number; // the goods handed over
  offset: number; // prepayment offset on them (1215)
  due: number; // «К оплате»
  back: number; // prepayment above the goods: refunded or kept as an advance
  refused: boolean; // something was refused
  nothing: boolean; // everything was refused: a cancellation at the door
}

/** The sums at the door for what is handed over, as kassad's planner will compute them. */
export function doorSums(order: Pick<OrderView, 'lines' | 'prepaid'>, handed: Handed): DoorSums {
  let goods = 0;
  let refused = false;
  let any = false;
  const left = { ...handed };
  for (const l of order.lines) {
    const ordered = qtyMicro(l.qty) ?? 0;
    const here = Math.min(ordered, left[l.sku] ?? 0);
    left[l.sku] = (left[l.sku] ?? 0) - here;
    if (here < ordered) refused = true;
    if (here > 0) any = true;
    goods += lineAmount(l.price, here);
  }
  const offset = Math.min(order.prepaid, goods);
  return { goods, offset, due: goods - offset, back: order.prepaid - offset, refused, nothing: !any };
}

/** `delivered` for the request: only when something was refused (absent means everything). */
export function deliveredList(order: Pick<OrderView, 'lines'>, handed: Handed): { sku: string; qty: string }[] | undefined {
  const all = allHanded(order);
  if (Object.keys(all).every((sku) => (handed[sku] ?? 0) >= all[sku])) return undefined;
  return Object.keys(all).map((sku) => ({ sku, qty: microQty(Math.min(all[sku], handed[sku] ?? 0)) }));
}

export type Method = 'cash' | 'card' | 'sbp' | 'credit';

const EXPECTED: Record<PaymentMethodExpected, string> = {
  cash: 'наличными',
  card: 'картой',
  sbp: 'по СБП',
  credit: 'в кредит',
  prepaid: 'оплачен заранее',
};

/** How the customer said they would pay, for the list and the order screen («Оплата: картой»). */
export function expectedPayment(o: Pick<OrderView, 'payment_method'>): string | null {
  return o.payment_method ? EXPECTED[o.payment_method] ?? null : null;
}

/** The deadline as the shop promised it: «10:00–12:30», «до 18:00», or null. */
export function deadlineText(o: Pick<OrderView, 'deliver_from' | 'deliver_by'>): string | null {
  if (!o.deliver_by) return null;
  return o.deliver_from ? `${o.deliver_from}–${o.deliver_by}` : `до ${o.deliver_by}`;
}

/** The payment tab a settlement starts on: the customer's expected method where the page offers it. */
export function initialMethod(o: Pick<OrderView, 'payment_method' | 'credit_at_door'>): Method {
  const m = o.payment_method;
  if (m === 'card' || m === 'sbp') return m;
  if (m === 'credit' && o.credit_at_door) return 'credit';
  return 'cash';
}

export interface Settlement {
  method: Method;
  due: number; // kopecks still owed for the goods handed over
  given?: number; // cash handed over (cash only)
  contact: string | null; // normalised 1008, or null
  address: string; // the delivery address: 1009 of this settlement
  courier: string; // 1021
  excess?: 'change' | 'advance'; // cash above what is due: handed back, or kept as the customer's advance
  cardReference?: string; // the terminal's RRN (card only)
  delivered?: { sku: string; qty: string }[]; // set when something was refused
  back?: number; // prepayment above the goods handed over
  refusedPrepayment?: 'refund' | 'advance';
  settledAt?: string; // the phone's time of the settlement (ISO 8601)
  creditAllowed?: boolean; // the order may be left owed at the door (OrderView.credit_at_door)
}

/** Why the button may not be pressed yet, in Russian, or null when the settlement can go. */
export function refusal(s: Settlement): string | null {
  // Nothing due still needs its receipt: a prepaid order is settled by offsetting the prepayment.
  if (!s.contact) return 'Нужен телефон или e-mail покупателя для электронного чека.';
  if (s.due > 0 && s.method === 'cash') {
    if (s.given === undefined || changeFor(s.due, s.given) === null) return 'Полученных наличных меньше суммы к оплате.';
  }
  if (s.due > 0 && s.method === 'card' && !cardReferenceOk(s.cardReference ?? ''))
    return 'Введите номер операции (RRN) с чека терминала.';
  if (s.due > 0 && s.method === 'credit' && !s.creditAllowed) return 'Этот заказ нельзя оформить в кредит.';
  return null;
}

/** A terminal's reference as kassad keeps it: letters, digits, - and /, at most 64. */
export function cardReferenceOk(text: string): boolean {
  return /^[A-Za-z0-9/-]{1,64}$/.test(text);
}

/** The body of POST /v1/orders/{id}/delivery for a settlement that `refusal` let through. */
export function deliveryBody(s: Settlement): DeliveryInput {
  const body: DeliveryInput = {};
  if (s.delivered) body.delivered = s.delivered;
  if (s.back && s.back > 0) body.refused_prepayment = s.refusedPrepayment ?? 'refund';
  if (s.due > 0) {
    if (s.method === 'cash') {
      body.cash = s.given ?? s.due;
      body.excess = s.excess ?? 'change';
    } else if (s.method === 'credit') {
      body.credit = s.due; // a sale on credit: what is due stays owed (1216), prepayment is still offset
    } else {
      body.electronic = s.due;
      if (s.method === 'card' && s.cardReference) body.card_reference = s.cardReference;
    }
  }
  if (s.contact) body.buyer_contact = s.contact;
  if (s.address) body.settlement_address = s.address;
  if (s.courier) body.cashier = s.courier;
  if (s.settledAt) body.settled_at = s.settledAt;
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
