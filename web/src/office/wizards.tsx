// Wizards over the planner's routes (never raw receipts). Each prepares its action (the
// Idempotency-Key is made and stored first), then sends it and shows the receipts it made.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { PendingAction } from '../api/keys';
import { formatQuantity, formatRub, lineAmount, parseQuantity, parseRub } from '../api/money';
import type { OrderView, ReceiptInput, ReceiptRecord, ReceiptsEnvelope, Register, VatClass } from '../api/types';
import { useOffice } from './context';
import { asPrinted, METHOD_WORDS, RECEIPT_STATE_WORDS, SIGN_WORDS, vatClassOf1199 } from './logic';

type Method = 'cash' | 'electronic' | 'to_balance';
const METHOD_LABEL: Record<Method, string> = { cash: 'наличными', electronic: 'на карту', to_balance: 'на авансовый баланс' };

function useSender() {
  const { api, openReceipt } = useOffice();
  const [result, setResult] = useState<ReceiptsEnvelope | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (action: PendingAction) => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.send(action));
    } catch (e) {
      const err = e as ApiError;
      setError(
        err.unanswered || err.status === 503 || err.status === 504
          ? `${err.message}. Ответа нет: отправьте ещё раз (здесь или кнопкой «Отправить ещё раз» вверху) — второй чек не появится (ключ ${action.key}).`
          : `${err.message}${err.details?.field ? ` (поле ${err.details.field})` : ''}`,
      );
    } finally {
      setBusy(false);
    }
  };
  const view = (
    <>
      {error && <p class="error" role="alert">{error}</p>}
      {result && (
        <div class="result" data-test="wizard-result">
          <p>{result.replayed ? 'Уже было сделано раньше (тот же ключ): новых чеков нет.' : `Чеков: ${result.receipts.length}`}</p>
          <ul>
            {result.receipts.map((r) => (
              <li key={r.id} data-result-receipt={r.id}>
                <button type="button" class="link" onClick={() => openReceipt(r.id)}>
                  № {r.id}
                </button>{' '}
                {SIGN_WORDS[r.receipt.tag1054]} · {METHOD_WORDS[r.receipt.lines[0]?.tag1214] ?? ''} ·{' '}
                {formatRub(r.receipt.total)} · {RECEIPT_STATE_WORDS[r.state]}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
  return { send, busy, view };
}

function MethodPicker({ value, onChange, allowBalance }: { value: Method; onChange: (m: Method) => void; allowBalance: boolean }) {
  const methods: Method[] = allowBalance ? ['cash', 'electronic', 'to_balance'] : ['cash', 'electronic'];
  return (
    <fieldset class="methods">
      <legend>Как вернуть деньги</legend>
      {methods.map((m) => (
        <label key={m}>
          <input type="radio" name="method" value={m} checked={value === m} onChange={() => onChange(m)} /> {METHOD_LABEL[m]}
        </label>
      ))}
    </fieldset>
  );
}

export function ReturnWizard() {
  const { api } = useOffice();
  const [orderId, setOrderId] = useState('');
  const [order, setOrder] = useState<OrderView | null>(null);
  const [qty, setQty] = useState<Record<string, string>>({});
  const [method, setMethod] = useState<Method>('cash');
  const [contact, setContact] = useState('');
  const [loadError, setLoadError] = useState<string | null>(null);
  const { send, busy, view } = useSender();

  const load = async (e: Event) => {
    e.preventDefault();
    setLoadError(null);
    try {
      const o = await api.order(orderId.trim());
      setOrder(o);
      setQty(Object.fromEntries(o.lines.map((l) => [l.sku, '0'])));
    } catch (err) {
      setOrder(null);
      setLoadError((err as Error).message);
    }
  };
  const chosen = order
    ? order.lines
        .map((l) => ({ line: l, micro: parseQuantity(qty[l.sku] ?? '0') }))
        .filter((x) => x.micro !== null && x.micro > 0n)
    : [];
  const invalid = order ? order.lines.some((l) => parseQuantity(qty[l.sku] ?? '0') === null) : false;
  const sum = chosen.reduce((n, x) => n + lineAmount(x.line.price, x.micro!), 0);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!order || chosen.length === 0 || invalid) return;
    const body = {
      lines: chosen.map((x) => ({ sku: x.line.sku, qty: formatQuantity(x.micro!) })),
      refund: { [method]: sum },
      ...(contact.trim() ? { buyer_contact: contact.trim() } : {}),
    };
    void send(api.returnGoods(order.id, body));
  };

  return (
    <section aria-label="Возврат товара">
      <form onSubmit={(e) => void load(e)} class="row">
        <label>
          Номер заказа
          <input name="return-order" value={orderId} onInput={(e) => setOrderId((e.target as HTMLInputElement).value)} required />
        </label>
        <button type="submit">Найти заказ</button>
      </form>
      {loadError && <p class="error">{loadError}</p>}
      {order && (
        <form onSubmit={submit}>
          <p>
            Заказ {order.id}, покупатель {order.customer}: сумма {formatRub(order.total)}
            {order.state === 'delivered' ? `, передан на ${formatRub(order.delivered)}` : `, предоплата ${formatRub(order.prepaid)}`}, уже
            возвращено {formatRub(order.returned)}
            {order.credit_owed > 0 ? `, долг по кредиту ${formatRub(order.credit_owed)}` : ''}.
          </p>
          {order.state !== 'delivered' && <p class="warn-box">Заказ ещё не передан покупателю: вернуть можно только переданный товар (или отменить заказ).</p>}
          <table class="table compact">
            <thead>
              <tr>
                <th>Товар</th>
                <th>Продано</th>
                <th>Цена</th>
                <th>Вернуть</th>
              </tr>
            </thead>
            <tbody>
              {order.lines.map((l) => (
                <tr key={l.sku}>
                  <td>{l.name}</td>
                  <td class="num">{l.qty}</td>
                  <td class="num">{formatRub(l.price)}</td>
                  <td>
                    <input
                      class="qty"
                      inputMode="decimal"
                      aria-label={`Вернуть: ${l.name}`}
                      value={qty[l.sku]}
                      onInput={(e) => setQty({ ...qty, [l.sku]: (e.target as HTMLInputElement).value })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" onClick={() => setQty(Object.fromEntries(order.lines.map((l) => [l.sku, l.qty])))}>
            Весь заказ
          </button>
          <MethodPicker value={method} onChange={setMethod} allowBalance={true} />
          <label>
            Телефон или e-mail для электронного чека (необязательно)
            <input value={contact} onInput={(e) => setContact((e.target as HTMLInputElement).value)} />
          </label>
          <p class="big" data-test="return-sum">
            К возврату: {formatRub(sum)} {METHOD_LABEL[method]}
          </p>
          <button type="submit" class="primary" disabled={busy || chosen.length === 0 || invalid}>
            {busy ? 'Пробиваю…' : 'Оформить возврат'}
          </button>
        </form>
      )}
      {view}
    </section>
  );
}

/** Which legal entity an event not tied to an order belongs to (shown when there are several). */
function EntityPicker({ entities, value, onChange }: { entities: string[]; value: string; onChange: (inn: string) => void }) {
  if (entities.length < 2) return null;
  return (
    <label>
      Юрлицо (ИНН)
      <select value={value || entities[0]} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {entities.map((x) => (
          <option key={x}>{x}</option>
        ))}
      </select>
    </label>
  );
}

function MoneyForm({ kind, registers }: { kind: 'advance' | 'credit'; registers: Register[] }) {
  const { api } = useOffice();
  const [subject, setSubject] = useState('');
  const [info, setInfo] = useState<string | null>(null);
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState<Method>('cash');
  const [inn, setInn] = useState('');
  const [contact, setContact] = useState('');
  const { send, busy, view } = useSender();
  const entities = [...new Set(registers.map((r) => r.entity_inn))];
  const kopecks = parseRub(amount);

  const look = async () => {
    try {
      if (kind === 'advance') {
        const c = await api.customer(subject.trim());
        setInfo(`Авансовый баланс: ${formatRub(c.advance_balance)}`);
      } else {
        const o = await api.order(subject.trim());
        setInfo(`Долг по кредиту: ${formatRub(o.credit_owed)}`);
      }
    } catch (e) {
      setInfo((e as Error).message);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (!kopecks || !subject.trim()) return;
    const body = {
      [method]: kopecks,
      ...(kind === 'advance' && (inn || entities[0]) ? { entity_inn: inn || entities[0] } : {}),
      ...(contact.trim() ? { buyer_contact: contact.trim() } : {}),
    };
    void send(kind === 'advance' ? api.refundAdvance(subject.trim(), body) : api.repayCredit(subject.trim(), body));
  };
  return (
    <form onSubmit={submit} aria-label={kind === 'advance' ? 'Возврат аванса' : 'Погашение кредита'}>
      <div class="row">
        <label>
          {kind === 'advance' ? 'Покупатель' : 'Номер заказа'}
          <input value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} onBlur={() => subject.trim() && void look()} required />
        </label>
        {info && <span class="muted">{info}</span>}
      </div>
      {kind === 'advance' && <EntityPicker entities={entities} value={inn} onChange={setInn} />}
      <label>
        Сумма, ₽
        <input inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} required />
      </label>
      {amount && kopecks === null && <p class="error">Сумма: рубли и не больше двух знаков копеек, например 1 234,50</p>}
      {kind === 'advance' ? (
        <MethodPicker value={method} onChange={setMethod} allowBalance={false} />
      ) : (
        <fieldset class="methods">
          <legend>Как получены деньги</legend>
          {(['cash', 'electronic'] as const).map((m) => (
            <label key={m}>
              <input type="radio" name="credit-method" checked={method === m} onChange={() => setMethod(m)} /> {m === 'cash' ? 'наличными' : 'картой'}
            </label>
          ))}
        </fieldset>
      )}
      <label>
        Телефон или e-mail для электронного чека (необязательно)
        <input value={contact} onInput={(e) => setContact((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="primary" disabled={busy || !kopecks}>
        {busy ? 'Пробиваю…' : kind === 'advance' ? 'Вернуть аванс' : 'Принять оплату кредита'}
      </button>
      {view}
    </form>
  );
}

const VATS: VatClass[] = ['vat22', 'vat20', 'vat10', 'vat7', 'vat5', 'vat0', 'none'];
const PAYMENTS = [
  ['tag1031', 'Наличными'],
  ['tag1081', 'Безналичными'],
  ['tag1215', 'Зачёт предоплаты'],
  ['tag1216', 'В кредит'],
] as const;
type PaymentTag = (typeof PAYMENTS)[number][0];

interface DraftLine {
  name: string;
  qty: string;
  price: string; // roubles as typed
  method: number; // 1214
  vat: VatClass;
}

function localDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function ReceiptSummary({ title, receipt }: { title: string; receipt: ReceiptInput }) {
  return (
    <div class="summary" data-test={title === 'Было' ? 'correction-before' : 'correction-after'}>
      <h3>{title}</h3>
      <p>{SIGN_WORDS[receipt.tag1054 ?? 1]}</p>
      <ul>
        {receipt.lines.map((l, i) => (
          <li key={i}>
            {l.name}: {l.qty} × {formatRub(l.price)} · {METHOD_WORDS[l.tag1214 ?? 4]}
          </li>
        ))}
      </ul>
      <p>
        {PAYMENTS.filter(([k]) => (receipt[k] ?? 0) > 0).map(([k, label]) => `${label} ${formatRub(receipt[k]!)}`).join(', ')} · итого{' '}
        {formatRub(receipt.total)}
      </p>
    </div>
  );
}

/**
 * A correction receipt: on the seller's own initiative or by the tax office's order. Optionally
 * names the wrong receipt (by its number in the journal): the planner then prints its reversal and
 * the correct one, and the wizard shows both side by side (Было / Стало).
 */
export function CorrectionWizard({ registers, wrongId }: { registers: Register[]; wrongId?: number }) {
  const { api } = useOffice();
  const entities = [...new Set(registers.map((r) => r.entity_inn))];
  const [type, setType] = useState<'self' | 'by_order'>('self');
  const [date, setDate] = useState('');
  const [orderNumber, setOrderNumber] = useState('');
  const [inn, setInn] = useState('');
  const [wrongText, setWrongText] = useState(wrongId ? String(wrongId) : '');
  const [wrong, setWrong] = useState<ReceiptRecord | null>(null);
  const [wrongError, setWrongError] = useState<string | null>(null);
  const [sign, setSign] = useState(1);
  const [lines, setLines] = useState<DraftLine[]>([{ name: '', qty: '1', price: '', method: 4, vat: 'vat22' }]);
  const [pay, setPay] = useState<Record<PaymentTag, string>>({ tag1031: '', tag1081: '', tag1215: '', tag1216: '' });
  const { send, busy, view } = useSender();

  const loadWrong = async (id: number) => {
    setWrongError(null);
    try {
      const r = await api.receipt(id);
      if (r.state !== 'confirmed' || !r.fiscal) throw new Error(`чек № ${id} не пробит: исправлять нечего`);
      setWrong(r);
      setDate(localDate(r.fiscal.time));
      setSign(r.receipt.tag1054);
      setLines(
        r.receipt.lines.map((l) => ({
          name: l.name,
          qty: l.qty,
          price: formatRub(l.price, false),
          method: l.tag1214,
          vat: vatClassOf1199(l.tag1199),
        })),
      );
      setPay(Object.fromEntries(PAYMENTS.map(([k]) => [k, r.receipt[k] > 0 ? formatRub(r.receipt[k], false) : ''])) as Record<PaymentTag, string>);
      if (r.register) setInn(registers.find((x) => x.id === r.register)?.entity_inn ?? '');
    } catch (e) {
      setWrong(null);
      setWrongError((e as Error).message);
    }
  };
  useEffect(() => {
    if (wrongId) void loadWrong(wrongId);
  }, [wrongId]);

  // The corrected receipt as it should have been; null while something typed is not valid.
  const parsed = lines.map((l) => ({ l, price: parseRub(l.price), qty: parseQuantity(l.qty) }));
  const linesOk = parsed.every((x) => x.l.name.trim() && x.price !== null && x.qty !== null && x.qty > 0n);
  const total = linesOk ? parsed.reduce((n, x) => n + lineAmount(x.price!, x.qty!), 0) : null;
  const payments = PAYMENTS.map(([k]) => [k, pay[k].trim() ? parseRub(pay[k]) : 0] as const);
  const paymentsOk = payments.every(([, v]) => v !== null);
  const paid = payments.reduce((n, [, v]) => n + (v ?? 0), 0);
  const correct: ReceiptInput | null =
    total !== null && total > 0 && paymentsOk
      ? {
          tag1054: sign,
          lines: parsed.map((x) => ({
            name: x.l.name.trim(),
            qty: formatQuantity(x.qty!),
            price: x.price!,
            tag1214: x.l.method,
            vat_class: x.l.vat,
          })),
          ...Object.fromEntries(payments.filter(([, v]) => (v ?? 0) > 0)),
          total,
        }
      : null;
  const ready = !!correct && paid === total && !!date && (type === 'self' || !!orderNumber.trim());
  const setLine = (i: number, patch: Partial<DraftLine>) => setLines(lines.map((l, j) => (i === j ? { ...l, ...patch } : l)));

  const submit = (e: Event) => {
    e.preventDefault();
    if (!ready || !correct) return;
    void send(
      api.correction({
        correction: { type, date, ...(type === 'by_order' ? { order_number: orderNumber.trim() } : {}) },
        correct,
        ...(wrong ? { erroneous: asPrinted(wrong), corrected_fiscal_sign: String(wrong.fiscal!.fiscal_sign) } : {}),
        ...(inn || entities[0] ? { entity_inn: inn || entities[0] } : {}),
      }),
    );
  };
  return (
    <form onSubmit={submit} aria-label="Чек коррекции">
      <fieldset class="methods">
        <legend>Основание (1173)</legend>
        <label>
          <input type="radio" name="ctype" checked={type === 'self'} onChange={() => setType('self')} /> самостоятельно
        </label>
        <label>
          <input type="radio" name="ctype" checked={type === 'by_order'} onChange={() => setType('by_order')} /> по предписанию налоговой
        </label>
      </fieldset>
      <div class="row">
        <label>
          Неверный чек (№ в журнале, если был)
          <input name="wrong-receipt" inputMode="numeric" value={wrongText} onInput={(e) => setWrongText((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" disabled={!/^\d+$/.test(wrongText.trim())} onClick={() => void loadWrong(Number(wrongText.trim()))}>
          Загрузить
        </button>
        <label>
          Дата расчёта (1178)
          <input type="date" name="correction-date" value={date} onInput={(e) => setDate((e.target as HTMLInputElement).value)} required />
        </label>
        {type === 'by_order' && (
          <label>
            Номер предписания (1179)
            <input value={orderNumber} onInput={(e) => setOrderNumber((e.target as HTMLInputElement).value)} required />
          </label>
        )}
      </div>
      {wrongError && <p class="error">{wrongError}</p>}
      <EntityPicker entities={entities} value={inn} onChange={setInn} />
      <label>
        Признак расчёта
        <select value={sign} onChange={(e) => setSign(Number((e.target as HTMLSelectElement).value))}>
          {Object.entries(SIGN_WORDS).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <table class="table compact" aria-label="Как должно было быть">
        <thead>
          <tr>
            <th>Товар</th>
            <th>Кол-во</th>
            <th>Цена, ₽</th>
            <th>Способ расчёта</th>
            <th>НДС</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => (
            <tr key={i}>
              <td>
                <input aria-label={`Товар ${i + 1}`} value={l.name} onInput={(e) => setLine(i, { name: (e.target as HTMLInputElement).value })} />
              </td>
              <td>
                <input class="qty" aria-label={`Кол-во ${i + 1}`} inputMode="decimal" value={l.qty} onInput={(e) => setLine(i, { qty: (e.target as HTMLInputElement).value })} />
              </td>
              <td>
                <input class="qty" aria-label={`Цена ${i + 1}`} inputMode="decimal" value={l.price} onInput={(e) => setLine(i, { price: (e.target as HTMLInputElement).value })} />
              </td>
              <td>
                <select aria-label={`Способ расчёта ${i + 1}`} value={l.method} onChange={(e) => setLine(i, { method: Number((e.target as HTMLSelectElement).value) })}>
                  {Object.entries(METHOD_WORDS).map(([k, v]) => (
                    <option key={k} value={k}>
                      {v}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <select aria-label={`НДС ${i + 1}`} value={l.vat} onChange={(e) => setLine(i, { vat: (e.target as HTMLSelectElement).value as VatClass })}>
                  {VATS.map((v) => (
                    <option key={v} value={v}>
                      {v === 'none' ? 'без НДС' : v.replace('vat', 'НДС ') + '%'}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <button type="button" disabled={lines.length === 1} onClick={() => setLines(lines.filter((_, j) => j !== i))} aria-label={`Убрать строку ${i + 1}`}>
                  −
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => setLines([...lines, { name: '', qty: '1', price: '', method: 4, vat: 'vat22' }])}>
        + строка
      </button>
      <div class="row">
        {PAYMENTS.map(([k, label]) => (
          <label key={k}>
            {label}, ₽
            <input class="qty" inputMode="decimal" value={pay[k]} onInput={(e) => setPay({ ...pay, [k]: (e.target as HTMLInputElement).value })} />
          </label>
        ))}
      </div>
      {total !== null && paymentsOk && paid !== total && (
        <p class="error">
          Оплаты ({formatRub(paid)}) должны сложиться в сумму чека ({formatRub(total)}).
        </p>
      )}
      <div class="before-after">
        {wrong && <ReceiptSummary title="Было" receipt={asPrinted(wrong)} />}
        {correct && <ReceiptSummary title="Стало" receipt={correct} />}
      </div>
      {wrong && <p class="muted">Касса пробьёт два чека коррекции: обратный к неверному и верный.</p>}
      <button type="submit" class="primary" disabled={busy || !ready}>
        {busy ? 'Пробиваю…' : 'Пробить чек коррекции'}
      </button>
      {view}
    </form>
  );
}

export function Wizards({ registers, correctionOf }: { registers: Register[]; correctionOf?: number }) {
  const [which, setWhich] = useState<'return' | 'advance' | 'credit' | 'correction'>(correctionOf ? 'correction' : 'return');
  const tabs = [
    ['return', 'Возврат товара'],
    ['advance', 'Возврат аванса'],
    ['credit', 'Погашение кредита'],
    ['correction', 'Коррекция'],
  ] as const;
  return (
    <section>
      <div class="subtabs" role="tablist">
        {tabs.map(([k, label]) => (
          <button type="button" role="tab" aria-selected={which === k} key={k} onClick={() => setWhich(k)}>
            {label}
          </button>
        ))}
      </div>
      {which === 'return' && <ReturnWizard />}
      {which === 'advance' && <MoneyForm kind="advance" registers={registers} key="advance" />}
      {which === 'credit' && <MoneyForm kind="credit" registers={registers} key="credit" />}
      {which === 'correction' && <CorrectionWizard registers={registers} wrongId={correctionOf} key={correctionOf ?? 0} />}
    </section>
  );
}
