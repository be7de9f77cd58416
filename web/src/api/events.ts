// Live events from kassad (GET /v1/events, server-sent events) for both pages. EventSource cannot
// send the bearer token, so the stream is read with fetch(); it reconnects with Last-Event-ID (kassad
// replays what was missed from its in-memory ring, or says `reset`), and stops for good when the
// token is refused (401) or revoked.

import type { Fetch } from './client';

export interface LiveEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** Splits a text/event-stream into events; feed() takes any chunk, returns the complete events. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  feed(chunk: string): LiveEvent[] {
    this.buffer += chunk;
    const out: LiveEvent[] = [];
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') {
        if (this.data.length > 0 || this.event) {
          const text = this.data.join('\n');
          let data: unknown = text;
          try {
            data = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON: kept as text */
          }
          out.push({ id: this.id, event: this.event || 'message', data });
        }
        this.event = '';
        this.data = [];
        this.id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue; // a heartbeat comment
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (name === 'event') this.event = value;
      else if (name === 'data') this.data.push(value);
      else if (name === 'id') this.id = value;
    }
    return out;
  }
}

export interface FollowOptions {
  token: () => string | null;
  onEvent: (e: LiveEvent) => void;
  /** The token was refused or revoked: the page signs out. */
  onSignedOut: () => void;
  /** Whether the stream is connected (the pages fall back to polling while it is not). */
  onLive?: (live: boolean) => void;
  fetchFn?: Fetch;
  base?: string;
}

/** Follows /v1/events until the returned stop() is called or the token is refused. */
export function followEvents(opts: FollowOptions): () => void {
  const fetchFn = opts.fetchFn ?? ((i, init) => fetch(i, init));
  let stopped = false;
  let lastId: string | undefined;
  let controller: AbortController | null = null;
  let retry = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const again = () => {
    if (stopped) return;
    opts.onLive?.(false);
    timer = setTimeout(() => void connect(), retry);
    retry = Math.min(retry * 2, 30_000);
  };
  const signedOut = () => {
    stopped = true;
    opts.onLive?.(false);
    opts.onSignedOut();
  };

  async function connect() {
    const token = opts.token();
    if (!token || stopped) return;
    controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
    if (lastId) headers['Last-Event-ID'] = lastId;
    let res: Response;
    try {
      res = await fetchFn(`${opts.base ?? ''}/v1/events`, { headers, signal: controller.signal, cache: 'no-store' });
    } catch {
      return again();
    }
    if (res.status === 401) return signedOut();
    if (!res.ok || !res.body) return again();
    retry = 1000;
    opts.onLive?.(true);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const e of parser.feed(decoder.decode(value, { stream: true }))) {
          if (e.id) lastId = e.id;
          if (e.event === 'revoked') return signedOut();
          opts.onEvent(e);
        }
      }
    } catch {
      /* the connection broke: reconnect below */
    }
    again();
  }

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}
