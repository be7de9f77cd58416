#!/usr/bin/env python3
"""Soak (issue 18): kassad under a steady, bounded, mixed load on loopback for MINUTES, with
registers going offline and back, while its RSS and open descriptors are sampled.

Four registers (kassa-sim processes: Shtrih and ATOL for each of two entities). CLIENTS threads
each loop: a payment (new customer, own Idempotency-Key, ?wait=10: closed loop, so the load is what
the registers print, never an unbounded queue), then reads: the receipt, the customer, the
registers, /v1/health. Every OFFLINE_EVERY seconds one register (in turn) is killed with SIGKILL and
started again OFFLINE_FOR seconds later on the same port and FN file; its receipts wait or fail
over to its sibling. kassad's VmRSS and fd count are sampled every 5 s (CSV next to the data).

Reports: requests, errors (5xx, unexpected 4xx, dropped connections; a 202 while a register is
away is not one: the payment is retried under its key until confirmed), and the drift of RSS and fd
count from the end of the warm-up (the first quarter of the run, at least 5 minutes: kassad's RSS
climbs for its first minutes while SQLite's page caches and the allocator's arenas fill) to the end.
    bench/soak.sh [minutes]      (KASSA_BINARY_DIR defaults to ./build)"""

import argparse
import os
import random
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("KASSA_BINARY_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "chaos"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import ENTITY_A, ENTITY_B, Kassad, auth, temp_dir  # noqa: E402
from run import RETRYABLE, Sim, config  # noqa: E402

LAYOUT = (("a-shtrih", "shtrih", None, ENTITY_A), ("a-atol", "atol", "v3", ENTITY_A),
          ("b-shtrih", "shtrih", None, ENTITY_B), ("b-atol", "atol", "v2", ENTITY_B))


def proc_figures(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("minutes", type=float, nargs="?", default=10)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--offline-every", type=float, default=60)
    p.add_argument("--offline-for", type=float, default=15)
    args = p.parse_args()
    duration = args.minutes * 60
    root = temp_dir("soak-")
    sims = [Sim(root, rid, fam, link, inn, f"99990789000020{i + 1:02d}", 0, 0) for i, (rid, fam, link, inn)
            in enumerate(LAYOUT)]
    k = Kassad(config_text=config(sims) + '\n[log]\nlevel = "warn"\n', data_dir=os.path.join(root, "var"))
    stop = threading.Event()
    lock = threading.Lock()
    counts = {"requests": 0, "payments": 0, "retried_202": 0, "errors": 0}
    errors = []
    samples = []  # (seconds, rss KB, fds)
    outages = [0]

    def error(what):
        with lock:
            counts["errors"] += 1
            if len(errors) < 20:
                errors.append(what)

    def call(method, path, body=None, headers=None, ok=(200,)):
        with lock:
            counts["requests"] += 1
        try:
            status, answer, _ = k.request(method, path, body=body, headers=headers or auth("cashier"), timeout=60)
        except RETRYABLE as e:
            error(f"{method} {path}: {e!r}")
            return None, None
        if status not in ok:
            error(f"{method} {path}: {status} {answer}")
        return status, answer

    def client(index):
        rng = random.Random(index)
        n = 0
        while not stop.is_set():
            n += 1
            customer = f"soak-{index}-{n}"
            entity = ENTITY_A if n % 2 else ENTITY_B
            body = {"customer": customer, "cash": rng.randint(100, 100_000), "entity_inn": entity}
            headers = {**auth("cashier"), "Idempotency-Key": "soak-" + customer}
            while not stop.is_set():
                status, answer = call("POST", "/v1/payments?wait=10", body, headers, ok=(200, 202))
                if status == 202:  # its register is away: the same key again, until confirmed
                    with lock:
                        counts["retried_202"] += 1
                    continue
                break
            if status != 200:
                continue
            with lock:
                counts["payments"] += 1
            rid = answer["receipts"][0]["id"]
            call("GET", f"/v1/receipts/{rid}")
            call("GET", f"/v1/customers/{customer}")
            call("GET", "/v1/registers")
            call("GET", "/v1/health", headers={})

    def outages_loop():
        turn = 0
        while not stop.wait(args.offline_every):
            s = sims[turn % len(sims)]
            turn += 1
            port = int(s.address.rsplit(":", 1)[1])
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(30)
            if stop.wait(args.offline_for):
                return
            i = sims.index(s)
            rid, fam, link, inn = LAYOUT[i]
            sims[i] = Sim(root, rid, fam, link, inn, f"99990789000020{i + 1:02d}", 0, 0, port=port)
            outages[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    threads.append(threading.Thread(target=outages_loop, daemon=True))
    for t in threads:
        t.start()
    csv_path = os.path.join(root, "samples.csv")
    with open(csv_path, "w", encoding="ascii") as csv:
        csv.write("seconds,rss_kb,fds,requests,errors\n")
        while True:
            elapsed = time.monotonic() - started
            rss, fds = proc_figures(k.proc.pid)
            samples.append((elapsed, rss, fds))
            csv.write(f"{elapsed:.0f},{rss},{fds},{counts['requests']},{counts['errors']}\n")
            csv.flush()
            if elapsed >= duration or k.proc.poll() is not None:
                break
            stop.wait(min(5, duration - elapsed))
    stop.set()
    for t in threads:
        t.join(90)
    code = k.stop()
    for s in sims:
        s.stop()

    warm = min(max(300.0, duration * 0.25), duration / 2)
    after = [s for s in samples if s[0] >= warm] or samples
    base_rss, end_rss = after[0][1], after[-1][1]
    # The least-squares slope of RSS after the warm-up, per hour: a leak shows as a steady climb.
    n = len(after)
    mean_t = sum(s[0] for s in after) / n
    mean_r = sum(s[1] for s in after) / n
    var = sum((s[0] - mean_t) ** 2 for s in after) or 1
    slope = sum((s[0] - mean_t) * (s[1] - mean_r) for s in after) / var * 3600
    fds = [s[2] for s in after]
    print(f"soak: {args.minutes:g} min, {args.clients} clients, {outages[0]} register outages "
          f"({args.offline_for:g} s each, every {args.offline_every:g} s)")
    print(f"soak: {counts['requests']} requests, {counts['payments']} payments confirmed, "
          f"{counts['retried_202']} payment retries after 202, errors {counts['errors']}")
    for e in errors:
        print("  error:", e)
    print(f"soak: RSS {base_rss / 1024:.1f} MiB after warm-up ({warm:.0f} s) → {end_rss / 1024:.1f} MiB at the end: "
          f"drift {100.0 * (end_rss - base_rss) / base_rss:+.1f} %, slope {slope / 1024:+.1f} MiB/h; "
          f"max {max(s[1] for s in samples) / 1024:.1f} MiB")
    print(f"soak: fds {fds[0]} after warm-up → {fds[-1]} at the end (min {min(fds)}, max {max(fds)})")
    print(f"soak: kassad exit {code} on SIGTERM; samples in {csv_path}")
    return 0 if counts["errors"] == 0 and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
