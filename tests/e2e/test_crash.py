"""kassad killed with SIGKILL while receipts are in flight, several times over, then restarted:
clients retry with their Idempotency-Keys (as they would after a lost answer), and every payment
ends as exactly one confirmed receipt, in the ledger and in the simulated registers' fiscal
storage alike. The embedded simulators die with kassad, like a register losing power with it."""

import os
import signal
import sys
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, Kassad, auth, office_config, sim_archives, temp_dir  # noqa: E402

ROUNDS = 4
PER_ROUND = 12


def payment(round_no, i):
    key = f"crash-{round_no}-{i}"
    body = {"customer": f"K-{round_no}-{i}", "cash": 10000 + round_no * 100 + i, "entity_inn": ENTITY_A}
    return key, body


class Crash(unittest.TestCase):
    def test_sigkill_mid_receipts_then_restart_confirms_each_exactly_once(self):
        data_dir = os.path.join(temp_dir("crash-"), "var")
        sent = {}
        for round_no in range(ROUNDS):
            k = Kassad(config_text=office_config(), data_dir=data_dir)
            first_answer = threading.Event()

            def send(i, k=k, round_no=round_no, first_answer=first_answer):
                key, body = payment(round_no, i)
                sent[key] = body
                try:
                    status, _, _ = k.request("POST", "/v1/payments", body=body,
                                             headers={**auth("cashier"), "Idempotency-Key": key}, timeout=30)
                    if status in (200, 202):
                        first_answer.set()
                except OSError:
                    pass  # the server died under this request: the client retries after the restart

            with ThreadPoolExecutor(max_workers=PER_ROUND) as pool:
                for i in range(PER_ROUND):
                    pool.submit(send, i)
                self.assertTrue(first_answer.wait(30), "no request was accepted before the kill")
                k.proc.send_signal(signal.SIGKILL)
                k.proc.wait(30)
            k.proc.stdout.close()

        k = Kassad(config_text=office_config(), data_dir=data_dir)
        try:
            receipts_by_key = {}
            for key, body in sent.items():
                status, answer, _ = k.request("POST", "/v1/payments?wait=30", body=body,
                                              headers={**auth("cashier"), "Idempotency-Key": key}, timeout=60)
                self.assertEqual(status, 200, f"{key}: {answer}")
                self.assertEqual(len(answer["receipts"]), 1, key)
                receipt = answer["receipts"][0]
                self.assertEqual(receipt["state"], "confirmed", f"{key}: {receipt}")
                self.assertEqual(receipt["receipt"]["total"], body["cash"])
                receipts_by_key[key] = receipt
            ids = [r["id"] for r in receipts_by_key.values()]
            self.assertEqual(len(ids), len(set(ids)), "two payments share a receipt")
            for key, body in sent.items():
                _, view, _ = k.request("GET", f"/v1/customers/{body['customer']}", headers=auth("cashier"))
                self.assertEqual(view["advance_balance"], body["cash"], f"{key}: the advance moved twice or never")
            _, listing, _ = k.request("GET", "/v1/receipts", headers=auth("admin"))
            self.assertEqual(len(listing["receipts"]), len(sent), "a receipt was planned twice")
            self.assertEqual(k.stop(), 0)
        finally:
            k.__exit__(None, None, None)

        documents = {}
        for fn, state in sim_archives(data_dir).items():
            for doc in state["documents"]:
                if doc["type"] in (3, 31):
                    documents[(fn, doc["number"])] = doc
        ledger = {(r["fiscal"]["fn_number"], r["fiscal"]["fd_number"]): r for r in receipts_by_key.values()}
        self.assertEqual(set(documents), set(ledger), "the fiscal storage and the ledger disagree")
        totals = sorted(d["total"] for d in documents.values())
        self.assertEqual(totals, sorted(b["cash"] for b in sent.values()), "a payment was fiscalised twice or never")


if __name__ == "__main__":
    unittest.main(verbosity=2)
