import { useEffect, useRef, useState } from 'preact/hooks';
import { formatRub } from '../api/money';
import type { ReceiptQuery, ReceiptRecord, Register } from '../api/types';
import { useOffice } from './context';
import { CopyButton } from './copy';
import { localDayStart, matchesClientFilter, METHOD_WORDS, RECEIPT_STATE_WORDS, SIGN_WORDS, type ClientFilter } from './logic';

const PAGE = 100; // receipts per page of the journal

function localTime(iso: string): string {
  return new Date(iso).toLocaleString('ru-RU');
}

export function Journal({ registers }: { registers: Register[] }) {
  const { api, openReceipt } = useOffice();
  const [query, setQuery] = useState<ReceiptQuery>({});
  const [filter, setFilter] = useState<ClientFilter>({});
  const [rows, setRows] = useState<ReceiptRecord[] | null>(null);
  const [next, setNext] = useState<{ q: ReceiptQuery; cursor: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fromDate, setFromDate] = useState('');
  const [toDate, setToDate] = useState('');

  // Newest first, a page at a time: «Показать ещё» reads the next page with the same filters.
  const load = async (q: ReceiptQuery, more: boolean) => {
    setError(null);
    try {
      const page = await api.receipts(q);
      setRows((old) => (more && old ? [...old, ...page.receipts] : page.receipts));
      setNext(page.next ? { q, cursor: page.next } : null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const search = async (e?: Event) => {
    e?.preventDefault();
    // Dates are the cashier's local days; the API takes Unix seconds, `to` exclusive.
    const q: ReceiptQuery = { ...query, from: localDayStart(fromDate, 0), to: localDayStart(toDate, 1), sort: 'desc', limit: PAGE };
    await load(q, false);
  };
  const loadMore = () => next && load({ ...next.q, cursor: next.cursor }, true);
  useEffect(() => void search(), []);

  const shown = rows?.filter((r) => matchesClientFilter(r, filter)) ?? [];
  return (
    <section>
      <form class="filters" onSubmit={(e) => void search(e)} aria-label="Поиск чеков">
        <label>
          Состояние
          <select value={query.state ?? ''} onChange={(e) => setQuery({ ...query, state: (e.target as HTMLSelectElement).value as ReceiptQuery['state'] })}>
            <option value="">любое</option>
            {Object.entries(RECEIPT_STATE_WORDS).map(([k, v]) => (
              <option value={k} key={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label>
          Касса
          <select value={query.register ?? ''} onChange={(e) => setQuery({ ...query, register: (e.target as HTMLSelectElement).value })}>
            <option value="">любая</option>
            {registers.map((r) => (
              <option value={r.id} key={r.id}>
                {r.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Заказ
          <input name="order" value={query.order ?? ''} onInput={(e) => setQuery({ ...query, order: (e.target as HTMLInputElement).value.trim() })} />
        </label>
        <label>
          С
          <input type="date" value={fromDate} onInput={(e) => setFromDate((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          По
          <input type="date" value={toDate} onInput={(e) => setToDate((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="primary">
          Найти
        </button>
        <fieldset class="client-filters">
          <legend>Уточнить найденное</legend>
          <label>
            Покупатель
            <input value={filter.customer ?? ''} onInput={(e) => setFilter({ ...filter, customer: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Телефон / e-mail
            <input value={filter.contact ?? ''} onInput={(e) => setFilter({ ...filter, contact: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Сумма, ₽
            <input inputMode="decimal" value={filter.sum ?? ''} onInput={(e) => setFilter({ ...filter, sum: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            Товар / кассир
            <input value={filter.text ?? ''} onInput={(e) => setFilter({ ...filter, text: (e.target as HTMLInputElement).value })} />
          </label>
        </fieldset>
      </form>
      {error && <p class="error">{error}</p>}
      {rows && (
        <p class="muted">
          Найдено: {shown.length}
          {next ? ` (показаны последние ${rows.length})` : ''}
        </p>
      )}
      <table class="table" aria-label="Журнал чеков">
        <thead>
          <tr>
            <th>№</th>
            <th>Время</th>
            <th>Тип</th>
            <th>Сумма</th>
            <th>Заказы</th>
            <th>Покупатель</th>
            <th>Касса</th>
            <th>ФД</th>
            <th>Состояние</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.id} data-receipt={r.id} class={`state-${r.state}`}>
              <td>
                <button type="button" class="link" onClick={() => openReceipt(r.id)}>
                  {r.id}
                </button>
              </td>
              <td>{localTime(r.fiscal?.time ?? r.created)}</td>
              <td>
                {r.receipt.correction ? 'Коррекция: ' : ''}
                {SIGN_WORDS[r.receipt.tag1054] ?? r.receipt.tag1054}
                <span class="muted"> · {METHOD_WORDS[r.receipt.lines[0]?.tag1214] ?? ''}</span>
              </td>
              <td class="num">{formatRub(r.receipt.total)}</td>
              <td>{r.orders.join(', ')}</td>
              <td>{r.customer}</td>
              <td>{r.register}</td>
              <td>{r.fiscal?.fd_number ?? '—'}</td>
              <td>{RECEIPT_STATE_WORDS[r.state]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" data-test="journal-more" onClick={() => void loadMore()}>
          Показать ещё
        </button>
      )}
    </section>
  );
}

export function ReceiptDetail({ id, onClose }: { id: number; onClose: () => void }) {
  const { api, notify, correctReceipt } = useOffice();
  const [r, setR] = useState<ReceiptRecord | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Keyboard: the panel takes the focus when it opens and Escape closes it.
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [id]);

  const load = () =>
    api
      .receipt(id)
      .then(setR)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    setR(null);
    setQr(null);
    void load();
  }, [id]);
  useEffect(() => {
    if (r?.state !== 'confirmed') return;
    let url: string | null = null;
    api
      .receiptQr(id)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        setQr(url);
      })
      .catch(() => setQr(null));
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [r?.state, id]);

  const resend = async () => {
    try {
      await api.resend(id);
      notify(`Чек № ${id}: отправка поставлена в очередь`);
      void load();
    } catch (e) {
      notify((e as Error).message, 'bad');
    }
  };

  return (
    <aside class="panel" role="dialog" aria-label={`Чек № ${id}`} data-test="receipt-detail">
      <div class="panel-head">
        <h2>Чек № {id}</h2>
        <button type="button" ref={closeRef} onClick={onClose} aria-label="Закрыть">
          ✕
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {r && (
        <>
          <p>
            <span class={`badge state-${r.state}`}>{RECEIPT_STATE_WORDS[r.state]}</span>{' '}
            {r.receipt.correction ? 'Чек коррекции · ' : ''}
            {SIGN_WORDS[r.receipt.tag1054]} · касса {r.register}
          </p>
          {r.state === 'uncertain' && (
            <p class="warn-box">Касса сверяет, пробит ли этот чек. Не пробивайте его второй раз вручную.</p>
          )}
          {r.error && <p class="error">{r.error}</p>}
          <table class="table compact">
            <thead>
              <tr>
                <th>Товар</th>
                <th>Кол-во</th>
                <th>Цена</th>
                <th>Сумма</th>
                <th>Признак</th>
              </tr>
            </thead>
            <tbody>
              {r.receipt.lines.map((l, i) => (
                <tr key={i}>
                  <td>{l.name}</td>
                  <td class="num">{l.qty}</td>
                  <td class="num">{formatRub(l.price)}</td>
                  <td class="num">{formatRub(l.amount)}</td>
                  <td>{METHOD_WORDS[l.tag1214]}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl class="facts">
            <dt>Итого</dt>
            <dd data-fact="total">{formatRub(r.receipt.total)}</dd>
            {r.receipt.tag1031 > 0 && (<><dt>Наличными</dt><dd>{formatRub(r.receipt.tag1031)}</dd></>)}
            {r.receipt.tag1081 > 0 && (<><dt>Безналичными</dt><dd>{formatRub(r.receipt.tag1081)}</dd></>)}
            {r.receipt.tag1215 > 0 && (<><dt>Зачёт предоплаты</dt><dd>{formatRub(r.receipt.tag1215)}</dd></>)}
            {r.receipt.tag1216 > 0 && (<><dt>В кредит</dt><dd>{formatRub(r.receipt.tag1216)}</dd></>)}
            <dt>Заказы</dt>
            <dd>{r.orders.join(', ') || '—'}</dd>
            <dt>Покупатель</dt>
            <dd>{r.customer || '—'}</dd>
            {r.receipt.buyer_contact && (<><dt>Контакт (1008)</dt><dd>{r.receipt.buyer_contact}</dd></>)}
            {r.receipt.cashier && (<><dt>Кассир</dt><dd>{r.receipt.cashier}</dd></>)}
            {r.fiscal && (
              <>
                <dt>ФД</dt>
                <dd data-fact="fd">{r.fiscal.fd_number}</dd>
                <dt>ФП</dt>
                <dd>{r.fiscal.fiscal_sign}</dd>
                <dt>ФН</dt>
                <dd>{r.fiscal.fn_number}</dd>
                <dt>Смена / чек</dt>
                <dd>
                  {r.fiscal.shift} / {r.fiscal.receipt_number}
                </dd>
                <dt>Время</dt>
                <dd>{localTime(r.fiscal.time)}</dd>
              </>
            )}
          </dl>
          {qr && <img class="qr" src={qr} alt={`QR-код чека: ${r.fiscal?.qr ?? ''}`} data-test="receipt-qr" />}
          {r.deliveries && r.deliveries.length > 0 && (
            <ul class="deliveries">
              {r.deliveries.map((d, i) => (
                <li key={i}>
                  {d.kind === 'sms' ? 'SMS' : 'E-mail'}:{' '}
                  {{ pending: 'ждёт отправки', claimed: 'отправляется', sent: 'доставлен', failed: 'не доставлен' }[d.state]}
                  {d.attempts > 0 ? `, попыток ${d.attempts}` : ''}
                  {d.last_error ? ` (${d.last_error})` : ''}
                </li>
              ))}
            </ul>
          )}
          {r.state === 'confirmed' && (
            <button type="button" onClick={() => correctReceipt(id)}>
              Исправить чеком коррекции
            </button>
          )}{' '}
          {r.state === 'confirmed' && <CopyButton receipt={id} />}{' '}
          {r.state === 'confirmed' && r.receipt.buyer_contact && (
            <button type="button" onClick={() => void resend()}>
              Отправить электронный чек снова
            </button>
          )}
        </>
      )}
    </aside>
  );
}
