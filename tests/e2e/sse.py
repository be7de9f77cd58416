"""A small server-sent events client for the end-to-end tests: reads GET /v1/events on a thread
into a queue, so a test awaits the next event (with a bound) instead of sleeping."""

import http.client
import json
import queue
import threading

END = object()  # put on the queue when the stream ends


class EventStream:
    def __init__(self, k, token, last_event_id=None, timeout=60):
        self.conn = http.client.HTTPConnection(k.host, k.port, timeout=timeout)
        headers = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", "/v1/events", headers=headers)
        self.res = self.conn.getresponse()
        self.status = self.res.status
        self.events = queue.Queue()
        self.comments = 0
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = json.loads(self.res.read() or b"null")

    def _read(self):
        event = {}
        try:
            while True:
                line = self.res.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\n")
                if not line:
                    if "event" in event or "data" in event:
                        if "data" in event:
                            event["json"] = json.loads(event["data"])
                        self.events.put(event)
                    event = {}
                elif line.startswith(":"):
                    self.comments += 1
                else:
                    name, _, value = line.partition(":")
                    event[name] = value[1:] if value.startswith(" ") else value
        except (OSError, http.client.HTTPException, ValueError):
            pass
        self.events.put(END)

    def next(self, timeout=60):
        """The next event, or END once the stream has ended; raises queue.Empty after `timeout`."""
        return self.events.get(timeout=timeout)

    def until(self, predicate, timeout=60):
        """Events up to and including the first one `predicate` accepts (AssertionError at the end)."""
        seen = []
        while True:
            e = self.next(timeout)
            if e is END:
                raise AssertionError(f"the stream ended before the awaited event; saw {seen}")
            seen.append(e)
            if predicate(e):
                return seen

    def close(self):
        self.conn.close()
