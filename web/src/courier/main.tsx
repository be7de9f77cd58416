// The courier's phone page (issue #14): sign in by link, today's orders, settle one at the door with
// ONE button whose Idempotency-Key is stored before sending, live progress, the check QR. Offline,
// the page and the last list come from the service worker and localStorage; a settlement taken
// offline stays queued with its key and goes out when the network returns.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError } from '../api/client';
import { PendingStore, type PendingAction } from '../api/keys';
import { formatRub, parseRub } from '../api/money';
import { followEvents } from '../api/events';
import { COURIER_TOKEN_KEY, loadToken, saveToken, tokenFromHash } from '../api/token';
import type { CourierCash, OrderView, ReceiptRecord, ReceiptsEnvelope } from '../api/types';
import '../style.css';
import './courier.css';
import {
  allHanded,
  changeFor,
  deadlineText,
  deliveredList,
  deliveryBody,
  doorSums,
  expectedPayment,
  initialMethod,
  localDay,
  mapsLink,
  microQty,
  normaliseContact,
  qtyMicro,
  refusal,
  splitOrders,
  stageOf,
  step,
  type Method,
} from './logic';

const LIST_KEY = 'kassa.courier.orders';
const pending = new PendingStore(localStorage, () => new Date(), 'kassa.courier.pending.');
const api = new Api(() => loadToken(localStorage, COURIER_TOKEN_KEY), pending);

const signedIn = (() => {
  const { token, rest } = tokenFromHash(location.hash);
  if (token) {
    saveToken(localStorage, token, COURIER_TOKEN_KEY);
    history.replaceState(null, '', location.pathname + location.search + rest);
  }
  return loadToken(localStorage, COURIER_TOKEN_KEY) !== null;
})();

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/courier/sw.js', { scope: '/courier/' }).catch(() => {});

// ---- results of sent actions, by order id (kept so a reload still shows them) -----------------
const RESULT_KEY = 'kassa.courier.result.';
function saveResult(order: string, env: ReceiptsEnvelope) {
  localStorage.setItem(RESULT_KEY + order, JSON.stringify(env));
}
function loadResult(order: string): ReceiptsEnvelope | null {
  const s = localStorage.getItem(RESULT_KEY + order);
  return s ? (JSON.parse(s) as ReceiptsEnvelope) : null;
}
const orderOf = (a: PendingAction) => decodeURIComponent(a.path.split('/')[3] ?? '');

// ---- live receipts: the page's one /v1/events stream feeds the open order screen -----------------
// While the stream is not connected (no signal, or a proxy that cuts it), the screen falls back to
// the long poll (GET /v1/receipts/{id}?wait=…).
const receiptListeners = new Set<(r: ReceiptRecord) => void>();
const liveListeners = new Set<(live: boolean) => void>();
let eventsLive = false;
function setEventsLive(live: boolean) {
  eventsLive = live;
  for (const f of liveListeners) f(live);
}

/** Sends every queued action (same key, same body); returns how many are still unanswered. */
async function flush(onResult: (order: string, env: ReceiptsEnvelope | ApiError) => void): Promise<number> {
  let left = 0;
  for (const a of pending.list()) {
    try {
      onResult(orderOf(a), await api.send(a));
    } catch (e) {
      if (e instanceof ApiError && (e.unanswered || e.status >= 503)) ++left;
      else if (e instanceof ApiError) onResult(orderOf(a), e);
    }
  }
  return left;
}

function App() {
  const [day] = useState(() => localDay(new Date()));
  const [orders, setOrders] = useState<OrderView[] | null>(() => {
    const s = localStorage.getItem(LIST_KEY);
    return s ? (JSON.parse(s) as OrderView[]) : null;
  });
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<'todo' | 'done'>('todo');
  const [open, setOpen] = useState<string | null>(null);
  const [queued, setQueued] = useState(pending.list().length);
  const [online, setOnline] = useState(navigator.onLine);
  const [tick, setTick] = useState(0);
  const [cashOpen, setCashOpen] = useState(false);
  const [signedOut, setSignedOut] = useState(false);
  // The office revoked this phone's token (or it is unknown): forget it and say so.
  const signOut = () => {
    localStorage.removeItem(COURIER_TOKEN_KEY);
    localStorage.removeItem(LIST_KEY);
    setSignedOut(true);
  };

  const reload = async () => {
    try {
      const out = await api.courierOrders(day);
      localStorage.setItem(LIST_KEY, JSON.stringify(out.orders));
      setOrders(out.orders);
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && signedIn) return signOut();
      setError((e as Error).message);
    }
  };
  const sync = async () => {
    const left = await flush((order, r) => {
      if (!(r instanceof ApiError)) saveResult(order, r);
    });
    setQueued(left);
    setTick((t) => t + 1);
    await reload();
  };
  useEffect(() => {
    void sync();
    const up = () => {
      setOnline(true);
      void sync();
    };
    const down = () => setOnline(false);
    addEventListener('online', up);
    addEventListener('offline', down);
    // Live events: a change of one of this courier's receipts refreshes the list (once per burst).
    let due: ReturnType<typeof setTimeout> | undefined;
    const stop = signedIn
      ? followEvents({
          token: () => loadToken(localStorage, COURIER_TOKEN_KEY),
          onSignedOut: signOut,
          onLive: setEventsLive,
          onEvent: (e) => {
            if (e.event !== 'receipt' && e.event !== 'reset') return;
            if (e.event === 'receipt') for (const f of receiptListeners) f(e.data as ReceiptRecord);
            // Events were lost (a restart, or too long away): whoever follows a receipt reads it again.
            else for (const f of liveListeners) f(true);
            clearTimeout(due);
            due = setTimeout(() => void reload(), 300);
          },
        })
      : () => {};
    return () => {
      stop();
      clearTimeout(due);
      removeEventListener('online', up);
      removeEventListener('offline', down);
    };
  }, []);

  if (signedOut)
    return (
      <main class="courier" data-test="signed-out">
        <h1>Вы вышли</h1>
        <p>Вход на этом телефоне отозван офисом. Попросите в офисе новый QR-код для входа.</p>
      </main>
    );

  if (!signedIn)
    return (
      <main class="courier">
        <h1>Касса · курьер</h1>
        <p>Откройте ссылку для входа, которую показывает офис (QR-код). Она сохранит вход на этом телефоне.</p>
      </main>
    );

  if (cashOpen) return <CashScreen onBack={() => setCashOpen(false)} />;

  const current = orders?.find((o) => o.id === open);
  if (current)
    return (
      <OrderScreen
        key={current.id + tick}
        order={current}
        online={online}
        onBack={() => {
          setOpen(null);
          void reload();
        }}
        onQueued={() => setQueued(pending.list().length)}
      />
    );

  const { todo, done } = splitOrders(orders ?? []);
  const shown = tab === 'todo' ? todo : done;
  return (
    <main class="courier">
      <header class="c-top">
        <h1>Заказы на {day.split('-').reverse().join('.')}</h1>
        <button type="button" class="quiet" onClick={() => void sync()}>
          Обновить
        </button>
      </header>
      {!online && <p class="warn-box" data-test="offline">Нет сети: показан последний список. Действия отправятся сами.</p>}
      {queued > 0 && (
        <p class="warn-box" data-test="queued">
          Ожидают отправки: {queued}. Не пробивайте чек повторно — он уйдёт с тем же ключом.
        </p>
      )}
      {error && orders === null && <p class="error" role="alert">{error}</p>}
      <nav class="c-tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'todo'} onClick={() => setTab('todo')}>
          К выполнению ({todo.length})
        </button>
        <button type="button" role="tab" aria-selected={tab === 'done'} onClick={() => setTab('done')}>
          Выполнены ({done.length})
        </button>
      </nav>
      {orders && shown.length === 0 && <p class="muted">Заказов нет.</p>}
      <ul class="c-list">
        {shown.map((o) => (
          <li key={o.id} class="c-card" data-order={o.id}>
            <button type="button" class="c-open" onClick={() => setOpen(o.id)}>
              <span class="c-id">№ {o.id}</span>
              <span>{o.delivery_address || 'адрес не указан'}</span>
              <span class="muted">Покупатель: {o.customer}</span>
              <OrderTerms order={o} />
              <span>
                Предоплата {formatRub(o.prepaid)} · <b>к оплате {formatRub(o.owed)}</b>
              </span>
            </button>
            {o.delivery_address && (
              <a class="c-maps" href={mapsLink(o.delivery_address)}>
                Маршрут
              </a>
            )}
          </li>
        ))}
      </ul>
      <button type="button" class="wide c-handover" data-test="handover" onClick={() => setCashOpen(true)}>
        Сдать кассу
      </button>
    </main>
  );
}

/** How the customer will pay and by when, as the office entered it. */
function OrderTerms(props: { order: OrderView }) {
  const pay = expectedPayment(props.order);
  const when = deadlineText(props.order);
  if (!pay && !when) return null;
  return (
    <span class="c-terms" data-test="terms">
      {pay && <span data-test="pay-method">Оплата {pay}</span>}
      {pay && when && ' · '}
      {when && <span data-test="deadline">Доставить {when}</span>}
    </span>
  );
}

function BackHeader(props: { title: string; onBack: () => void }) {
  return (
    <header class="c-top">
      <button type="button" class="quiet" onClick={props.onBack}>
        ← Заказы
      </button>
      <h1>{props.title}</h1>
    </header>
  );
}

/** End of day: the cash held per legal entity, declared to the office, which confirms it. */
function CashScreen(props: { onBack: () => void }) {
  const [cash, setCash] = useState<CourierCash[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const load = () =>
    api
      .courierCash()
      .then((c) => {
        setCash(c.cash);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void load();
  }, []);
  const declare = async (entity: string) => {
    setBusy(entity);
    try {
      await api.declareHandover(entity);
      await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <main class="courier">
      <BackHeader title="Сдать кассу" onBack={props.onBack} />
      {error && <p class="error" role="alert">{error}</p>}
      {cash && cash.length === 0 && <p class="muted">Наличных на руках нет.</p>}
      {cash?.map((c) => {
        const free = c.held - c.pending;
        return (
          <section key={c.entity_inn} class="c-card c-cash" data-entity={c.entity_inn}>
            <p>ИНН {c.entity_inn}</p>
            <p class="c-due">
              На руках <b data-test="held">{formatRub(c.held)}</b>
            </p>
            <p class="muted">
              Принято {formatRub(c.taken)} · возвращено {formatRub(c.refunded)} · сдано {formatRub(c.handed_over)}
            </p>
            {c.pending > 0 && (
              <p class="warn-box" data-test="pending">
                Ждёт подтверждения офиса: {formatRub(c.pending)}
              </p>
            )}
            {free > 0 && (
              <button type="button" class="primary wide c-go" disabled={busy !== null} onClick={() => void declare(c.entity_inn)}>
                Сдать {formatRub(free)}
              </button>
            )}
          </section>
        );
      })}
    </main>
  );
}

const STAGES: [string, string][] = [
  ['queued', 'В очереди'],
  ['register', 'На кассе'],
  ['done', 'Чек пробит'],
];

function OrderScreen(props: { order: OrderView; online: boolean; onBack: () => void; onQueued: () => void }) {
  const o = props.order;
  const [handed, setHanded] = useState(() => allHanded(o));
  const [method, setMethod] = useState<Method>(() => initialMethod(o));
  const [givenText, setGivenText] = useState('');
  const [excess, setExcess] = useState<'change' | 'advance'>('change');
  const [cardRef, setCardRef] = useState('');
  const [backHow, setBackHow] = useState<'refund' | 'advance'>('refund');
  const [contactText, setContactText] = useState(o.customer_contact ?? '');
  const [busy, setBusy] = useState(false);
  const [queuedHere, setQueuedHere] = useState(() => pending.list().some((a) => orderOf(a) === o.id));
  const [result, setResult] = useState<ReceiptsEnvelope | null>(() => loadResult(o.id));
  const [receipt, setReceipt] = useState<ReceiptRecord | null>(() => result?.receipts.at(-1) ?? o.receipts.at(-1) ?? null);
  const [error, setError] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [payQr, setPayQr] = useState<string | null>(null);
  const [movedFrom, setMovedFrom] = useState<string | null>(null);
  const [live, setLive] = useState(eventsLive); // the page's event stream is connected
  useEffect(() => {
    liveListeners.add(setLive);
    return () => void liveListeners.delete(setLive);
  }, []);

  const settled = o.state !== 'open' || receipt !== null || queuedHere;
  // «К оплате» follows the − / + at once: the goods handed over less the prepayment offset on them.
  const sums = doorSums(o, handed);
  const due = settled ? o.owed : sums.due;
  const given = method === 'cash' ? (parseRub(givenText) ?? undefined) : undefined;
  const contact = normaliseContact(contactText);
  const settlement = {
    method,
    due,
    given,
    contact,
    address: o.delivery_address ?? '',
    courier: o.courier ?? '',
    excess,
    cardReference: cardRef.trim(),
    delivered: deliveredList(o, handed),
    back: sums.back,
    refusedPrepayment: backHow,
    creditAllowed: o.credit_at_door === true,
  };
  const why = refusal(settlement);
  const change = given !== undefined ? changeFor(due, given) : null;

  // Follow the receipt until it is final by the page's live events, or by the long poll while the
  // stream is down; then fetch its check QR.
  useEffect(() => {
    if (!receipt) return;
    const id = receipt.id;
    let stop = false;
    let current = receipt;
    let polling = false;
    let qrAsked = false;
    const open = (r: ReceiptRecord) => r.state === 'planned' || r.state === 'sending' || r.state === 'uncertain';
    const apply = (r: ReceiptRecord) => {
      if (stop || r.id !== id) return;
      if (r.moved_from) setMovedFrom(r.moved_from);
      current = r;
      setReceipt(r);
      if (r.state === 'confirmed' && !qrAsked) {
        qrAsked = true;
        api
          .receiptQr(id)
          .then((blob) => {
            if (!stop) setQr(URL.createObjectURL(blob));
          })
          .catch(() => {});
      }
    };
    const poll = async () => {
      if (polling) return;
      polling = true;
      while (!stop && !eventsLive && open(current)) {
        try {
          apply(await api.receiptWait(id, 20));
        } catch {
          break; // no signal: the stream's next attempt (onLive false) starts this again
        }
      }
      polling = false;
    };
    // Connected (again): what happened while it was not is read once; after that, events only.
    const catchUp = () => {
      if (open(current)) api.receipt(id).then(apply, () => {});
    };
    const onLive = (live: boolean) => (live ? catchUp() : void poll());
    receiptListeners.add(apply);
    liveListeners.add(onLive);
    if (!open(current)) apply(current);
    else if (eventsLive) catchUp();
    else void poll();
    return () => {
      stop = true;
      receiptListeners.delete(apply);
      liveListeners.delete(onLive);
    };
  }, [receipt?.id]);

  const settle = async () => {
    if (why || busy || settled) return;
    setBusy(true);
    setError(null);
    // The phone's time of the settlement goes with it: sent late, the receipt keeps the true time.
    const body = deliveryBody({ ...settlement, settledAt: new Date().toISOString() });
    const action = api.delivery(o.id, body); // key stored before sending
    try {
      // With the live stream up the answer comes at once and the stages follow by events; without
      // it kassad holds the answer until the receipt settles (or the wait ends).
      const env = await api.send(action, eventsLive ? 0 : undefined);
      saveResult(o.id, env);
      setResult(env);
      setReceipt(env.receipts.at(-1) ?? null);
    } catch (e) {
      const err = e as ApiError;
      if (err.unanswered || err.status >= 503) {
        setQueuedHere(true);
        props.onQueued();
      } else setError(err.message);
    } finally {
      setBusy(false);
    }
  };

  const showSbp = async () => {
    try {
      setPayQr(URL.createObjectURL(await api.paymentQr(o.id, 'sbp', due)));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (payQr)
    return (
      <main class="c-fullqr" onClick={() => setPayQr(null)}>
        <p class="big">СБП · {formatRub(due)}</p>
        <img src={payQr} alt="QR-код СБП для оплаты" data-test="sbp-qr" />
        <button type="button" class="primary">Закрыть</button>
      </main>
    );

  const stage = receipt ? stageOf(receipt) : null;
  return (
    <main class="courier" data-live={live ? 'yes' : 'no'}>
      <BackHeader title={`№ ${o.id}`} onBack={props.onBack} />
      {o.delivery_address && (
        <p>
          {o.delivery_address} · <a href={mapsLink(o.delivery_address)}>Маршрут</a>
        </p>
      )}
      <p>
        <OrderTerms order={o} />
      </p>
      <table class="c-lines">
        <tbody>
          {o.lines.map((l) => {
            const ordered = qtyMicro(l.qty) ?? 0;
            const here = Math.min(ordered, handed[l.sku] ?? 0);
            return (
              <tr key={l.sku} data-sku={l.sku} class={here === 0 ? 'c-refused-all' : here < ordered ? 'c-refused' : ''}>
                <td>
                  {l.name}
                  <span class="muted"> · {formatRub(l.price)}</span>
                </td>
                <td class="c-step">
                  {!settled && (
                    <button type="button" aria-label={`Меньше: ${l.name}`} data-test="minus" onClick={() => setHanded(step(o, handed, l.sku, -1))}>
                      −
                    </button>
                  )}
                  <span class="num" data-test="qty">
                    {microQty(here)}
                    {here < ordered && <span class="muted"> из {l.qty}</span>}
                  </span>
                  {!settled && (
                    <button type="button" aria-label={`Больше: ${l.name}`} data-test="plus" onClick={() => setHanded(step(o, handed, l.sku, 1))}>
                      +
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p>
        Товары {formatRub(settled ? o.total : sums.goods)} · предоплата <span data-test="prepaid">{formatRub(o.prepaid)}</span>
      </p>
      <p class="c-due">
        {settled && o.state === 'delivered' && o.credit_owed > 0 ? 'Долг покупателя (кредит)' : 'К оплате'}{' '}
        <b data-test="due">{formatRub(due)}</b>
      </p>
      {!settled && sums.nothing && (
        <p class="warn-box" data-test="cancel-at-door">
          Покупатель отказался от всего заказа: заказ будет отменён.
        </p>
      )}
      {!settled && sums.back > 0 && (
        <fieldset class="c-back" data-test="back">
          <legend>Предоплата за отказ: {formatRub(sums.back)}</legend>
          <label>
            <input type="radio" name="back" checked={backHow === 'refund'} onChange={() => setBackHow('refund')} /> вернуть покупателю тем же
            способом
          </label>
          <label>
            <input type="radio" name="back" checked={backHow === 'advance'} onChange={() => setBackHow('advance')} /> оставить авансом (с
            согласия покупателя)
          </label>
        </fieldset>
      )}
      <p class="c-law" data-test="law">
        Расчёт курьера через кассу офиса разрешает магазин: чек формируется в момент оплаты и уходит покупателю
        электронно.
      </p>
      {!settled && (
        <>
          {due > 0 && (
            <nav class="c-tabs" role="tablist">
              {(
                [
                  ['cash', 'Наличные'],
                  ['card', 'Карта'],
                  ['sbp', 'СБП'],
                  ...(o.credit_at_door ? [['credit', 'В кредит'] as [Method, string]] : []),
                ] as [Method, string][]
              ).map(([m, label]) => (
                <button key={m} type="button" role="tab" aria-selected={method === m} onClick={() => setMethod(m)}>
                  {label}
                </button>
              ))}
            </nav>
          )}
          {due > 0 && method === 'cash' && (
            <>
              <label>
                Получено наличными, ₽
                <input inputMode="decimal" name="given" value={givenText} onInput={(e) => setGivenText(e.currentTarget.value)} />
              </label>
              {change !== null && change > 0 && (
                <fieldset class="c-back">
                  <legend class="big" data-test="change">
                    {excess === 'change' ? 'Сдача' : 'В аванс'} {formatRub(change)}
                  </legend>
                  <label>
                    <input type="radio" name="excess" checked={excess === 'change'} onChange={() => setExcess('change')} /> отдать сдачу
                  </label>
                  <label>
                    <input type="radio" name="excess" checked={excess === 'advance'} onChange={() => setExcess('advance')} /> оставить авансом
                    покупателя
                  </label>
                </fieldset>
              )}
            </>
          )}
          {due > 0 && method === 'card' && (
            <label>
              Оплата на терминале курьера на {formatRub(due)}. Номер операции (RRN) с чека терминала
              <input name="rrn" inputMode="numeric" value={cardRef} onInput={(e) => setCardRef(e.currentTarget.value)} />
            </label>
          )}
          {due > 0 && method === 'credit' && (
            <p class="warn-box" data-test="credit-note">
              Продажа в кредит: {formatRub(due)} остаётся долгом покупателя, деньги сейчас не берутся. Чек
              «передача в кредит» уйдёт покупателю электронно.
            </p>
          )}
          {due > 0 && method === 'sbp' && (
            <button type="button" class="wide" onClick={() => void showSbp()}>
              Показать QR СБП на весь экран
            </button>
          )}
          <label>
            Телефон или e-mail покупателя (для чека)
            <input name="contact" inputMode="email" value={contactText} onInput={(e) => setContactText(e.currentTarget.value)} />
          </label>
          {why && <p class="muted" data-test="why">{why}</p>}
          <button type="button" class="primary wide c-go" disabled={!!why || busy} onClick={() => void settle()}>
            {sums.nothing ? 'Оформить отказ' : 'Пробить чек'}
          </button>
        </>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {queuedHere && !receipt && (
        <p class="warn-box" data-test="queued-here">
          {props.online ? 'Отправляем…' : 'Нет сети: чек в очереди, отправится сам, с тем же ключом и временем расчёта.'}
        </p>
      )}
      {result && result.change > 0 && <p class="big">Сдача покупателю: {formatRub(result.change)}</p>}
      {result && result.receipts.length > 1 && (
        <p class="muted" data-test="receipts-count">
          Чеков по действию: {result.receipts.length}
        </p>
      )}
      {receipt && (
        <section class="c-progress" data-test="progress" data-stage={stage ?? ''}>
          <ol>
            {STAGES.map(([s, label], i) => (
              <li key={s} class={STAGES.findIndex(([x]) => x === stage) >= i ? 'reached' : ''}>
                {label}
                {s === 'done' && receipt.fiscal && <span data-test="fd"> · ФД № {receipt.fiscal.fd_number}</span>}
              </li>
            ))}
          </ol>
          {receipt.late && <p class="warn-box">Чек пробит позже расчёта: {receipt.late === 'corrected' ? 'оформлен чек коррекции' : 'передан в офис'}.</p>}
          {receipt.card_reference && <p class="muted">RRN {receipt.card_reference}</p>}
          {movedFrom && (
            <p class="muted" data-test="moved">
              Касса {movedFrom} недоступна: чек передан на кассу {receipt.register}.
            </p>
          )}
          {stage === 'failed' && <p class="error">Касса отказала: {receipt.error ?? 'ошибка'}. Позвоните в офис.</p>}
          {qr && <img class="c-checkqr" src={qr} alt="QR-код чека" data-test="check-qr" />}
        </section>
      )}
    </main>
  );
}

render(<App />, document.getElementById('app')!);
