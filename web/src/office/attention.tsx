import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { AttentionItem } from './logic';
import { useOffice } from './context';

export function Attention({
  items,
  onDone,
  onCloseShift,
  onShowRegisters,
}: {
  items: AttentionItem[];
  onDone: () => void;
  onCloseShift: (register: string) => void;
  onShowRegisters: () => void;
}) {
  const { api, openReceipt, notify } = useOffice();
  const [busy, setBusy] = useState<string | null>(null);

  const act = async (item: AttentionItem) => {
    const a = item.action;
    if (a.kind === 'open_receipt') return openReceipt(a.receipt);
    if (a.kind === 'close_shift') return onCloseShift(a.register);
    if (a.kind === 'show_registers') return onShowRegisters();
    setBusy(item.id);
    try {
      if (a.kind === 'resume') {
        await api.resume(a.register);
        notify(`Касса ${a.register}: продолжает работу`);
      } else {
        await api.resend(a.receipt);
        notify(`Чек № ${a.receipt}: отправка поставлена в очередь`);
      }
      onDone();
    } catch (e) {
      const err = e as ApiError;
      notify(
        err.code === 'device_needs_operator'
          ? `Касса ${a.kind === 'resume' ? a.register : ''} всё ещё ждёт оператора (${err.message}). Заправьте бумагу или закройте крышку и нажмите «Продолжить» снова.`
          : err.message,
        'bad',
      );
    } finally {
      setBusy(null);
    }
  };

  if (items.length === 0) return <p class="muted" data-test="attention-empty">Всё в порядке: ничего не требует внимания.</p>;
  return (
    <ul class="attention" aria-label="Требует внимания">
      {items.map((item) => (
        <li key={item.id} class="attention-item" data-attention={item.id}>
          <div>
            <strong>{item.title}</strong>
            <p>{item.words}</p>
          </div>
          <button type="button" class="primary" disabled={busy === item.id} onClick={() => void act(item)}>
            {busy === item.id ? '…' : item.actionLabel}
          </button>
        </li>
      ))}
    </ul>
  );
}
