// The shapes of src/api/openapi.json that the pages use. Sums are integer kopecks.

export type WorkerState = 'connecting' | 'idle' | 'busy' | 'offline' | 'needs_operator' | 'device_stopped' | 'stopped';
export type ReceiptState = 'planned' | 'sending' | 'confirmed' | 'failed' | 'uncertain';
export type VatClass = 'vat22' | 'vat10' | 'vat0' | 'none' | 'vat5' | 'vat7' | 'vat20';

export interface DeviceStatus {
  shift_open: boolean;
  shift_number: number;
  shift_opened_at?: string;
  shift_expired: boolean;
  fn_number: string;
  fn_expiry?: string;
  last_fd_number: number;
  ofd_unsent: number;
  ofd_oldest_unsent?: string;
  paper_ok: boolean;
  receipt_open: boolean;
}

export interface Register {
  id: string;
  entity_inn: string;
  state: WorkerState;
  queue_depth: number;
  detail?: string;
  warnings: string[];
  device?: DeviceStatus;
}

export interface ReceiptLine {
  name: string;
  sku?: string;
  qty: string;
  unit: number;
  price: number;
  amount: number;
  tag1214: number;
  tag1212: number;
  tag1199: number;
  vat: number;
}

export interface Receipt {
  tag1054: number;
  lines: ReceiptLine[];
  tag1031: number;
  tag1081: number;
  tag1215: number;
  tag1216: number;
  tag1217: number;
  total: number;
  tax_system: string;
  cashier?: string;
  buyer_contact?: string;
  settlement_address?: string;
  settlement_place?: string;
  correction?: { type: 'self' | 'by_order'; date_unix: number; order_number: string };
}

export interface FiscalResult {
  fd_number: number;
  fiscal_sign: number;
  fn_number: string;
  shift: number;
  receipt_number: number;
  time: string;
  qr: string;
}

export interface Delivery {
  kind: 'email' | 'sms';
  state: 'pending' | 'claimed' | 'sent' | 'failed';
  attempts: number;
  last_error: string;
}

export interface ReceiptRecord {
  id: number;
  state: ReceiptState;
  register: string;
  customer: string;
  orders: string[];
  created: string;
  updated: string;
  receipt: Receipt;
  fiscal?: FiscalResult;
  error?: string;
  deliveries?: Delivery[];
  card_reference?: string; // the card terminal's RRN
  settled_at?: string; // late settlements: when the money really changed hands
  late?: 'corrected' | 'listed' | 'confirmed';
  late_confirmed_by?: string;
  moved_from?: string; // live events only: failover handed it from this register to `register`
}

/** A register operation that makes no receipt (cash in / out, a receipt's copy), kept under its key. */
export interface RegisterOperation {
  idempotency_key: string;
  kind: 'cash_in' | 'cash_out' | 'copy';
  register: string;
  state: 'planned' | 'sending' | 'done' | 'failed' | 'uncertain';
  replayed: boolean;
  amount?: number;
  reason?: string;
  receipt?: number;
  document_number?: number;
  error?: string;
}

export interface CashInput {
  amount: number; // kopecks
  reason: string;
}

export interface ReceiptsEnvelope {
  receipts: ReceiptRecord[];
  change: number;
  replayed: boolean;
}

export interface OrderLine {
  sku: string;
  name: string;
  qty: string;
  unit: number;
  price: number;
  vat: VatClass;
  subject: number;
}

export interface OrderView {
  id: string;
  customer: string;
  entity_inn: string;
  lines: OrderLine[];
  state: 'open' | 'delivered' | 'cancelled';
  total: number;
  prepaid: number;
  delivered: number;
  returned: number;
  refused?: number; // Σ refused at the door × price
  refused_lines?: { sku: string; qty: string }[];
  owed: number;
  credit_owed: number;
  receipts: ReceiptRecord[];
  courier?: string;
  delivery_date?: string; // YYYY-MM-DD
  delivery_address?: string;
  customer_contact?: string;
  payment_method?: PaymentMethodExpected; // how the customer said they would pay
  deliver_from?: string; // HH:MM: the delivery window's start (absent: only "by")
  deliver_by?: string; // HH:MM: the deadline on delivery_date
  credit_allowed?: boolean; // the order may be settled on credit
  credit_at_door?: boolean; // a courier may settle it on credit now ([planner] credit_at_door)
}

export type PaymentMethodExpected = 'cash' | 'card' | 'sbp' | 'credit' | 'prepaid';

/** POST /v1/orders/{id}/delivery: money at the door (kopecks) and where and to whom. */
export interface DeliveryInput {
  cash?: number;
  electronic?: number;
  use_advance?: number;
  credit?: number;
  excess?: 'change' | 'advance';
  buyer_contact?: string;
  cashier?: string;
  settlement_address?: string;
  delivered?: { sku: string; qty: string }[]; // what was handed over when something was refused
  refused_prepayment?: 'refund' | 'advance';
  card_reference?: string;
  settled_at?: string; // ISO 8601, the phone's time of the settlement
}

/** GET /v1/couriers/me/cash: per legal entity. */
export interface CourierCash {
  entity_inn: string;
  taken: number;
  refunded: number;
  handed_over: number;
  pending: number;
  held: number;
}

export interface Handover {
  id: number;
  courier: string;
  entity_inn: string;
  amount: number;
  state: 'pending' | 'confirmed';
  declared: string;
  confirmed?: string;
  confirmed_by?: string;
}

export interface CustomerView {
  id: string;
  advance_balance: number;
  history: { receipt: number; account: number; owner: string; delta: number; at: string }[];
}

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: { field?: string } & Record<string, unknown>;
}

export interface ReceiptQuery {
  state?: ReceiptState | '';
  register?: string;
  order?: string;
  from?: number; // created at or after, Unix seconds
  to?: number; // created before, Unix seconds
  limit?: number; // receipts per page, 1..1000 (kassad's default 1000)
  sort?: 'asc' | 'desc'; // by number: oldest (default) or newest first
  cursor?: string; // the `next` of the previous page
}

/** One page of GET /v1/receipts; `next` is there when more receipts match. */
export interface ReceiptPage {
  receipts: ReceiptRecord[];
  next?: string;
}

export interface Refund {
  cash?: number;
  electronic?: number;
  to_balance?: number;
  credit?: number;
}

export interface ReturnInput {
  lines: { sku: string; qty: string }[];
  refund: Refund;
  buyer_contact?: string;
}

export interface MoneyInInput {
  cash?: number;
  electronic?: number;
  buyer_contact?: string;
  entity_inn?: string;
}

export interface ReceiptLineInput {
  name: string;
  qty: string;
  price: number;
  amount?: number;
  tag1214?: number;
  tag1212?: number;
  tag1199?: number;
  vat?: number;
  vat_class?: VatClass;
}

export interface ReceiptInput {
  tag1054?: number;
  lines: ReceiptLineInput[];
  tag1031?: number;
  tag1081?: number;
  tag1215?: number;
  tag1216?: number;
  tag1217?: number;
  total: number;
}

export interface CorrectionInput {
  correction: { type: 'self' | 'by_order'; date: string; order_number?: string };
  correct: ReceiptInput;
  erroneous?: ReceiptInput;
  corrected_fiscal_sign?: string;
  entity_inn?: string;
  buyer_contact?: string;
}

/** A token issued by kassad (GET /v1/tokens): never the token itself. */
export interface TokenInfo {
  id: number;
  name: string;
  role: 'admin' | 'cashier' | 'courier';
  entities: string[];
  registers: string[];
  created: string;
  created_by: string;
  revoked: string | null;
}

/** POST /v1/tokens: the token is in this answer only. */
export interface IssuedToken extends TokenInfo {
  token: string;
  link: string;
  qr_svg?: string;
  qr_text?: string;
}

export interface TokenInput {
  name: string;
  role: 'cashier' | 'courier';
  entities?: string[];
  registers?: string[];
  base_url?: string;
}
