#!/usr/bin/env python3
"""Quantiles of kassad's ledger histograms between two /metrics snapshots of one kassad
(bench/http_bench.sh saves one before and one after each phase): where a phase's latency went.

    bench/metrics_delta.py BEFORE.txt AFTER.txt [LABEL]

Prints, for the phase between the two snapshots: the writer's transactions (BEGIN to COMMIT
returned, i.e. its SQL work and the fdatasync), the callers' wait for a durable write (submit to
commit), planning, and writes per group commit; p50/p90/p99 by linear interpolation inside the
histogram's buckets (so a quantile is as precise as its bucket), and the share above 5 ms."""
import re
import sys

SERIES = [
    ('kassa_http_request_seconds{method="POST",route="/v1/payments"}',
     "POST /v1/payments in kassad (request read to answer ready)", 1000.0, "ms"),
    ("kassa_ledger_transaction_seconds", "writer transaction (SQL + fdatasync)", 1000.0, "ms"),
    ("kassa_ledger_sync_seconds", "  of which the COMMIT (WAL write + fdatasync)", 1000.0, "ms"),
    ("kassa_ledger_commit_seconds", "caller's wait for a durable write", 1000.0, "ms"),
    ("kassa_planning_seconds", "planning inside the writer", 1000.0, "ms"),
    ('kassa_ledger_checkpoint_seconds{by="writer"}', "WAL checkpoints by the writer (stall it)", 1000.0, "ms"),
    ('kassa_ledger_checkpoint_seconds{by="thread"}', "WAL checkpoints by the checkpoint thread", 1000.0, "ms"),
    ("kassa_ledger_batch_size", "writes per group commit", 1.0, ""),
]
# name_bucket{labels...,le="x"} n: keyed by the name, with its other labels in braces if it has any.
LINE = re.compile(r'^(\w+)_bucket\{(.*?),?le="([^"]+)"\} (\S+)$')


def buckets(path):
    out = {}
    for line in open(path):
        m = LINE.match(line.strip())
        if m:
            le = float("inf") if m.group(3) == "+Inf" else float(m.group(3))
            key = m.group(1) + ("{" + m.group(2) + "}" if m.group(2) else "")
            out.setdefault(key, []).append((le, float(m.group(4))))
    return out


def quantile(bs, q, lowest=0.0):
    total = bs[-1][1]
    want = q * total
    prev_le, prev_n = lowest, 0.0
    for le, n in bs:
        if n >= want:
            if le == float("inf"):
                return prev_le
            span = n - prev_n
            return prev_le + (le - prev_le) * ((want - prev_n) / span if span else 1.0)
        prev_le, prev_n = le, n
    return prev_le


def main():
    a, b = buckets(sys.argv[1]), buckets(sys.argv[2])
    label = sys.argv[3] + ": " if len(sys.argv) > 3 else ""
    for name, what, scale, unit in SERIES:
        if name not in b:
            continue
        before = dict(a.get(name, []))
        bs = [(le, n - before.get(le, 0.0)) for le, n in sorted(b[name])]
        total = bs[-1][1]
        if total <= 0:
            continue
        over = ""
        if unit == "ms":
            at5 = next((n for le, n in bs if abs(le - 0.005) < 1e-9), None)
            if at5 is not None:
                over = f", {100 * (total - at5) / total:.1f} % over 5 ms"
        lowest = 0.0 if unit else 1.0  # at least one write per batch
        qs = ", ".join(f"p{int(q * 100)} {quantile(bs, q, lowest) * scale:.2f}{unit}" for q in (0.5, 0.9, 0.99))
        print(f"{label}{what}: n={int(total)}, {qs}{over}")


if __name__ == "__main__":
    main()
