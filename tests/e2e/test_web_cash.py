"""Cash in / out and a receipt's copy from the office dashboard (web/tests/browser/cash.mjs in
Debian's Chromium) against a real kassad with one simulated Shtrih register: the drawer in the
register's state file moves by exactly the sums the page sent, the refused payout moves nothing, and
the register's document counter shows one slip per operation. Screenshots go to
<build>/web-artifacts/cash (not committed)."""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, TOKENS, Kassad, office_config  # noqa: E402

WEB_DIR = os.environ.get("KASSA_WEB_DIR") or os.path.join(os.environ["KASSA_SOURCE_DIR"], "web")
ARTIFACTS = os.path.join(os.environ["KASSA_BINARY_DIR"], "web-artifacts", "cash")


def register_state(data_dir, register):
    with open(os.path.join(data_dir, f"sim-{register}.fn"), encoding="utf-8") as f:
        return json.load(f)


class WebCash(unittest.TestCase):
    def test_cash_in_out_and_a_copy_from_the_dashboard(self):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        # One register for entity A, so the payment's receipt (the one copied) is on it.
        parts = office_config().split("[[")
        config = "[[" + "[[".join(p for p in parts[1:] if "7709876543" not in p and 'id = "a-pty"' not in p)
        with Kassad(config_text=config) as k:
            before = register_state(k.data_dir, "a-tcp")
            proc = subprocess.run(["node", "tests/browser/cash.mjs"], cwd=WEB_DIR, capture_output=True, text=True,
                                  timeout=540, env=dict(os.environ, KASSA_URL=f"http://{k.host}:{k.port}",
                                                        KASSA_TOKEN=TOKENS["cashier"][1], KASSA_ENTITY=ENTITY_A,
                                                        KASSA_REGISTER="a-tcp", KASSA_ARTIFACTS=ARTIFACTS))
            sys.stdout.write(proc.stdout)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr + "".join(k.stderr_lines[-30:]))
            after = register_state(k.data_dir, "a-tcp")
            receipts = [d for d in after["documents"] if d["type"] == 3]
            # The drawer: + 1 500,50 in, − 500 out, + 333 the receipt paid in cash; the refusal moved nothing.
            self.assertEqual(after["cash_in_drawer"] - before["cash_in_drawer"], 150050 - 50000 + 33300)
            self.assertEqual([d["total"] for d in receipts[-1:]], [33300])
            # Slips on the register's own counter: cash in, cash out, the receipt (the refusal printed none).
            self.assertGreaterEqual(after["kkt_documents"] - before["kkt_documents"], 3)
            with open(os.path.join(ARTIFACTS, "result.json"), encoding="utf-8") as f:
                copied = json.load(f)["copied_receipt"]
            status, audit, _ = k.request("GET", "/v1/audit?limit=50",
                                         headers={"Authorization": "Bearer " + TOKENS["admin"][1]})
            actions = [a["action"] for a in audit["audit"]]
            self.assertEqual(actions.count("register.cash_in"), 1, actions)
            self.assertEqual(actions.count("register.cash_out"), 2, actions)  # the refused one is recorded too
            self.assertIn("register.copy", actions)
            self.assertTrue(any(a["subject"] == str(copied) for a in audit["audit"] if a["action"] == "register.copy"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
