// The dashboard's rules, free of the DOM so Vitest checks them: what a register's figures mean,
// what needs attention, and the journal filters the API does not have.

import { formatRub, parseRub } from '../api/money';
import type { ReceiptInput, ReceiptRecord, Register, VatClass } from '../api/types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const SHIFT_LIMIT_MS = 24 * HOUR; // 54-FZ: a shift lasts at most 24 hours
export const OFD_LIMIT_DAYS = 30; // a document unsent for 30 days blocks the register

export type Level = 'ok' | 'warn' | 'bad';

/** "5 ч 07 мин", "3 дн 4 ч", "12 мин"; never negative. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days} дн ${hours} ч`;
  if (hours > 0) return `${hours} ч ${String(mins).padStart(2, '0')} мин`;
  return `${mins} мин`;
}

export interface ShiftView {
  text: string;
  level: Level;
}

export function shiftView(r: Register, now: Date): ShiftView {
  const d = r.device;
  if (!d) return { text: 'нет данных', level: 'warn' };
  if (!d.shift_open) return { text: `закрыта (№ ${d.shift_number})`, level: 'warn' };
  if (d.shift_expired) return { text: `истекла (№ ${d.shift_number}): закройте смену`, level: 'bad' };
  if (!d.shift_opened_at) return { text: `открыта (№ ${d.shift_number})`, level: 'ok' };
  const left = Date.parse(d.shift_opened_at) + SHIFT_LIMIT_MS - now.getTime();
  if (left <= 0) return { text: `истекла (№ ${d.shift_number}): закройте смену`, level: 'bad' };
  return {
    text: `открыта (№ ${d.shift_number}), осталось ${formatDuration(left)}`,
    level: left < 2 * HOUR ? 'warn' : 'ok',
  };
}

/** Whole days until the fiscal storage expires (negative: expired). */
export function fnDaysLeft(r: Register, now: Date): number | null {
  if (!r.device?.fn_expiry) return null;
  return Math.floor((Date.parse(r.device.fn_expiry) - now.getTime()) / DAY);
}

export interface OfdView {
  text: string;
  level: Level;
  daysLeft: number | null; // until the oldest unsent document reaches 30 days
}

export function ofdView(r: Register, now: Date): OfdView {
  const d = r.device;
  if (!d) return { text: 'нет данных', level: 'warn', daysLeft: null };
  if (d.ofd_unsent === 0) return { text: 'всё передано', level: 'ok', daysLeft: null };
  if (!d.ofd_oldest_unsent) return { text: `не передано: ${d.ofd_unsent}`, level: 'warn', daysLeft: null };
  const age = now.getTime() - Date.parse(d.ofd_oldest_unsent);
  const daysLeft = Math.floor((OFD_LIMIT_DAYS * DAY - age) / DAY);
  return {
    text: `не передано: ${d.ofd_unsent}, старейший ${formatDuration(age)}; до блокировки ${Math.max(0, daysLeft)} дн`,
    level: daysLeft <= 3 ? 'bad' : daysLeft <= 10 || age > DAY ? 'warn' : 'ok',
    daysLeft,
  };
}

export const STATE_WORDS: Record<Register['state'], string> = {
  connecting: 'подключается',
  idle: 'готова',
  busy: 'печатает',
  offline: 'нет связи',
  needs_operator: 'нужен оператор',
  device_stopped: 'остановлена',
  stopped: 'выключена',
};

export function stateLevel(r: Register): Level {
  if (r.state === 'idle' || r.state === 'busy') return 'ok';
  if (r.state === 'connecting') return 'warn';
  return 'bad';
}

// ---- needs attention ----------------------------------------------------------------------

export type AttentionAction =
  | { kind: 'resume'; register: string }
  | { kind: 'open_receipt'; receipt: number }
  | { kind: 'resend'; receipt: number }
  | { kind: 'close_shift'; register: string }
  | { kind: 'show_registers' };

export interface AttentionItem {
  id: string;
  title: string;
  words: string; // plain words: what happened and what not to do
  action: AttentionAction;
  actionLabel: string;
}

/** A fiscal storage this close to its end is announced in «Требует внимания». */
export const FN_WARN_DAYS = 30;

export function registerAttention(registers: Register[], now: Date = new Date()): AttentionItem[] {
  const out: AttentionItem[] = [];
  for (const r of registers) {
    const fnDays = fnDaysLeft(r, now);
    if (fnDays !== null && fnDays <= FN_WARN_DAYS) {
      out.push({
        id: `fn-${r.id}`,
        title: fnDays < 0 ? `Касса ${r.id}: срок ФН истёк` : `Касса ${r.id}: ФН заканчивается через ${fnDays} дн`,
        words:
          'Когда срок фискального накопителя закончится, касса не пробьёт ни одного чека. Закажите новый ФН и замените его заранее (с перерегистрацией кассы в ФНС).',
        action: { kind: 'show_registers' },
        actionLabel: 'К кассам',
      });
    }
    const ofd = ofdView(r, now);
    if (ofd.daysLeft !== null && ofd.level !== 'ok') {
      out.push({
        id: `ofd-${r.id}`,
        title: `Касса ${r.id}: документы не переданы в ОФД`,
        words: `${ofd.text[0].toUpperCase()}${ofd.text.slice(1)}. Проверьте интернет на кассе и договор с ОФД: через ${OFD_LIMIT_DAYS} дней после первого непереданного документа касса перестанет пробивать чеки. Чеки повторять не нужно.`,
        action: { kind: 'show_registers' },
        actionLabel: 'К кассам',
      });
    }
    if (r.state === 'needs_operator') {
      out.push({
        id: `reg-${r.id}`,
        title: `Касса ${r.id}: нужен оператор`,
        words: `${r.detail ? r.detail + '. ' : ''}Устраните причину (например, заправьте бумагу) и нажмите «Продолжить»: касса допечатает чек сама. Не пробивайте его второй раз вручную.`,
        action: { kind: 'resume', register: r.id },
        actionLabel: 'Продолжить',
      });
    } else if (r.state === 'offline' || r.state === 'device_stopped') {
      out.push({
        id: `reg-${r.id}`,
        title: `Касса ${r.id}: ${STATE_WORDS[r.state]}`,
        words: `${r.detail ? r.detail + '. ' : ''}Проверьте питание и кабель кассы. Чеки в очереди (${r.queue_depth}) ждут её или уйдут на другую кассу того же юрлица; повторять оплату не нужно.`,
        action: { kind: 'resume', register: r.id },
        actionLabel: 'Продолжить',
      });
    } else if (r.device?.shift_expired) {
      out.push({
        id: `shift-${r.id}`,
        title: `Касса ${r.id}: смена длится больше 24 часов`,
        words: 'Пока смена не закрыта, касса не пробьёт ни одного чека. Закройте смену (отчёт Z).',
        action: { kind: 'close_shift', register: r.id },
        actionLabel: 'Закрыть смену',
      });
    }
  }
  return out;
}

export function receiptAttention(receipts: ReceiptRecord[]): AttentionItem[] {
  return receipts
    .filter((r) => r.state === 'uncertain' || r.state === 'failed')
    .map((r) =>
      r.state === 'uncertain'
        ? {
            id: `rcpt-${r.id}`,
            title: `Чек № ${r.id} на ${formatRub(r.receipt.total)}: под вопросом`,
            words: `Связь с кассой ${r.register} прервалась во время печати. Касса сверяет, пробит ли чек. Не пробивайте его второй раз вручную и не повторяйте оплату.`,
            action: { kind: 'open_receipt' as const, receipt: r.id },
            actionLabel: 'Открыть',
          }
        : {
            id: `rcpt-${r.id}`,
            title: `Чек № ${r.id} на ${formatRub(r.receipt.total)}: не пробит`,
            words: `Касса отказала до фискализации${r.error ? ` (${r.error})` : ''}. Чека нет; операцию можно повторить.`,
            action: { kind: 'open_receipt' as const, receipt: r.id },
            actionLabel: 'Открыть',
          },
    );
}

export function deliveryAttention(receipts: ReceiptRecord[]): AttentionItem[] {
  const out: AttentionItem[] = [];
  for (const r of receipts) {
    const failed = r.deliveries?.find((d) => d.state === 'failed');
    if (!failed) continue;
    out.push({
      id: `deliv-${r.id}`,
      title: `Электронный чек № ${r.id} не доставлен (${failed.kind === 'sms' ? 'SMS' : 'e-mail'})`,
      words: `${failed.attempts} попыток${failed.last_error ? `: ${failed.last_error}` : ''}. Чек пробит; отправьте его покупателю снова.`,
      action: { kind: 'resend', receipt: r.id },
      actionLabel: 'Отправить снова',
    });
  }
  return out;
}

// ---- journal filters the API lacks (it filters by state, register, order and time) -------------

export interface ClientFilter {
  customer?: string;
  contact?: string; // phone or e-mail, any part
  sum?: string; // "1 234,56": the receipt total
  text?: string; // a line name, the cashier
}

function digits(s: string): string {
  return s.replace(/\D/g, '');
}

export function matchesClientFilter(r: ReceiptRecord, f: ClientFilter): boolean {
  if (f.customer && !r.customer.toLowerCase().includes(f.customer.trim().toLowerCase())) return false;
  if (f.contact) {
    const want = f.contact.trim().toLowerCase();
    const have = (r.receipt.buyer_contact ?? '').toLowerCase();
    const byDigits = digits(want).length >= 4 && digits(have).includes(digits(want));
    if (!have.includes(want) && !byDigits) return false;
  }
  if (f.sum && f.sum.trim()) {
    const k = parseRub(f.sum);
    if (k === null || r.receipt.total !== k) return false;
  }
  if (f.text && f.text.trim()) {
    const t = f.text.trim().toLowerCase();
    const hay = [r.receipt.cashier ?? '', ...r.receipt.lines.map((l) => l.name)].join(' ').toLowerCase();
    if (!hay.includes(t)) return false;
  }
  return true;
}

/** "2026-12-01" → Unix seconds at local midnight, plus `days`; undefined for an empty field. */
export function localDayStart(date: string, days: number): number | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + days);
  return Math.floor(d.getTime() / 1000);
}

export const RECEIPT_STATE_WORDS: Record<ReceiptRecord['state'], string> = {
  planned: 'в очереди',
  sending: 'печатается',
  confirmed: 'пробит',
  failed: 'не пробит',
  uncertain: 'под вопросом',
};

export const SIGN_WORDS: Record<number, string> = {
  1: 'Приход',
  2: 'Возврат прихода',
  3: 'Расход',
  4: 'Возврат расхода',
};

export const METHOD_WORDS: Record<number, string> = {
  1: 'Предоплата 100%',
  2: 'Предоплата',
  3: 'Аванс',
  4: 'Полный расчёт',
  5: 'Частичный расчёт и кредит',
  6: 'Передача в кредит',
  7: 'Оплата кредита',
};

/** What the shift close should warn about first. */
export function closeShiftChecks(r: Register, inFlight: number): string[] {
  const out: string[] = [];
  if (inFlight > 0) out.push(`Чеков в работе на этой кассе: ${inFlight}. Дождитесь их печати, иначе они уйдут в следующую смену.`);
  if (r.queue_depth > 0) out.push(`В очереди кассы ${r.queue_depth} задач.`);
  if (r.device && r.device.ofd_unsent > 0)
    out.push(`Не передано в ОФД: ${r.device.ofd_unsent} док. Закрыть смену можно; проверьте связь с ОФД.`);
  return out;
}

// ---- corrections ---------------------------------------------------------------------------

/** The VAT class behind a line's rate code (1199), to start the corrected receipt from the wrong one. */
export function vatClassOf1199(code: number): VatClass {
  const map: Record<number, VatClass> = {
    1: 'vat20', 3: 'vat20', 2: 'vat10', 4: 'vat10', 5: 'vat0', 6: 'none',
    7: 'vat5', 9: 'vat5', 8: 'vat7', 10: 'vat7', 11: 'vat22', 12: 'vat22',
  };
  return map[code] ?? 'vat22';
}

/** A confirmed receipt as it was printed, for `erroneous` of a correction (reversed by the planner). */
export function asPrinted(r: ReceiptRecord): ReceiptInput {
  const x = r.receipt;
  const out: ReceiptInput = {
    tag1054: x.tag1054,
    lines: x.lines.map((l) => ({
      name: l.name,
      qty: l.qty,
      price: l.price,
      amount: l.amount,
      tag1214: l.tag1214,
      tag1212: l.tag1212,
      tag1199: l.tag1199,
      vat: l.vat,
    })),
    total: x.total,
  };
  for (const k of ['tag1031', 'tag1081', 'tag1215', 'tag1216', 'tag1217'] as const) if (x[k] > 0) out[k] = x[k];
  return out;
}
