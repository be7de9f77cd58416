"""The diagnostic tools under bench/ that bench/README.md's figures come from, run as a user runs
them: flush_probe.py (the disk's floor), wal_mix.py on the WAL of a SIGKILLed kassad, and
metrics_delta.py on two /metrics snapshots of a real kassad. Small loads, files under the build tree."""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Kassad, temp_dir  # noqa: E402

BENCH = os.path.join(os.environ["KASSA_SOURCE_DIR"], "bench")
PROBE_LINE = re.compile(r"^group commit of +(\d+) frames at (\d+)/s (alone|beside +(\d+) pages +(\d+)/s(?: paced (\d+)/s)?) *: "
                        r"n=(\d+) wait p50 ([\d.]+) ms, p99 ([\d.]+) ms, p99\.9 ([\d.]+) ms, max ([\d.]+) ms$")


def tool(name, *args):
    return subprocess.run([sys.executable, os.path.join(BENCH, name), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def admin(k):
    with open(os.path.join(k.data_dir, "admin-token")) as f:
        return {"Authorization": "Bearer " + f.read().strip()}


def pay(k, headers, key):
    status, body, _ = k.request("POST", "/v1/payments", {"customer": "bench-" + key, "cash": 10000},
                                {**headers, "Idempotency-Key": key})
    assert status in (200, 202), (status, body)


def metrics_text(k):
    conn = k.connection()
    try:
        conn.request("GET", "/metrics")
        res = conn.getresponse()
        text = res.read().decode()
        assert res.status == 200, (res.status, text)
        return text
    finally:
        conn.close()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FlushProbe(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir("flush-probe-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_each_run_is_reported_with_its_frames_and_the_files_are_removed(self):
        run = tool("flush_probe.py", self.dir, 0.3, 200, "0", "10@50/3", "16@20~2000")
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = [PROBE_LINE.match(line) for line in run.stdout.splitlines() if line.startswith("group commit")]
        self.assertEqual(len(lines), 3, run.stdout)
        self.assertTrue(all(lines), run.stdout)
        alone, beside, paced = lines
        self.assertEqual((alone[1], alone[2], alone[3]), ("14", "200", "alone"))
        self.assertEqual((beside[1], beside[4], beside[5], beside[6]), ("3", "10", "50", None))
        self.assertEqual((paced[1], paced[4], paced[5], paced[6]), ("14", "16", "20", "2000"))
        for m in lines:
            # 0.3 s of payments arriving 200 times a second, every one of them waited for.
            self.assertIn(int(m[7]), range(59, 62), m[0])
            p50, p99, p999, top = (float(m[i]) for i in range(8, 12))
            self.assertTrue(0 < p50 <= p99 <= p999 <= top, m[0])
        self.assertEqual(os.listdir(self.dir), [])

    def test_a_bad_run_is_refused_before_any_file_is_written(self):
        for spec in ("10@50/0", "10@0", "-1@16", "ten@16", "10@50~0", "10@50/3~x"):
            with self.subTest(spec=spec):
                run = tool("flush_probe.py", self.dir, 0.3, 200, "0", spec)
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(spec + ": expected PAGES@HZ[/FRAMES][~PPS]", run.stderr)
                self.assertNotIn("group commit", run.stdout)
                self.assertEqual(os.listdir(self.dir), [])
        run = tool("flush_probe.py", self.dir, 0.3, 0)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("RATE must be a number of payments a second above 0", run.stderr)


class WalMix(unittest.TestCase):
    def test_names_what_the_payments_wrote_in_the_wal_of_a_killed_kassad_without_touching_it(self):
        with Kassad() as k:
            headers = admin(k)
            for i in range(20):
                pay(k, headers, f"wal-mix-{i}")
            k.stop(signal.SIGKILL)
            db = os.path.join(k.data_dir, "kassa.sqlite")
            before = (digest(db), digest(db + "-wal"))
            run = tool("wal_mix.py", db)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual((digest(db), digest(db + "-wal")), before, "wal_mix.py changed the ledger's files")
        head = re.match(r"(\d+) frames of 4096 bytes, (\d+) commits: ([\d.]+) frames per commit", run.stdout)
        self.assertIsNotNone(head, run.stdout)
        frames, commits = int(head[1]), int(head[2])
        self.assertGreater(commits, 0)
        self.assertEqual(head[3], f"{frames / commits:.1f}")
        rows = dict(re.findall(r"^(\S+) +([\d.]+) +\d+$", run.stdout, re.M))
        # Every payment's own rows: its receipt, the payment, its idempotency record, its audit row.
        for written in ("receipts", "payments", "idempotency", "audit", "receipts_by_customer"):
            self.assertIn(written, rows, run.stdout)
            self.assertGreater(float(rows[written]), 0, written)

    def test_a_ledger_stopped_cleanly_is_explained(self):
        with Kassad() as k:
            k.stop()  # a clean stop checkpoints the WAL away
            run = tool("wal_mix.py", os.path.join(k.data_dir, "kassa.sqlite"))
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("kassa.sqlite-wal does not exist: a clean stop checkpoints the WAL away", run.stderr)


class MetricsDelta(unittest.TestCase):
    def test_reports_the_phase_between_two_snapshots_only(self):
        with Kassad() as k:
            headers = admin(k)
            for i in range(5):
                pay(k, headers, f"warm-{i}")  # before the phase: not counted
            paths = [os.path.join(k.dir, name) for name in ("before.txt", "after.txt")]
            with open(paths[0], "w") as f:
                f.write(metrics_text(k))
            for i in range(12):
                pay(k, headers, f"phase-{i}")
            with open(paths[1], "w") as f:
                f.write(metrics_text(k))
            run = tool("metrics_delta.py", *paths, "phase")
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = {m[1]: m for m in re.finditer(
            r"^phase: (.+?): n=(\d+), p50 ([\d.]+)(?:ms)?, p90 ([\d.]+)(?:ms)?, p99 ([\d.]+)(?:ms)?", run.stdout, re.M)}
        posts = lines.get("POST /v1/payments in kassad (request read to answer ready)")
        self.assertIsNotNone(posts, run.stdout)
        self.assertEqual(int(posts[2]), 12)
        writer = lines.get("writer transaction (SQL + fdatasync)")
        self.assertIsNotNone(writer, run.stdout)
        self.assertGreaterEqual(int(writer[2]), 12)  # each payment's, and the register's own
        for m in lines.values():
            self.assertTrue(float(m[3]) <= float(m[4]) <= float(m[5]), m[0])


if __name__ == "__main__":
    unittest.main()
