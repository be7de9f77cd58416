import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import '../style.css';
import { Api, ApiError } from '../api/client';
import { PendingStore } from '../api/keys';
import { forgetToken, loadToken, saveToken, tokenFromHash } from '../api/token';
import type { ReceiptRecord, Register } from '../api/types';
import { Attention } from './attention';
import { CourierDesk } from './handovers';
import { OfficeContext } from './context';
import { usePoll, useNow } from './hooks';
import { Journal, ReceiptDetail } from './journal';
import { useLive } from './live';
import { People } from './people';
import { deliveryAttention, receiptAttention, registerAttention } from './logic';
import { RegistersStrip } from './registers';
import { Shifts } from './shifts';
import { Cash } from './cash';
import { Wizards } from './wizards';

// "#token=…" in the link signs in and is removed from the address bar at once.
const fromHash = tokenFromHash(location.hash);
if (fromHash.token) {
  saveToken(localStorage, fromHash.token);
  history.replaceState(null, '', location.pathname + location.search + fromHash.rest);
}

type Tab = 'attention' | 'shifts' | 'journal' | 'wizards' | 'people';
const TABS: [Tab, string][] = [
  ['attention', 'Требует внимания'],
  ['shifts', 'Смены'],
  ['journal', 'Журнал'],
  ['wizards', 'Возвраты и коррекции'],
  ['people', 'Люди'],
];

function SignIn({ onToken, error }: { onToken: (t: string) => void; error: string | null }) {
  const [text, setText] = useState('');
  return (
    <main class="signin">
      <h1>Касса: вход</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) onToken(text.trim());
        }}
      >
        <label>
          Токен доступа
          <input type="password" name="token" autoComplete="off" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} autoFocus />
        </label>
        <button type="submit" class="primary">
          Войти
        </button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="muted">
        Токен администратора лежит в файле <code>var/admin-token</code> рядом с данными kassad (его путь kassad пишет при запуске). Можно
        открыть ссылку вида <code>/office/#token=…</code>.
      </p>
    </main>
  );
}

function Dashboard({ api, pending, onSignOut }: { api: Api; pending: PendingStore; onSignOut: (why?: string) => void }) {
  const now = useNow(15_000);
  const [tab, setTab] = useState<Tab>('attention');
  const [receipt, setReceipt] = useState<number | null>(null);
  const [closing, setClosing] = useState<string | null>(null);
  const [correctionOf, setCorrectionOf] = useState<number | undefined>(undefined);
  const [toast, setToast] = useState<{ text: string; level: 'ok' | 'bad' } | null>(null);

  const guard = <T,>(p: Promise<T>) =>
    p.catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 401) onSignOut('Токен не принят: войдите снова.');
      throw e;
    });
  // Live events (GET /v1/events) refresh what they concern at once; polling stays as the fallback,
  // slower while the stream is up.
  const live = useLive(api, () => onSignOut('Вход отозван: войдите снова.'), {
    register: () => regs.refresh(),
    receipt: () => doubtful.refresh(),
  });
  const regs = usePoll(() => guard(api.registers()).then((d) => d.registers), live ? 30_000 : 4000);
  const doubtful = usePoll(
    () => Promise.all([api.receipts({ state: 'uncertain' }), api.receipts({ state: 'failed' })]).then(([a, b]) => [...a.receipts, ...b.receipts]),
    live ? 30_000 : 8000,
  );
  // Failed e-receipt deliveries: the list route has no filter for them, so the last three days'
  // receipts with a contact are read one by one (at most 50), once a minute.
  const deliveries = usePoll(async () => {
    const from = Math.floor(Date.now() / 1000) - 3 * 86_400;
    const { receipts } = await api.receipts({ state: 'confirmed', from, sort: 'desc' });
    const withContact = receipts.filter((r) => r.receipt.buyer_contact).slice(0, 50).reverse();
    return Promise.all(withContact.map((r) => api.receipt(r.id).catch(() => r)));
  }, 60_000);

  const registers: Register[] = regs.data ?? [];
  const items = [
    ...registerAttention(registers, now),
    ...receiptAttention((doubtful.data ?? []) as ReceiptRecord[]),
    ...deliveryAttention(deliveries.data ?? []),
  ];
  const office = useMemo(
    () => ({
      api,
      pending,
      openReceipt: (id: number) => setReceipt(id),
      correctReceipt: (id: number) => {
        setReceipt(null);
        setCorrectionOf(id);
        setTab('wizards');
      },
      notify: (text: string, level: 'ok' | 'bad' = 'ok') => setToast({ text, level }),
    }),
    [api, pending],
  );
  // A message stays ten seconds (or until clicked); a newer one replaces it.
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 10_000);
    return () => clearTimeout(timer);
  }, [toast]);
  const refreshAll = () => {
    regs.refresh();
    doubtful.refresh();
    deliveries.refresh();
  };
  const unanswered = pending.list();

  return (
    <OfficeContext.Provider value={office}>
      <header class="top">
        <h1>Касса · офис</h1>
        <nav role="tablist" aria-label="Разделы">
          {TABS.map(([k, label]) => (
            <button type="button" role="tab" key={k} aria-selected={tab === k} onClick={() => setTab(k)} data-tab={k}>
              {label}
              {k === 'attention' && items.length > 0 ? ` · ${items.length}` : ''}
            </button>
          ))}
        </nav>
        <button type="button" class="quiet" onClick={() => onSignOut()}>
          Выйти
        </button>
      </header>
      {regs.error && <p class="error" role="alert">Нет связи с кассовым сервером: {regs.error}</p>}
      {toast && (
        <p class={`toast level-${toast.level}`} role="status" onClick={() => setToast(null)}>
          {toast.text}
        </p>
      )}
      <RegistersStrip registers={registers} now={now} />
      {unanswered.length > 0 && (
        <div class="warn-box" data-test="unanswered">
          <p>Сервер не ответил на эти действия. Отправьте их ещё раз: с тем же ключом второго чека не будет.</p>
          <ul>
            {unanswered.map((a) => (
              <li key={a.key}>
                {a.label} ({new Date(a.created).toLocaleString('ru-RU')}){' '}
                <button
                  type="button"
                  onClick={() =>
                    (/\/(cash-(in|out)|copy)$/.test(a.path)
                      ? api.sendOperation(a).then((r) => ({ replayed: r.replayed, receipts: [] }))
                      : api.send(a)
                    )
                      .then((r) => office.notify(`${a.label}: ${r.replayed ? 'уже было сделано' : `чеков ${r.receipts.length}`}`))
                      .catch((e: Error) => office.notify(`${a.label}: ${e.message}`, 'bad'))
                  }
                >
                  Отправить ещё раз
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <main>
        {tab === 'attention' && (
          <Attention
            items={items}
            onDone={refreshAll}
            onCloseShift={(id) => {
              setClosing(id);
              setTab('shifts');
            }}
            onShowRegisters={() => setTab('shifts')}
          />
        )}
        {tab === 'attention' && <CourierDesk />}
        {tab === 'shifts' && <Shifts registers={registers} now={now} onDone={regs.refresh} closing={closing} setClosing={setClosing} />}
        {tab === 'shifts' && <Cash registers={registers} onDone={regs.refresh} />}
        {tab === 'journal' && <Journal registers={registers} />}
        {tab === 'wizards' && <Wizards registers={registers} correctionOf={correctionOf} key={correctionOf ?? 'none'} />}
        {tab === 'people' && <People registers={registers} />}
        <section class="disabled-note muted">
          {live ? 'Состояние обновляется в реальном времени.' : 'Нет потока событий: страница опрашивает сервер раз в несколько секунд.'}
        </section>
      </main>
      {receipt !== null && <ReceiptDetail id={receipt} onClose={() => setReceipt(null)} />}
    </OfficeContext.Provider>
  );
}

function App() {
  const [token, setToken] = useState<string | null>(() => loadToken(localStorage));
  const [error, setError] = useState<string | null>(null);
  const pending = useMemo(() => new PendingStore(localStorage), []);
  const api = useMemo(() => new Api(() => token, pending), [token, pending]);
  if (!token)
    return (
      <SignIn
        error={error}
        onToken={(t) => {
          saveToken(localStorage, t);
          setError(null);
          setToken(t);
        }}
      />
    );
  return (
    <Dashboard
      api={api}
      pending={pending}
      onSignOut={(why) => {
        forgetToken(localStorage);
        setError(why ?? null);
        setToken(null);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
