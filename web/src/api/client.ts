// One typed client for both pages. Every call carries the bearer token; errors arrive as ApiError
// with kassad's stable `code`. Actions that can make a receipt go through `act`, which takes the
// Idempotency-Key from the PendingStore (made and stored before sending).

import type { PendingAction, PendingStore } from './keys';
import type {
  ApiErrorBody,
  CashInput,
  CorrectionInput,
  CourierCash,
  CustomerView,
  DeliveryInput,
  Handover,
  MoneyInInput,
  OrderView,
  ReceiptPage,
  ReceiptQuery,
  ReceiptRecord,
  ReceiptsEnvelope,
  Register,
  RegisterOperation,
  ReturnInput,
  IssuedToken,
  TokenInfo,
  TokenInput,
} from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ApiErrorBody['details'],
  ) {
    super(message);
  }
  /** No answer at all (network down, kassad stopped): an action may or may not have happened. */
  get unanswered(): boolean {
    return this.status === 0;
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** How long a receipt action waits for the register (kassad's ?wait, at most 60 s). */
export const WAIT_SECONDS = 15;

export function receiptsQuery(q: ReceiptQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class Api {
  constructor(
    private readonly token: () => string | null,
    private readonly pending: PendingStore,
    private readonly fetchFn: Fetch = (i, init) => fetch(i, init),
    private readonly base = '',
  ) {}

  /** The bearer token in use (the live event stream sends it too). */
  currentToken(): string | null {
    return this.token();
  }

  private async call<T>(method: string, path: string, body?: unknown, extra?: Record<string, string>): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extra };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, 'network', `нет ответа от кассового сервера (${(e as Error).message})`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text && (res.headers.get('Content-Type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
    if (!res.ok) {
      const err = (parsed ?? {}) as Partial<ApiErrorBody>;
      throw new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? res.statusText, err.details);
    }
    return parsed as T;
  }

  registers(): Promise<{ registers: Register[] }> {
    return this.call('GET', '/v1/registers');
  }
  /** One page of receipts (`next`: the cursor of the following one, when there is more). */
  receipts(q: ReceiptQuery = {}): Promise<ReceiptPage> {
    return this.call('GET', `/v1/receipts${receiptsQuery(q)}`);
  }
  receipt(id: number): Promise<ReceiptRecord> {
    return this.call('GET', `/v1/receipts/${id}`);
  }
  order(id: string): Promise<OrderView> {
    return this.call('GET', `/v1/orders/${encodeURIComponent(id)}`);
  }
  customer(id: string): Promise<CustomerView> {
    return this.call('GET', `/v1/customers/${encodeURIComponent(id)}`);
  }
  /** A receipt once it is final, or as it stands after `seconds` (kassad's long poll). */
  receiptWait(id: number, seconds: number): Promise<ReceiptRecord> {
    return this.call('GET', `/v1/receipts/${id}?wait=${seconds}`);
  }
  /** The calling courier's orders for a day (YYYY-MM-DD). */
  courierOrders(date: string): Promise<{ date: string; orders: OrderView[] }> {
    return this.call('GET', `/v1/couriers/me/orders?date=${encodeURIComponent(date)}`);
  }
  private async blob(path: string): Promise<Blob> {
    const headers: Record<string, string> = {};
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, { headers });
    } catch (e) {
      throw new ApiError(0, 'network', `нет ответа от кассового сервера (${(e as Error).message})`);
    }
    if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, 'QR-код недоступен');
    return res.blob();
  }
  /** The check QR as a PNG blob (an <img> cannot send the token itself). */
  receiptQr(id: number): Promise<Blob> {
    return this.blob(`/v1/receipts/${id}/qr?format=png`);
  }
  /** A payment QR (SVG) for exactly `amount` kopecks of an order: SBP link or GOST R 56042. */
  paymentQr(order: string, kind: 'sbp' | 'gost', amount: number): Promise<Blob> {
    return this.blob(`/v1/orders/${encodeURIComponent(order)}/payment-qr?kind=${kind}&format=svg&amount=${amount}`);
  }
  /** Settlement at the door, prepared with its key (stored before anything is sent). */
  courierCash(): Promise<{ cash: CourierCash[] }> {
    return this.call('GET', '/v1/couriers/me/cash');
  }
  declareHandover(entity_inn: string): Promise<Handover> {
    return this.call('POST', '/v1/couriers/me/handovers', { entity_inn });
  }
  handovers(state: 'pending' | 'all' = 'pending'): Promise<{ handovers: Handover[] }> {
    return this.call('GET', `/v1/handovers?state=${state}`);
  }
  confirmHandover(id: number): Promise<Handover> {
    return this.call('POST', `/v1/handovers/${id}/confirm`);
  }

  lateSettlements(state: 'open' | 'all' = 'open'): Promise<{ receipts: ReceiptRecord[] }> {
    return this.call('GET', `/v1/late-settlements?state=${state}`);
  }
  confirmLate(receipt: number): Promise<ReceiptRecord> {
    return this.call('POST', `/v1/late-settlements/${receipt}/confirm`);
  }

  delivery(order: string, input: DeliveryInput): PendingAction {
    return this.pending.prepare(`/v1/orders/${encodeURIComponent(order)}/delivery`, input, `Оплата заказа ${order}`);
  }

  // Register commands: no receipt is made, no key needed; each waits for the register.
  openShift(register: string): Promise<{ status: string }> {
    return this.call('POST', `/v1/registers/${encodeURIComponent(register)}/shift/open`);
  }
  closeShift(register: string): Promise<{ status: string }> {
    return this.call('POST', `/v1/registers/${encodeURIComponent(register)}/shift/close`);
  }
  xReport(register: string): Promise<{ status: string }> {
    return this.call('POST', `/v1/registers/${encodeURIComponent(register)}/x-report`);
  }
  resume(register: string): Promise<unknown> {
    return this.call('POST', `/v1/registers/${encodeURIComponent(register)}/resume`);
  }
  resend(receipt: number): Promise<{ status: string }> {
    return this.call('POST', `/v1/receipts/${receipt}/resend`);
  }

  // Tokens issued by kassad (the dashboard's "Люди"): the token is shown once, in issueToken's answer.
  issueToken(input: TokenInput): Promise<IssuedToken> {
    return this.call('POST', '/v1/tokens', input);
  }
  tokens(): Promise<{ tokens: TokenInfo[] }> {
    return this.call('GET', '/v1/tokens');
  }
  revokeToken(id: number): Promise<TokenInfo> {
    return this.call('DELETE', `/v1/tokens/${id}`);
  }

  // Planner events (never raw receipts): prepared with their key, then sent.
  returnGoods(order: string, input: ReturnInput): PendingAction {
    return this.pending.prepare(`/v1/orders/${encodeURIComponent(order)}/returns`, input, `Возврат по заказу ${order}`);
  }
  refundAdvance(customer: string, input: MoneyInInput): PendingAction {
    return this.pending.prepare(
      `/v1/customers/${encodeURIComponent(customer)}/refunds`,
      input,
      `Возврат аванса покупателю ${customer}`,
    );
  }
  repayCredit(order: string, input: MoneyInInput): PendingAction {
    return this.pending.prepare(
      `/v1/orders/${encodeURIComponent(order)}/credit-repayments`,
      input,
      `Погашение кредита по заказу ${order}`,
    );
  }
  correction(input: CorrectionInput): PendingAction {
    return this.pending.prepare('/v1/corrections', input, `Чек коррекции за ${input.correction.date}`);
  }

  // Register operations that make no receipt but must happen once (the drawer moves, paper is
  // printed): prepared with their key like receipts, then sent with sendOperation.
  cash(register: string, direction: 'in' | 'out', input: CashInput): PendingAction {
    return this.pending.prepare(
      `/v1/registers/${encodeURIComponent(register)}/cash-${direction}`,
      input,
      `${direction === 'in' ? 'Внесение' : 'Выемка'} на кассе ${register}`,
    );
  }
  copyReceipt(receipt: number): PendingAction {
    return this.pending.prepare(`/v1/receipts/${receipt}/copy`, {}, `Копия чека № ${receipt}`);
  }
  /** Sends a prepared register operation; forgotten once kassad answered (as `send`). */
  async sendOperation(action: PendingAction): Promise<RegisterOperation> {
    try {
      const out = await this.call<RegisterOperation>('POST', action.path, action.body, { 'Idempotency-Key': action.key });
      this.pending.settle(action);
      return out;
    } catch (e) {
      if (e instanceof ApiError && !e.unanswered && e.status !== 503 && e.status !== 504) this.pending.settle(action);
      throw e;
    }
  }

  /** Sends a prepared action with its key. The action is forgotten once kassad has answered
   *  (even with a refusal); without an answer it stays, to be repeated with the same key. `wait`:
   *  seconds kassad may hold the answer until the receipts settle (0: at once, when the caller
   *  follows them on the live event stream). */
  async send(action: PendingAction, wait = WAIT_SECONDS): Promise<ReceiptsEnvelope> {
    try {
      const out = await this.call<ReceiptsEnvelope>('POST', `${action.path}?wait=${wait}`, action.body, {
        'Idempotency-Key': action.key,
      });
      this.pending.settle(action);
      return out;
    } catch (e) {
      if (e instanceof ApiError && !e.unanswered && e.status !== 503 && e.status !== 504) this.pending.settle(action);
      throw e;
    }
  }
}
