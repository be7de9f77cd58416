// Cash in / out (внесение / выемка) of a register's drawer, in the shifts area. The key is made and
// stored before the request leaves (PendingStore): a retry after a lost answer never moves the
// drawer twice. Cash in / out are not fiscal documents; the register prints its own slip.
import { useState } from 'preact/hooks';
import type { Register } from '../api/types';
import { formatRub, parseRub } from '../api/money';
import { useOffice } from './context';

const REFUSALS: Record<string, string> = {
  insufficient_cash: 'в денежном ящике нет такой суммы',
  operation_uncertain: 'связь с кассой прервалась: сверьте ленту и ящик, не повторяйте вручную',
};

export function Cash({ registers, onDone }: { registers: Register[]; onDone: () => void }) {
  const { api, notify } = useOffice();
  const [register, setRegister] = useState<string>('');
  const [direction, setDirection] = useState<'in' | 'out'>('in');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const chosen = register || registers[0]?.id || '';
  const kopecks = parseRub(amount);
  const ready = chosen !== '' && kopecks !== null && kopecks > 0 && reason.trim() !== '' && !busy;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!ready || kopecks === null) return;
    setBusy(true);
    const words = direction === 'in' ? 'Внесение' : 'Выемка';
    try {
      const op = await api.sendOperation(api.cash(chosen, direction, { amount: kopecks, reason: reason.trim() }));
      notify(
        `Касса ${chosen}: ${words.toLowerCase()} ${formatRub(kopecks)}` +
          (op.replayed ? ' (уже было сделано, повторно не печаталось)' : '') +
          (op.document_number ? `, документ № ${op.document_number}` : ''),
      );
      setAmount('');
      setReason('');
      onDone();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const failed = direction === 'in' ? 'внесение не выполнено' : 'выемка не выполнена';
      notify(`Касса ${chosen}: ${failed}: ${REFUSALS[code] ?? (err as Error).message}`, 'bad');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" aria-label="Внесение и выемка наличных" data-test="cash-form" onSubmit={(e) => void submit(e)}>
      <h2>Внесение и выемка наличных</h2>
      <label>
        Касса{' '}
        <select value={chosen} onChange={(e) => setRegister((e.target as HTMLSelectElement).value)} name="register">
          {registers.map((r) => (
            <option key={r.id} value={r.id}>
              {r.id} (ИНН {r.entity_inn})
            </option>
          ))}
        </select>
      </label>
      <fieldset class="methods">
        <legend>Операция</legend>
        <label>
          <input type="radio" name="direction" checked={direction === 'in'} onChange={() => setDirection('in')} />{' '}
          Внесение
        </label>{' '}
        <label>
          <input type="radio" name="direction" checked={direction === 'out'} onChange={() => setDirection('out')} />{' '}
          Выемка
        </label>
      </fieldset>
      <label>
        Сумма, ₽{' '}
        <input
          name="amount"
          inputMode="decimal"
          value={amount}
          onInput={(e) => setAmount((e.target as HTMLInputElement).value)}
          aria-invalid={amount !== '' && kopecks === null}
        />
      </label>
      <label>
        Основание{' '}
        <input
          name="reason"
          value={reason}
          maxLength={256}
          placeholder="Размен на начало дня, инкассация…"
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="primary" disabled={!ready}>
        {direction === 'in' ? 'Внести' : 'Изъять'}
      </button>
    </form>
  );
}
