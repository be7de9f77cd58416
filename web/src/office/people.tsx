// "Люди": couriers' (and cashiers') tokens issued by kassad. A new token is shown once, as its login
// link and the link's QR code for the courier's phone; the list never holds a token; revoking takes
// effect at once (the courier's page says it is signed out).
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { IssuedToken, Register, TokenInfo } from '../api/types';
import { useOffice } from './context';

const ROLE: Record<TokenInfo['role'], string> = { admin: 'администратор', cashier: 'кассир', courier: 'курьер' };

function svgUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function Issued({ token, onDone }: { token: IssuedToken; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section class="card issued" data-test="issued-token" aria-live="polite">
      <h3>Вход для «{token.name}»</h3>
      <p>
        Покажите QR-код на телефон курьера или отправьте ему ссылку. <b>Они показываются только сейчас</b>: Касса хранит лишь
        отпечаток токена. Потеряли — отзовите и выдайте новый.
      </p>
      {token.qr_svg && <img class="login-qr" src={svgUrl(token.qr_svg)} alt="QR-код для входа" width={240} height={240} />}
      <label>
        Ссылка для входа
        <input readOnly value={token.link} data-test="login-link" onFocus={(e) => (e.target as HTMLInputElement).select()} />
      </label>
      <div class="row">
        <button
          type="button"
          onClick={() =>
            navigator.clipboard
              ?.writeText(token.link)
              .then(() => setCopied(true))
              .catch(() => setCopied(false))
          }
        >
          {copied ? 'Скопировано' : 'Скопировать ссылку'}
        </button>
        <button type="button" class="primary" onClick={onDone}>
          Готово, скрыть
        </button>
      </div>
    </section>
  );
}

export function People({ registers }: { registers: Register[] }) {
  const { api, notify } = useOffice();
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'courier' | 'cashier'>('courier');
  const entities = [...new Set(registers.map((r) => r.entity_inn))].sort();
  const [entity, setEntity] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const ofEntity = registers.filter((r) => r.entity_inn === entity);

  const load = () =>
    api
      .tokens()
      .then((d) => {
        setTokens(d.tokens);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  useEffect(() => {
    if (!entity && entities.length > 0) setEntity(entities[0]);
  }, [entities.join(',')]);

  const issue = async () => {
    setBusy(true);
    try {
      const t = await api.issueToken({
        name: name.trim(),
        role,
        entities: entity ? [entity] : [],
        registers: chosen.filter((id) => ofEntity.some((r) => r.id === id)),
        base_url: location.origin,
      });
      setIssued(t);
      setName('');
      setChosen([]);
      void load();
    } catch (e) {
      notify(e instanceof ApiError ? `Не выдан: ${e.message}` : String(e), 'bad');
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: TokenInfo) => {
    try {
      await api.revokeToken(t.id);
      notify(`Вход «${t.name}» отозван`);
      void load();
    } catch (e) {
      notify(`Не отозван: ${(e as Error).message}`, 'bad');
    }
  };

  return (
    <section class="people" data-test="people">
      <h2>Люди</h2>
      {issued && <Issued token={issued} onDone={() => setIssued(null)} />}
      <form
        class="card"
        data-test="issue-token"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && !busy) void issue();
        }}
      >
        <h3>Выдать вход</h3>
        <label>
          Имя (как в заказах, поле «курьер»)
          <input name="name" value={name} maxLength={64} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Роль
          <select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as 'courier' | 'cashier')}>
            <option value="courier">курьер</option>
            <option value="cashier">кассир</option>
          </select>
        </label>
        <label>
          Юрлицо (ИНН)
          <select name="entity" value={entity} onChange={(e) => setEntity((e.target as HTMLSelectElement).value)}>
            {entities.map((inn) => (
              <option key={inn} value={inn}>
                {inn}
              </option>
            ))}
          </select>
        </label>
        {ofEntity.length > 0 && (
          <fieldset>
            <legend>Кассы (ни одной — все кассы юрлица)</legend>
            {ofEntity.map((r) => (
              <label key={r.id} class="check">
                <input
                  type="checkbox"
                  name="register"
                  value={r.id}
                  checked={chosen.includes(r.id)}
                  onChange={(e) =>
                    setChosen((c) => ((e.target as HTMLInputElement).checked ? [...c, r.id] : c.filter((x) => x !== r.id)))
                  }
                />
                {r.id}
              </label>
            ))}
          </fieldset>
        )}
        <button type="submit" class="primary" disabled={busy || !name.trim()}>
          Выдать и показать QR-код
        </button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <table class="table tokens" data-test="tokens">
        <thead>
          <tr>
            <th>Имя</th>
            <th>Роль</th>
            <th>Доступ</th>
            <th>Выдан</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(tokens ?? []).map((t) => (
            <tr key={t.id} data-token={t.id} data-name={t.name}>
              <td>{t.name}</td>
              <td>{ROLE[t.role]}</td>
              <td>{[...t.entities, ...t.registers].join(', ') || 'всё'}</td>
              <td>
                {new Date(t.created).toLocaleString('ru-RU')} · {t.created_by}
              </td>
              <td>
                <button type="button" class="danger" onClick={() => void revoke(t)}>
                  Отозвать
                </button>
              </td>
            </tr>
          ))}
          {tokens && tokens.length === 0 && (
            <tr>
              <td colSpan={5} class="muted">
                Выданных входов нет.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
