import { describe, expect, it } from 'vitest';
import { SseParser, followEvents } from '../../src/api/events';

describe('SseParser', () => {
  const stream = 'retry: 2000\n\nid: ab-1\nevent: receipt\ndata: {"id":7,"state":"sending"}\n\n: heartbeat\n\nevent: reset\ndata: {}\n\n';

  it('reads events with their id, type and JSON data, skipping comments and retry', () => {
    expect(new SseParser().feed(stream)).toEqual([
      { id: 'ab-1', event: 'receipt', data: { id: 7, state: 'sending' } },
      { id: undefined, event: 'reset', data: {} },
    ]);
  });

  it('takes the stream one character at a time, and two events in one chunk', () => {
    const p = new SseParser();
    const out = [...stream].flatMap((c) => p.feed(c));
    expect(out.map((e) => e.event)).toEqual(['receipt', 'reset']);
    expect(new SseParser().feed(stream + stream).length).toBe(4);
  });

  it('yields nothing for a truncated event, and CRLF lines work', () => {
    const p = new SseParser();
    expect(p.feed('id: x-2\nevent: register\ndata: {"id":"a"}\n')).toEqual([]);
    expect(p.feed('\r\n')).toEqual([{ id: 'x-2', event: 'register', data: { id: 'a' } }]);
  });
});

// A fetch whose answers are queued by the test: a stream body that the test writes into.
function fakeFetch() {
  const calls: { headers: Record<string, string> }[] = [];
  const answers: Response[] = [];
  let writer: ReadableStreamDefaultController<Uint8Array> | null = null;
  const fetchFn = async (_: string, init?: RequestInit) => {
    calls.push({ headers: { ...(init?.headers as Record<string, string>) } });
    const next = answers.shift();
    if (next) return next;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (writer = c) });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  const write = (text: string) => writer!.enqueue(new TextEncoder().encode(text));
  const end = () => writer!.close();
  return { fetchFn, calls, answers, write, end };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('followEvents', () => {
  it('sends the bearer token, hands events over and signs out on `revoked`', async () => {
    const f = fakeFetch();
    const seen: string[] = [];
    let out = 0;
    followEvents({ token: () => 'T', fetchFn: f.fetchFn, onEvent: (e) => seen.push(e.event), onSignedOut: () => ++out });
    await tick();
    expect(f.calls[0].headers.Authorization).toBe('Bearer T');
    f.write('id: b-1\nevent: receipt\ndata: {}\n\n');
    f.write('event: revoked\ndata: {}\n\n');
    for (let i = 0; i < 5; ++i) await tick();
    expect(seen).toEqual(['receipt']);
    expect(out).toBe(1);
  });

  it('signs out on 401 without retrying', async () => {
    const f = fakeFetch();
    f.answers.push(new Response('{"code":"unauthorized"}', { status: 401 }));
    let out = 0;
    followEvents({ token: () => 'T', fetchFn: f.fetchFn, onEvent: () => {}, onSignedOut: () => ++out });
    for (let i = 0; i < 5; ++i) await tick();
    expect(out).toBe(1);
    expect(f.calls.length).toBe(1);
  });
});
