// Idempotency keys for actions that can make a receipt. The key is made and stored (localStorage)
// BEFORE the request goes out, with the request itself: if the answer is lost (network, reload,
// closed tab) the retry sends the same key and body, and kassad answers with the first result
// instead of printing a second receipt. A stored action is forgotten only once kassad answered.

export interface PendingAction {
  key: string;
  method: 'POST';
  path: string;
  body: unknown;
  label: string; // for people: "Возврат по заказу 123"
  created: string; // ISO time on this device
}

export interface KeyStorage {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
  readonly length: number;
  key(i: number): string | null;
}

const PREFIX = 'kassa.pending.';

/** 128 random bits as hex. crypto.getRandomValues works on plain http:// LAN addresses too
 *  (randomUUID needs a secure context). */
export function newKey(prefix = 'web'): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The same request (path and body, whatever the property order) gives the same fingerprint. */
export function fingerprint(path: string, body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `${path} ${JSON.stringify(canon(body))}`;
}

export class PendingStore {
  /** `prefix` keeps each page's actions apart (the office's and the courier's share an origin). */
  constructor(
    private readonly storage: KeyStorage,
    private readonly clock: () => Date = () => new Date(),
    private readonly prefix = PREFIX,
  ) {}

  /** The stored action for exactly this request, or a new one with a fresh key, stored before
   *  it is returned (so it survives a crash of the tab between here and the answer). */
  prepare(path: string, body: unknown, label: string): PendingAction {
    const id = this.prefix + fingerprint(path, body);
    const stored = this.storage.getItem(id);
    if (stored) return JSON.parse(stored) as PendingAction;
    const action: PendingAction = {
      key: newKey(),
      method: 'POST',
      path,
      body,
      label,
      created: this.clock().toISOString(),
    };
    this.storage.setItem(id, JSON.stringify(action));
    return action;
  }

  /** kassad answered (success or a refusal): the action is settled and its key is not needed. */
  settle(action: PendingAction): void {
    this.storage.removeItem(this.prefix + fingerprint(action.path, action.body));
  }

  /** Actions sent without an answer: shown with a "Повторить" button (same key). */
  list(): PendingAction[] {
    const out: PendingAction[] = [];
    for (let i = 0; i < this.storage.length; ++i) {
      const k = this.storage.key(i);
      if (k?.startsWith(this.prefix)) out.push(JSON.parse(this.storage.getItem(k)!) as PendingAction);
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }
}
