"""Issue 10: one register's trouble never stops another. Entity A's only register (an outside
kassa-sim process) runs out of paper while customer X's receipt prints: X's next request is refused
at once (409 busy, Retry-After) instead of holding anything; entity B's payment and /v1/health go
through in normal time; after paper is loaded (SIGUSR1) and the register resumed, X's receipt is in
the FN exactly once. And a receipt stranded on a register that went away moves to a sibling of its
entity, announced on /v1/events with `moved_from` (issue #14: the pages show the new register)."""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINARY_DIR, ENTITY_A, ENTITY_B, TOKENS, Kassad, auth, sim_archives, temp_dir  # noqa: E402
from sse import EventStream  # noqa: E402

KASSA_SIM = os.path.join(BINARY_DIR, "simulators", "shtrih", "kassa-sim")


class OutsideSimulator:
    """kassa-sim as its own process on loopback TCP, with a fault script."""

    def __init__(self, faults, inn, fn_serial):
        self.dir = temp_dir("sim-")
        self.state = os.path.join(self.dir, "fn.json")
        fault_file = os.path.join(self.dir, "faults")
        with open(fault_file, "w", encoding="utf-8") as f:
            f.write(faults)
        self.proc = subprocess.Popen([KASSA_SIM, "--tcp", "127.0.0.1:0", "--state", self.state, "--faults", fault_file,
                                      "--inn", inn, "--fn-serial", fn_serial],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # exactly one ready line, then nothing
        if not line.startswith("kassa-sim ready tcp "):
            raise RuntimeError("kassa-sim did not start: " + line + self.proc.stderr.read())
        self.uri = "tcp://" + line.split()[-1]

    def archive(self):
        with open(self.state, encoding="utf-8") as f:
            return json.load(f)["documents"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def config(uri_a, sibling=False):
    parts = []
    for inn, name in ((ENTITY_A, "ООО «Альфа»"), (ENTITY_B, "ООО «Бета»")):
        parts.append(f'[[entities]]\ninn = "{inn}"\nname = "{name}"\ncashier = "Кассир Иванов"\n'
                     f'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n')
    parts.append(f'[[registers]]\nid = "a-1"\nuri = "{uri_a}"\nentity_inn = "{ENTITY_A}"\n'
                 + ('failover_after_seconds = 1\n' if sibling else ''))
    if sibling:
        parts.append(f'[[registers]]\nid = "a-2"\nuri = "sim://embedded"\nentity_inn = "{ENTITY_A}"\n')
    parts.append(f'[[registers]]\nid = "b-1"\nuri = "sim://embedded"\nentity_inn = "{ENTITY_B}"\n')
    for name, (role, token) in TOKENS.items():
        parts.append(f'[[tokens]]\nname = "{name}"\nrole = "{role}"\n'
                     f'sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n')
    return "\n".join(parts)


class Independence(unittest.TestCase):
    def setUp(self):
        # The second receipt of register a-1 runs the tape out while it prints.
        self.sim = OutsideSimulator("paper_out_after 2\n", ENTITY_A, "9999078900077001")
        self.k = Kassad(config_text=config(self.sim.uri)).__enter__()

    def tearDown(self):
        self.k.__exit__(None, None, None)
        self.sim.close()

    def pay(self, customer, amount, key, entity, wait=30):
        path = "/v1/payments" + (f"?wait={wait}" if wait else "")
        return self.k.request("POST", path, body={"customer": customer, "cash": amount, "entity_inn": entity},
                              headers={**auth("cashier"), "Idempotency-Key": key})

    def register(self, rid):
        status, body, _ = self.k.request("GET", f"/v1/registers/{rid}", headers=auth("cashier"))
        self.assertEqual(status, 200, body)
        return body

    def await_register_state(self, rid, state, limit=30):
        # No event stream for register states yet: read it until it changes (bounded).
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            body = self.register(rid)
            if body["state"] == state:
                return body
            threading.Event().wait(0.02)
        self.fail(f"register {rid} never reached {state}: {body}")

    def test_a_register_out_of_paper_stops_only_its_own_queue(self):
        status, first, _ = self.pay("X", 10000, "x-1", ENTITY_A)
        self.assertEqual((status, first["receipts"][0]["state"]), (200, "confirmed"), first)
        # The tape runs out while the second receipt prints: it is fiscalised (in the FN), its
        # printing stops half way.
        status, second, _ = self.pay("X", 20000, "x-2", ENTITY_A)
        self.assertEqual((status, second["receipts"][0]["state"]), (200, "confirmed"), second)

        # The third waits for paper on A's only register; the register says why.
        status, third, _ = self.pay("X", 30000, "x-3", ENTITY_A, wait=0)
        self.assertEqual(status, 202, third)
        x3 = third["receipts"][0]["id"]
        stuck = self.await_register_state("a-1", "needs_operator")
        self.assertIn("paper", stuck.get("detail", ""))
        status, health, _ = self.k.request("GET", "/v1/health")
        self.assertEqual(status, 200)
        self.assertIn("needs_operator", json.dumps(health, ensure_ascii=False))

        # X's next event depends on a receipt still in flight: refused at once, holding nothing.
        started = time.monotonic()
        status, busy, res = self.pay("X", 40000, "x-4", ENTITY_A)
        self.assertEqual((status, busy["code"]), (409, "busy"), busy)
        self.assertEqual(res.getheader("Retry-After"), "1")
        self.assertLess(time.monotonic() - started, 2.0)

        # Entity B's customer Y on B's register: printed in normal time, and health answers.
        started = time.monotonic()
        status, y, _ = self.pay("Y", 50000, "y-1", ENTITY_B)
        self.assertEqual((status, y["receipts"][0]["state"], y["receipts"][0]["register"]), (200, "confirmed", "b-1"))
        self.assertLess(time.monotonic() - started, 5.0)
        started = time.monotonic()
        self.assertEqual(self.k.request("GET", "/v1/health")[0], 200)
        self.assertLess(time.monotonic() - started, 1.0)

        # Resuming before paper is loaded says the register still needs a person.
        status, refused, _ = self.k.request("POST", "/v1/registers/a-1/resume", headers=auth("cashier"))
        self.assertEqual((status, refused["code"]), (503, "device_needs_operator"), refused)

        # The operator loads paper and presses «Продолжить»: the device prints the rest of the
        # interrupted receipt, then the one that waited.
        self.sim.proc.send_signal(signal.SIGUSR1)
        self.assertEqual(self.sim.proc.stdout.readline().strip(), "kassa-sim paper loaded")
        status, resumed, _ = self.k.request("POST", "/v1/registers/a-1/resume", headers=auth("cashier"))
        self.assertEqual(status, 200, resumed)
        status, r, _ = self.k.request("GET", f"/v1/receipts/{x3}?wait=30", headers=auth("cashier"))
        self.assertEqual((status, r["state"]), (200, "confirmed"), r)
        self.assertEqual(self.register("a-1")["state"], "idle")

        # X's retry now goes through.
        status, fourth, _ = self.pay("X", 40000, "x-4", ENTITY_A)
        self.assertEqual((status, fourth["receipts"][0]["state"]), (200, "confirmed"), fourth)

        # Exactly once in the FN: nothing was fiscalised twice, nothing lost.
        receipts = [d for d in self.sim.archive() if d["type"] in (3, 31)]
        self.assertEqual(sorted(d["total"] for d in receipts), [10000, 20000, 30000, 40000])
        self.assertEqual(r["fiscal"]["fd_number"], [d["number"] for d in receipts if d["total"] == 30000][0])

    def test_an_advance_paid_to_one_entity_is_never_offset_by_another(self):
        status, paid, _ = self.pay("Z", 50000, "z-adv-a", ENTITY_A)
        self.assertEqual((status, paid["receipts"][0]["state"]), (200, "confirmed"), paid)
        # Entity B's order for the same customer, settled from "the advance": B's FN never got it.
        order = {"customer": "Z", "entity_inn": ENTITY_B,
                 "lines": [{"sku": "S", "name": "Товар", "qty": "1", "price": 30000, "vat": "vat22"}]}
        status, body, _ = self.k.request("PUT", "/v1/orders/ZB-1", body=order, headers=auth("cashier"))
        self.assertEqual(status, 200, body)
        status, refused, _ = self.k.request("POST", "/v1/orders/ZB-1/delivery?wait=30",
                                            body={"use_advance": 30000},
                                            headers={**auth("cashier"), "Idempotency-Key": "zb-deliver"})
        self.assertEqual((status, refused["code"]), (422, "insufficient_advance"), refused)
        status, customer, _ = self.k.request("GET", "/v1/customers/Z", headers=auth("cashier"))
        self.assertEqual(status, 200, customer)
        self.assertEqual(customer["advances"], [{"entity_inn": ENTITY_A, "balance": 50000}])
        self.assertEqual([h["entity_inn"] for h in customer["history"]], [ENTITY_A])


def closed_port():
    """A loopback port nothing listens on (bound, then closed): connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FailoverIsAnnounced(unittest.TestCase):
    def setUp(self):
        # Register a-1 is away from the start (nothing answers at its address); a-2 is its sibling.
        self.k = Kassad(config_text=config(f"tcp://127.0.0.1:{closed_port()}", sibling=True)).__enter__()

    def tearDown(self):
        self.k.__exit__(None, None, None)

    def test_a_receipt_moved_to_a_sibling_register_is_a_live_event(self):
        stream = EventStream(self.k, TOKENS["cashier"][1])
        self.assertEqual(stream.status, 200)
        stream.until(lambda e: e.get("event") == "register" and e["json"]["id"] == "a-1"
                     and e["json"]["state"] == "offline")
        status, paid, _ = self.k.request("POST", "/v1/payments", body={
            "customer": "M", "cash": 12300, "entity_inn": ENTITY_A, "register": "a-1"},
            headers={**auth("cashier"), "Idempotency-Key": "moved-1"})
        self.assertEqual(status, 202, paid)
        (planned,) = paid["receipts"]
        self.assertEqual((planned["register"], planned["state"]), ("a-1", "planned"))
        # failover_after_seconds = 1: handed to a-2 and said so, with the register it left.
        seen = stream.until(lambda e: e.get("event") == "receipt" and e["json"]["id"] == planned["id"]
                            and "moved_from" in e["json"])
        moved = seen[-1]["json"]
        self.assertEqual((moved["moved_from"], moved["register"], moved["state"]), ("a-1", "a-2", "planned"))
        status, done, _ = self.k.request("GET", f"/v1/receipts/{planned['id']}?wait=30", headers=auth("cashier"))
        self.assertEqual((status, done["state"], done["register"]), (200, "confirmed", "a-2"), done)
        # Printed once, by a-2's FN (the embedded simulator beside the ledger).
        totals = [d["total"] for st in sim_archives(self.k.data_dir).values() for d in st["documents"]
                  if d["type"] == 3]
        self.assertEqual(totals.count(12300), 1)
        stream.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
