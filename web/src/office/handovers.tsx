// Couriers at the office (issues #14, #15): cash handovers waiting for a cashier's confirmation, and
// late settlements printed as they were and listed for the office. Each has one button.
import { useState } from 'preact/hooks';
import { formatRub } from '../api/money';
import { useOffice } from './context';
import { usePoll } from './hooks';

export function CourierDesk() {
  const { api, notify, openReceipt } = useOffice();
  const handovers = usePoll(() => api.handovers('pending').then((d) => d.handovers), 10_000);
  const late = usePoll(() => api.lateSettlements().then((d) => d.receipts), 30_000);
  const [busy, setBusy] = useState<string | null>(null);

  const run = async (id: string, work: () => Promise<string>, after: () => void) => {
    setBusy(id);
    try {
      notify(await work());
      after();
    } catch (e) {
      notify((e as Error).message, 'bad');
    } finally {
      setBusy(null);
    }
  };

  const pending = handovers.data ?? [];
  const listed = late.data ?? [];
  if (pending.length === 0 && listed.length === 0) return null;
  return (
    <section class="courier-desk" aria-label="Курьеры">
      {pending.length > 0 && <h2>Сдача наличных курьерами</h2>}
      <ul class="attention" data-test="handovers">
        {pending.map((h) => (
          <li key={h.id} class="attention-item" data-handover={h.id}>
            <div>
              <strong>
                {h.courier}: {formatRub(h.amount)}
              </strong>
              <p>
                ИНН {h.entity_inn}, заявлено {new Date(h.declared).toLocaleString('ru-RU')}. Пересчитайте наличные и подтвердите.
              </p>
            </div>
            <button
              type="button"
              class="primary"
              disabled={busy === `h${h.id}`}
              onClick={() =>
                void run(
                  `h${h.id}`,
                  () => api.confirmHandover(h.id).then((d) => `Принято от ${d.courier}: ${formatRub(d.amount)}`),
                  handovers.refresh,
                )
              }
            >
              Принято
            </button>
          </li>
        ))}
      </ul>
      {listed.length > 0 && <h2>Расчёты, пробитые с опозданием</h2>}
      <ul class="attention" data-test="late">
        {listed.map((r) => (
          <li key={r.id} class="attention-item" data-late={r.id}>
            <div>
              <strong>
                Чек № {r.id}: {formatRub(r.receipt.total)}
              </strong>
              <p>
                Расчёт был {r.settled_at ? new Date(r.settled_at).toLocaleString('ru-RU') : '—'}, чек пробит{' '}
                {r.fiscal ? new Date(r.fiscal.time).toLocaleString('ru-RU') : 'позже'}. Решите с бухгалтером, нужен ли чек коррекции; не
                пробивайте чек повторно.
              </p>
            </div>
            <button type="button" onClick={() => openReceipt(r.id)}>
              Открыть
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy === `l${r.id}`}
              onClick={() => void run(`l${r.id}`, () => api.confirmLate(r.id).then(() => `Чек № ${r.id}: отмечен`), late.refresh)}
            >
              Просмотрено
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
