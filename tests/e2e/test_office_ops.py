"""Cash in / out (внесение / выемка) and a receipt's copy over /v1, against a real kassad with simulated
Shtrih and ATOL registers: the drawer of the simulated register moves by exactly the sum once per
Idempotency-Key (also across a restart), a payout beyond the drawer is refused with a clear code,
bindings hide other entities' registers, and a copy is printed only of the register's last document.

Cash in / out are not fiscal documents: the FN archive gets none (54-FZ / FFD 1.2 have no form for
them). What the register keeps is its drawer sum and, on Shtrih, its own document through-number,
which the answer reports; both are read back from the simulator's state file."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, ENTITY_B, TOKENS, Kassad, SharedKassad, auth, office_config  # noqa: E402

import hashlib  # noqa: E402

BOUND_TOKEN = "bound-cashier-token-0123456789abcdef0123"
BOUND = (f'[[tokens]]\nname = "cashier-a"\nrole = "cashier"\n'
         f'sha256 = "{hashlib.sha256(BOUND_TOKEN.encode()).hexdigest()}"\nentities = ["{ENTITY_A}"]\n')


def register_state(data_dir, register):
    """The simulated register's state file: its FN archive and its drawer."""
    with open(os.path.join(data_dir, f"sim-{register}.fn"), encoding="utf-8") as f:
        return json.load(f)


class CashAndCopy(SharedKassad):
    CONFIG_EXTRA = "\n" + BOUND

    def cash(self, register, direction, key, amount, reason="Размен на начало дня", who="cashier", **extra):
        body = {"amount": amount, "reason": reason, **extra}
        headers = {**auth(who), "Idempotency-Key": key} if who in TOKENS else {
            "Authorization": "Bearer " + who, "Idempotency-Key": key}
        status, answer, _ = self.k.request("POST", f"/v1/registers/{register}/cash-{direction}", body, headers=headers)
        return status, answer

    def drawer(self, register):
        return register_state(self.k.data_dir, register)["cash_in_drawer"]

    def test_cash_in_and_out_move_the_drawer_once_per_key(self):
        before = register_state(self.k.data_dir, "a-tcp")
        status, cash_in = self.cash("a-tcp", "in", "cash-in-1", 150000)
        self.assertEqual(status, 200, cash_in)
        self.assertEqual((cash_in["state"], cash_in["kind"], cash_in["amount"], cash_in["replayed"]),
                         ("done", "cash_in", 150000, False))
        after = register_state(self.k.data_dir, "a-tcp")
        self.assertEqual(after["cash_in_drawer"], before["cash_in_drawer"] + 150000)
        # The register's own document number (Shtrih 50h answer) is the one its counter shows now.
        self.assertEqual(cash_in["document_number"], after["kkt_documents"])
        # Not a fiscal document: the FN archive is as it was.
        self.assertEqual(len(after["documents"]), len(before["documents"]))

        # The answer was lost: the same key prints nothing and answers the first result.
        status, again = self.cash("a-tcp", "in", "cash-in-1", 150000)
        self.assertEqual(status, 200, again)
        self.assertTrue(again["replayed"])
        self.assertEqual(again["document_number"], cash_in["document_number"])
        self.assertEqual(register_state(self.k.data_dir, "a-tcp")["kkt_documents"], after["kkt_documents"])
        self.assertEqual(self.drawer("a-tcp"), after["cash_in_drawer"])
        # The same key for another sum is the caller's mistake.
        status, answer = self.cash("a-tcp", "in", "cash-in-1", 150001)
        self.assertEqual((status, answer["code"]), (409, "idempotency_conflict"), answer)

        status, out = self.cash("a-tcp", "out", "cash-out-1", 50000, reason="Инкассация")
        self.assertEqual((status, out["state"]), (200, "done"), out)
        self.assertEqual(self.drawer("a-tcp"), after["cash_in_drawer"] - 50000)

        # Beyond the drawer: the register refuses it and says why; nothing moves.
        held = self.drawer("a-tcp")
        status, refused = self.cash("a-tcp", "out", "cash-out-2", held + 1, reason="Инкассация")
        self.assertEqual((status, refused["code"]), (409, "insufficient_cash"), refused)
        self.assertEqual(refused["details"]["state"], "failed")
        self.assertEqual(self.drawer("a-tcp"), held)
        # Asked again under the same key it answers the same refusal; it is not tried again.
        status, again = self.cash("a-tcp", "out", "cash-out-2", held + 1, reason="Инкассация")
        self.assertEqual((status, again["code"], again["details"]["replayed"]), (409, "insufficient_cash", True))

        # The audit log names who moved how much and why.
        status, audit, _ = self.k.request("GET", "/v1/audit?limit=200", headers=auth("admin"))
        self.assertEqual(status, 200)
        rows = [a for a in audit["audit"] if a["action"] in ("register.cash_in", "register.cash_out")]
        self.assertTrue(any("1500.00" in a["detail"] and "Размен" in a["detail"] for a in rows), rows)
        self.assertTrue(any(a["action"] == "register.cash_out" and "Инкассация" in a["detail"] for a in rows), rows)

    def test_cash_on_an_atol_register(self):
        before = self.drawer("b-tcp")
        status, answer = self.cash("b-tcp", "in", "atol-in-1", 70000)
        self.assertEqual((status, answer["state"]), (200, "done"), answer)
        status, answer = self.cash("b-tcp", "out", "atol-out-1", 20000)
        self.assertEqual((status, answer["state"]), (200, "done"), answer)
        self.assertEqual(self.drawer("b-tcp"), before + 50000)

    def test_bad_requests_are_refused_before_the_register_hears_of_them(self):
        before = self.drawer("a-pty")
        cases = [
            ({"amount": 0, "reason": "x"}, 422, "invalid_money"),
            ({"amount": 100.5, "reason": "x"}, 400, "invalid_field"),
            ({"amount": 100}, 400, "missing_field"),
            ({"reason": "x"}, 400, "missing_field"),
            ({"amount": 100, "reason": "x", "extra": 1}, 400, "unknown_field"),
        ]
        for i, (body, status, code) in enumerate(cases):
            s, answer, _ = self.k.request("POST", "/v1/registers/a-pty/cash-in", body,
                                          headers={**auth("cashier"), "Idempotency-Key": f"bad-{i}"})
            self.assertEqual((s, answer["code"]), (status, code), (body, answer))
        s, answer, _ = self.k.request("POST", "/v1/registers/a-pty/cash-in", {"amount": 100, "reason": "x"},
                                      headers=auth("cashier"))
        self.assertEqual((s, answer["code"]), (400, "idempotency_key_required"))
        status, answer = self.cash("nope", "in", "bad-register", 100)
        self.assertEqual((status, answer["code"]), (404, "not_found"))
        # Couriers do not move the office's cash.
        status, answer = self.cash("a-pty", "in", "courier-1", 100, who="courier-1")
        self.assertEqual(status, 403, answer)
        self.assertEqual(self.drawer("a-pty"), before)

    def test_a_bound_cashier_reaches_only_its_entitys_registers(self):
        status, answer = self.cash("b-pty", "in", "bound-1", 1000, who=BOUND_TOKEN)
        self.assertEqual((status, answer["code"]), (404, "not_found"), answer)
        status, answer = self.cash("a-pty", "in", "bound-2", 1000, who=BOUND_TOKEN)
        self.assertEqual((status, answer["state"]), (200, "done"), answer)

    def pay(self, key, amount):
        status, order, _ = self.k.request("PUT", f"/v1/orders/{key}", {
            "customer": "C-" + key, "entity_inn": ENTITY_B,
            "lines": [{"sku": "A", "name": "Товар", "qty": "1", "price": amount, "vat": "vat22"}]},
            headers=auth("cashier"))
        self.assertEqual(status, 200, order)
        status, paid, _ = self.k.request("POST", "/v1/payments?wait=30", {
            "customer": "C-" + key, "cash": amount, "allocate": [{"order": key, "amount": amount}]},
            headers={**auth("cashier"), "Idempotency-Key": "pay-" + key})
        self.assertEqual(status, 200, paid)
        [receipt] = paid["receipts"]
        self.assertEqual(receipt["state"], "confirmed", receipt)
        return receipt

    def copy(self, receipt_id, key, who="cashier"):
        headers = {**auth(who), "Idempotency-Key": key} if who in TOKENS else {
            "Authorization": "Bearer " + who, "Idempotency-Key": key}
        status, answer, _ = self.k.request("POST", f"/v1/receipts/{receipt_id}/copy", headers=headers)
        return status, answer

    def test_a_copy_of_the_last_receipt_only(self):
        first = self.pay("copy-1", 4321)
        fn_docs = len(register_state(self.k.data_dir, first["register"])["documents"])
        status, answer = self.copy(first["id"], "copy-1-a")
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["state"], answer["receipt"], answer["register"]),
                         ("done", first["id"], first["register"]))
        status, again = self.copy(first["id"], "copy-1-a")
        self.assertEqual((status, again["replayed"]), (200, True), again)
        self.assertEqual(len(register_state(self.k.data_dir, first["register"])["documents"]), fn_docs,
                         "a copy is no new fiscal document")
        # The register repeats only its last document: once another receipt is printed there, 409.
        for n in range(2, 6):
            later = self.pay(f"copy-{n}", 1000 + n)
            if later["register"] == first["register"]:
                break
        self.assertEqual(later["register"], first["register"], "no second receipt on the first one's register")
        status, answer = self.copy(first["id"], "copy-1-b")
        self.assertEqual((status, answer["code"]), (409, "copy_not_possible"), answer)
        self.assertEqual(answer["details"]["state"], "failed")
        # A receipt out of the caller's reach is not known, nor is one that does not exist.
        status, answer = self.copy(first["id"], "copy-1-c", who=BOUND_TOKEN)
        self.assertEqual((status, answer["code"]), (404, "not_found"), answer)
        status, answer = self.copy(999999, "copy-none")
        self.assertEqual((status, answer["code"]), (404, "not_found"), answer)


class CashAcrossARestart(unittest.TestCase):
    def test_a_key_seen_before_a_restart_prints_nothing_after_it(self):
        config = office_config()
        with Kassad(config_text=config) as k:
            data_dir = k.data_dir
            headers = {**auth("cashier"), "Idempotency-Key": "restart-cash-1"}
            status, first, _ = k.request("POST", "/v1/registers/a-tcp/cash-in",
                                         {"amount": 99900, "reason": "Размен"}, headers=headers)
            self.assertEqual((status, first["state"]), (200, "done"), first)
            drawer = register_state(data_dir, "a-tcp")["cash_in_drawer"]
            self.assertEqual(k.stop(), 0)
            with Kassad(config_text=config, data_dir=data_dir) as k2:
                status, again, _ = k2.request("POST", "/v1/registers/a-tcp/cash-in",
                                              {"amount": 99900, "reason": "Размен"}, headers=headers)
                self.assertEqual((status, again["replayed"], again["document_number"]),
                                 (200, True, first["document_number"]), again)
                self.assertEqual(register_state(data_dir, "a-tcp")["cash_in_drawer"], drawer)


if __name__ == "__main__":
    unittest.main()
