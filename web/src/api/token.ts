// Sign-in: the bearer token is pasted once or arrives in the link /office/#token=… (the fragment
// never reaches a server or a log); it is kept in localStorage until "Выйти".

const TOKEN_KEY = 'kassa.token';
/** The courier page keeps its own token: an office PC or a phone used for both never mixes them. */
export const COURIER_TOKEN_KEY = 'kassa.courier.token';

/** Reads "#token=…" from a location hash; returns the token and the hash without it. */
export function tokenFromHash(hash: string): { token: string | null; rest: string } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  params.delete('token');
  const rest = params.toString();
  return { token: token && token.trim() ? token.trim() : null, rest: rest ? `#${rest}` : '' };
}

export function loadToken(storage: Pick<Storage, 'getItem'>, key = TOKEN_KEY): string | null {
  return storage.getItem(key);
}

export function saveToken(storage: Pick<Storage, 'setItem'>, token: string, key = TOKEN_KEY): void {
  storage.setItem(key, token.trim());
}

export function forgetToken(storage: Pick<Storage, 'removeItem'>): void {
  storage.removeItem(TOKEN_KEY);
}
