import { useState } from 'preact/hooks';
import type { Register } from '../api/types';
import { useOffice } from './context';
import { closeShiftChecks, shiftView } from './logic';

export function Shifts({ registers, now, onDone, closing, setClosing }: {
  registers: Register[];
  now: Date;
  onDone: () => void;
  closing: string | null;
  setClosing: (id: string | null) => void;
}) {
  const { api, notify } = useOffice();
  const [busy, setBusy] = useState<string | null>(null);
  const [checks, setChecks] = useState<string[] | null>(null);

  const run = async (id: string, what: 'open' | 'x' | 'close') => {
    setBusy(`${id}-${what}`);
    try {
      if (what === 'open') await api.openShift(id);
      else if (what === 'x') await api.xReport(id);
      else await api.closeShift(id);
      notify(
        what === 'open'
          ? `Касса ${id}: смена открыта`
          : what === 'x'
            ? `Касса ${id}: X-отчёт напечатан`
            : `Касса ${id}: смена закрыта, отчёт Z напечатан`,
      );
      setClosing(null);
      setChecks(null);
      onDone();
    } catch (e) {
      notify(`Касса ${id}: ${(e as Error).message}`, 'bad');
    } finally {
      setBusy(null);
    }
  };

  // Pre-checks before Z: receipts still in flight on this register, OFD backlog.
  const askClose = async (r: Register) => {
    setClosing(r.id);
    setChecks(null);
    try {
      const lists = await Promise.all(
        (['planned', 'sending', 'uncertain'] as const).map((state) => api.receipts({ state, register: r.id })),
      );
      setChecks(closeShiftChecks(r, lists.reduce((n, l) => n + l.receipts.length, 0)));
    } catch (e) {
      setChecks([`Не удалось проверить чеки в работе: ${(e as Error).message}`]);
    }
  };

  return (
    <table class="table" aria-label="Смены">
      <thead>
        <tr>
          <th>Касса</th>
          <th>Смена</th>
          <th>Действия</th>
        </tr>
      </thead>
      <tbody>
        {registers.map((r) => {
          const open = r.device?.shift_open ?? false;
          return (
            <tr key={r.id} data-shift-row={r.id}>
              <td>
                {r.id} <span class="muted">ИНН {r.entity_inn}</span>
              </td>
              <td>{shiftView(r, now).text}</td>
              <td class="actions">
                <button type="button" disabled={open || busy !== null} onClick={() => void run(r.id, 'open')}>
                  Открыть смену
                </button>
                <button type="button" disabled={!open || busy !== null} onClick={() => void run(r.id, 'x')}>
                  X-отчёт
                </button>
                <button type="button" disabled={!open || busy !== null} onClick={() => void askClose(r)}>
                  Закрыть смену (Z)
                </button>
                {closing === r.id && (
                  <div class="confirm" role="dialog" aria-label={`Закрытие смены на кассе ${r.id}`}>
                    {checks === null ? (
                      <p>Проверяю чеки в работе…</p>
                    ) : checks.length === 0 ? (
                      <p>Чеков в работе нет, всё передано в ОФД.</p>
                    ) : (
                      <ul>
                        {checks.map((c) => (
                          <li key={c}>{c}</li>
                        ))}
                      </ul>
                    )}
                    <button
                      type="button"
                      class="primary"
                      autoFocus
                      disabled={checks === null || busy !== null}
                      onClick={() => void run(r.id, 'close')}
                    >
                      Закрыть смену
                    </button>
                    <button type="button" onClick={() => setClosing(null)}>
                      Отмена
                    </button>
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
