import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { followEvents, type LiveEvent } from '../api/events';

/** Follows /v1/events while mounted: calls the handler of each event's type (a burst of events
 *  calls it once, on the next frame); `onSignedOut` when the token is refused or revoked.
 *  Returns whether the stream is up. */
export function useLive(api: Api, onSignedOut: () => void, handlers: Record<string, (e: LiveEvent) => void>): boolean {
  const [live, setLive] = useState(false);
  const ref = useRef({ handlers, onSignedOut });
  ref.current = { handlers, onSignedOut };
  useEffect(() => {
    const due = new Map<string, LiveEvent>();
    let scheduled = false;
    const stop = followEvents({
      token: () => api.currentToken(),
      onLive: setLive,
      onSignedOut: () => ref.current.onSignedOut(),
      onEvent: (e) => {
        due.set(e.event, e);
        if (scheduled) return;
        scheduled = true;
        setTimeout(() => {
          scheduled = false;
          for (const [type, last] of due) ref.current.handlers[type]?.(last);
          due.clear();
        }, 100);
      },
    });
    return stop;
  }, [api]);
  return live;
}
