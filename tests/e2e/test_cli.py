"""The `kassa` CLI (tools/kassa/kassa) against a running kassad with a simulated register: every
command, --json, --help, and the exit codes scripts rely on (0 ok, 1 refused, 2 usage, 3 unreachable)."""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Kassad  # noqa: E402
from test_tokens import decode_text_qr  # noqa: E402

CLI = os.path.join(os.environ.get("KASSA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                   "tools", "kassa", "kassa")


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kassad()
        cls.url = f"http://{cls.k.host}:{cls.k.port}"
        cls.token_file = os.path.join(cls.k.data_dir, "admin-token")
        with open(cls.token_file) as f:
            cls.token = f.read().strip()

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def kassa(self, *args, env=None, token=True):
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
        environment["KASSA_URL"] = self.url
        if token:
            environment["KASSA_TOKEN"] = self.token
        environment.update(env or {})
        p = subprocess.run([sys.executable, CLI, *args], capture_output=True, text=True, env=environment, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def json_of(self, *args, **kw):
        rc, out, err = self.kassa("--json", *args, **kw)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def print_receipt(self, key):
        status, order, _ = self.k.request("PUT", f"/v1/orders/{key}", {"customer": "C-" + key, "lines": [
            {"sku": "A", "name": "Товар", "qty": "1", "price": 12345, "vat": "vat22"}]},
            headers={"Authorization": "Bearer " + self.token})
        self.assertIn(status, (200, 201), order)
        status, paid, _ = self.k.request("POST", "/v1/payments?wait=30", {
            "customer": "C-" + key, "cash": 12345, "allocate": [{"order": key, "amount": 12345}]},
            headers={"Authorization": "Bearer " + self.token, "Idempotency-Key": key})
        self.assertEqual(status, 200, paid)
        return paid["receipts"][0]["id"]

    def test_registers_status_human_and_json(self):
        rc, out, err = self.kassa("registers")
        self.assertEqual(rc, 0, err)
        self.assertIn("sim-1", out)
        answer = self.json_of("registers", "sim-1")
        self.assertEqual(answer["id"], "sim-1")
        self.assertIn(answer["state"], ("idle", "busy", "connecting"))

    def test_shift_open_x_report_close_and_resume(self):
        # Another test may have printed a receipt (which opens a shift): start from a closed shift.
        rc, out, err = self.kassa("shift", "close", "sim-1")
        self.assertIn(rc, (0, 1), err)
        rc, out, err = self.kassa("shift", "open", "sim-1")
        self.assertEqual(rc, 0, err)
        self.assertIn("shift opened", out)
        # The register refuses a second open: the CLI passes the refusal on with 1 and kassad's code.
        rc, out, err = self.kassa("shift", "open", "sim-1")
        self.assertEqual(rc, 1)
        self.assertIn("device_rejected", err)
        rc, out, err = self.kassa("x-report", "sim-1")
        self.assertEqual(rc, 0, err)
        self.assertIn("X report", out)
        rc, out, err = self.kassa("--json", "shift", "close", "sim-1")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), {"status": "done"})
        rc, out, err = self.kassa("shift", "close", "sim-1")  # nothing left to close
        self.assertEqual(rc, 1)
        rc, out, err = self.kassa("resume", "sim-1")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.kassa("x-report", "no-such-register")
        self.assertEqual(rc, 1)
        self.assertIn("not_found", err)

    def test_receipts_list_show_and_resend(self):
        rid = self.print_receipt("cli-1")
        listed = self.json_of("receipts", "list", "--state", "confirmed", "--register", "sim-1")
        self.assertIn(rid, [r["id"] for r in listed["receipts"]])
        rc, out, err = self.kassa("receipts", "list", "--limit", "1")
        self.assertEqual(rc, 0, err)
        self.assertIn("123.45", out)
        shown = self.json_of("receipts", "show", str(rid))
        self.assertEqual(shown["id"], rid)
        self.assertEqual(shown["state"], "confirmed")
        self.assertIn("fd_number", shown["fiscal"])
        # The receipt has no buyer contact: kassad refuses to resend, and the CLI says so with 1.
        rc, out, err = self.kassa("--json", "resend", str(rid))
        self.assertEqual(rc, 1, out + err)
        self.assertTrue(json.loads(out)["code"])
        rc, out, err = self.kassa("receipts", "show", "999999")
        self.assertEqual(rc, 1)
        self.assertIn("not_found", err)

    def drawer(self):
        with open(os.path.join(self.k.data_dir, "sim-sim-1.fn"), encoding="utf-8") as f:
            return json.load(f)["cash_in_drawer"]

    def test_cash_in_and_out_and_a_copy(self):
        before = self.drawer()
        rc, out, err = self.kassa("cash", "in", "sim-1", "1500.50", "--reason", "Размен", "--key", "cli-cash-1")
        self.assertEqual(rc, 0, err)
        self.assertIn("1500.50", out)
        self.assertEqual(self.drawer(), before + 150050)
        # The same --key again: kassad answers the first result, the drawer does not move twice.
        answer = self.json_of("cash", "in", "sim-1", "1500.50", "--reason", "Размен", "--key", "cli-cash-1")
        self.assertEqual((answer["state"], answer["replayed"], answer["amount"]), ("done", True, 150050))
        self.assertEqual(self.drawer(), before + 150050)
        answer = self.json_of("cash", "out", "sim-1", "500", "--reason", "Инкассация")
        self.assertEqual((answer["kind"], answer["amount"]), ("cash_out", 50000))
        self.assertEqual(self.drawer(), before + 100050)
        # More than the drawer holds: refused by the register, 1 with kassad's code.
        rc, out, err = self.kassa("cash", "out", "sim-1", "99999999", "--reason", "Инкассация")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("insufficient_cash", err)
        # Usage: a sum that is not rubles, no reason.
        for args in (["cash", "in", "sim-1", "12.345", "--reason", "x"], ["cash", "in", "sim-1", "-5", "--reason", "x"],
                     ["cash", "in", "sim-1", "10"], ["cash", "sideways", "sim-1", "10", "--reason", "x"]):
            rc, _, err = self.kassa(*args)
            self.assertEqual(rc, 2, (args, err))

        rid = self.print_receipt("cli-copy")
        rc, out, err = self.kassa("copy", str(rid))
        self.assertEqual(rc, 0, err)
        self.assertIn("copy printed", out)
        rc, out, err = self.kassa("copy", "999999")
        self.assertEqual(rc, 1)
        self.assertIn("not_found", err)

    def test_backup_is_a_readable_copy_of_the_ledger(self):
        rid = self.print_receipt("cli-backup")
        answer = self.json_of("backup")
        path = answer["path"]
        self.assertTrue(path.startswith(os.path.join(self.k.data_dir, "backups") + os.sep), path)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(path), answer["bytes"])
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            states = dict(db.execute("SELECT id, state FROM receipts").fetchall())
        finally:
            db.close()
        self.assertEqual(states[rid], "confirmed")

    def test_token_from_a_file_and_a_wrong_token(self):
        rc, out, err = self.kassa("--token-file", self.token_file, "registers", token=False)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.kassa("registers", token=False, env={"KASSA_TOKEN_FILE": self.token_file})
        self.assertEqual(rc, 0, err)
        rc, out, err = self.kassa("registers", env={"KASSA_TOKEN": "not-a-token"})
        self.assertEqual(rc, 1)
        self.assertIn("unauthorized", err)
        rc, out, err = self.kassa("--token-file", "/nonexistent/token", "registers", token=False)
        self.assertEqual(rc, 2)

    def test_usage_errors_and_help(self):
        for args in ([], ["frobnicate"], ["shift"], ["shift", "open"], ["receipts", "list", "--state", "lost"]):
            rc, _, err = self.kassa(*args)
            self.assertEqual(rc, 2, (args, err))
        for args in (["--help"], ["registers", "--help"], ["shift", "--help"], ["shift", "open", "--help"],
                     ["x-report", "--help"], ["resume", "--help"], ["receipts", "--help"],
                     ["receipts", "list", "--help"], ["receipts", "show", "--help"], ["resend", "--help"],
                     ["backup", "--help"], ["discover", "--help"], ["cash", "--help"], ["copy", "--help"]):
            rc, out, err = self.kassa(*args)
            self.assertEqual(rc, 0, (args, err))
            self.assertIn("usage: kassa", out)

    def test_tokens_create_list_revoke(self):
        rc, out, err = self.kassa("tokens", "create", "Курьер Орлов", "--register", "sim-1")
        self.assertEqual(rc, 0, err)
        secret = re.search(r"^([0-9a-f]{64})$", out, re.M).group(1)
        link = f"{self.url}/courier/#token={secret}"
        self.assertIn(link, out)
        # The terminal QR code is the login link.
        qr = "\n".join(line for line in out.splitlines() if line and set(line) <= set(" █▀▄"))
        self.assertEqual(decode_text_qr(qr), link)

        listed = self.json_of("tokens", "list")["tokens"]
        mine = [t for t in listed if t["name"] == "Курьер Орлов"]
        self.assertEqual(len(mine), 1)
        self.assertEqual((mine[0]["role"], mine[0]["registers"]), ("courier", ["sim-1"]))
        rc, out, err = self.kassa("tokens", "list")
        self.assertEqual(rc, 0, err)
        self.assertIn("Курьер Орлов", out)
        self.assertNotIn(secret, out)

        # The courier's token works, then is revoked.
        status, _, _ = self.k.request("GET", "/v1/receipts", headers={"Authorization": "Bearer " + secret})
        self.assertEqual(status, 200)
        rc, out, err = self.kassa("tokens", "revoke", str(mine[0]["id"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("revoked", out)
        status, _, _ = self.k.request("GET", "/v1/receipts", headers={"Authorization": "Bearer " + secret})
        self.assertEqual(status, 401)
        self.assertEqual(self.json_of("tokens", "list", "--all")["tokens"][-1]["id"], mine[0]["id"])
        # Refusals and usage.
        rc, _, err = self.kassa("tokens", "revoke", "999999")
        self.assertEqual(rc, 1)
        self.assertIn("not_found", err)
        rc, _, err = self.kassa("tokens", "create", "x", "--register", "nope")
        self.assertEqual(rc, 1)
        self.assertIn("unknown_register", err)
        for args in (["tokens"], ["tokens", "create"], ["tokens", "create", "x", "--role", "root"]):
            self.assertEqual(self.kassa(*args)[0], 2, args)
        for args in (["tokens", "--help"], ["tokens", "create", "--help"], ["tokens", "list", "--help"],
                     ["tokens", "revoke", "--help"]):
            rc, out, _ = self.kassa(*args)
            self.assertEqual(rc, 0, args)
            self.assertIn("usage: kassa", out)

    def test_unreachable_is_3(self):
        with socket.socket() as s:  # a loopback port nobody listens on once this socket closes
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rc, out, err = self.kassa("registers", env={"KASSA_URL": f"http://127.0.0.1:{port}"})
        self.assertEqual(rc, 3, err)
        self.assertIn("does not answer", err)


if __name__ == "__main__":
    unittest.main()
