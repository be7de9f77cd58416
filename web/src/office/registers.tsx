import { fnDaysLeft, ofdView, shiftView, stateLevel, STATE_WORDS } from './logic';
import type { Register } from '../api/types';

export function RegistersStrip({ registers, now }: { registers: Register[]; now: Date }) {
  if (registers.length === 0) return <p class="muted">Касс нет.</p>;
  return (
    <ul class="strip" aria-label="Кассы">
      {registers.map((r) => {
        const shift = shiftView(r, now);
        const ofd = ofdView(r, now);
        const fn = fnDaysLeft(r, now);
        const d = r.device;
        return (
          <li class={`card level-${stateLevel(r)}`} data-register={r.id} key={r.id}>
            <div class="card-head">
              <strong>{r.id}</strong>
              <span class={`badge level-${stateLevel(r)}`}>{STATE_WORDS[r.state]}</span>
            </div>
            <dl class="facts">
              <dt>Юрлицо (ИНН)</dt>
              <dd>{r.entity_inn}</dd>
              <dt>Смена</dt>
              <dd class={`level-${shift.level}`} data-fact="shift">
                {shift.text}
              </dd>
              <dt>ФН</dt>
              <dd class={`level-${fn === null ? 'warn' : fn < 3 ? 'bad' : fn < 30 ? 'warn' : 'ok'}`}>
                {fn === null ? 'срок неизвестен' : fn < 0 ? 'срок истёк' : `ещё ${fn} дн`}
              </dd>
              <dt>ОФД</dt>
              <dd class={`level-${ofd.level}`}>{ofd.text}</dd>
              <dt>Бумага</dt>
              <dd class={`level-${d ? (d.paper_ok ? 'ok' : 'bad') : 'warn'}`}>
                {d ? (d.paper_ok ? 'есть' : 'нет бумаги') : '—'}
              </dd>
              <dt>Очередь</dt>
              <dd>{r.queue_depth}</dd>
              <dt>Последний ФД</dt>
              <dd data-fact="last-fd">{d ? d.last_fd_number : '—'}</dd>
            </dl>
            {r.detail && <p class="detail">{r.detail}</p>}
            {r.warnings.length > 0 && (
              <ul class="warnings">
                {r.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}
