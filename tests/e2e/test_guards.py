"""What kassad refuses: every rejection of scenarios.json, malformed and hostile requests, and what
a courier may not do. Each refusal is a 4xx with a machine-readable code and writes nothing."""

import http.client
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, Kassad, auth, office_config  # noqa: E402

with open(os.path.join(os.environ["KASSA_VECTORS_DIR"], "scenarios.json"), encoding="utf-8") as f:
    VECTORS = json.load(f)

ORDER_LINES = [
    {"sku": "A", "name": "Товар А", "qty": "2", "price": 150000, "vat": "vat22", "subject": 1},
    {"sku": "B", "name": "Товар Б", "qty": "1", "price": 700000, "vat": "vat22", "subject": 1},
]


class Guards(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kassad(config_text=office_config())

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def call(self, method, path, body=None, who="cashier", key=None, headers=None):
        h = dict(auth(who)) if who else {}
        if key:
            h["Idempotency-Key"] = key
        h.update(headers or {})
        return self.k.request(method, path, body=body, headers=h)

    def order(self, oid, customer="G-C1"):
        status, answer, _ = self.call("PUT", f"/v1/orders/{oid}",
                                      {"customer": customer, "entity_inn": ENTITY_A, "lines": ORDER_LINES})
        self.assertEqual(status, 200, answer)

    def receipts(self):
        _, listing, _ = self.call("GET", "/v1/receipts", who="admin")
        return listing["receipts"]

    def balance(self, customer):
        _, view, _ = self.call("GET", f"/v1/customers/{customer}")
        return view["advance_balance"]

    def assert_refused(self, status, answer, want_status, want_code):
        self.assertEqual(status, want_status, answer)
        self.assertEqual(answer["code"], want_code, answer)
        self.assertTrue(answer["message"])

    # ---- scenarios.json rejections -----------------------------------------------------------

    def test_rejections_of_scenarios_json(self):
        by_id = {r["id"]: r for r in VECTORS["rejections"]}

        # offset-exceeds-balance: the customer has 1 000 of advance and asks to use 2 000.
        r = by_id["offset-exceeds-balance"]
        self.order("R1-123", "R1-C1")
        status, answer, _ = self.call("POST", "/v1/payments?wait=30",
                                      {"customer": "R1-C1", "cash": r["setup_balance"]["C1"], "entity_inn": ENTITY_A},
                                      key="r1-setup")
        self.assertEqual(status, 200, answer)
        before = len(self.receipts())
        e = r["event"]
        status, answer, _ = self.call("POST", "/v1/orders/R1-123/delivery",
                                      {"cash": e["cash"], "electronic": e["electronic"], "use_advance": e["use_advance"]},
                                      key="r1")
        self.assert_refused(status, answer, 422, r["error"])
        self.assertEqual(len(self.receipts()), before)
        self.assertEqual(self.balance("R1-C1"), r["setup_balance"]["C1"])

        # payment-does-not-cover: 9 000 cash for a 10 000 order with no credit.
        r = by_id["payment-does-not-cover"]
        self.order("R2-123", "R2-C1")
        status, answer, _ = self.call("POST", "/v1/orders/R2-123/delivery",
                                      {"cash": r["event"]["cash"], "electronic": r["event"]["electronic"]}, key="r2")
        self.assert_refused(status, answer, 422, r["error"])

        # return-more-than-sold: 3 pieces of A back when 2 were sold.
        r = by_id["return-more-than-sold"]
        self.order("R3-123", "R3-C1")
        status, answer, _ = self.call("POST", "/v1/orders/R3-123/delivery?wait=30", {"cash": 1000000}, key="r3-deliver")
        self.assertEqual(status, 200, answer)
        before = len(self.receipts())
        status, answer, _ = self.call("POST", "/v1/orders/R3-123/returns",
                                      {"lines": r["event"]["lines"], "refund": r["event"]["refund"]}, key="r3")
        self.assert_refused(status, answer, 422, r["error"])
        self.assertEqual(len(self.receipts()), before)

        # allocation-exceeds-payment: 5 000 paid, 6 000 allocated.
        r = by_id["allocation-exceeds-payment"]
        self.order("R4-123", "R4-C1")
        e = r["event"]
        status, answer, _ = self.call("POST", "/v1/payments",
                                      {"customer": "R4-C1", "cash": e["cash"], "electronic": e["electronic"],
                                       "allocate": [{"order": "R4-123", "amount": e["allocate"][0]["amount"]}]},
                                      key="r4")
        self.assert_refused(status, answer, 422, r["error"])

        # bad-contact: neither +7XXXXXXXXXX nor an e-mail.
        r = by_id["bad-contact"]
        status, answer, _ = self.call("POST", "/v1/payments",
                                      {"customer": "R5-C1", "cash": 1000, "entity_inn": ENTITY_A,
                                       "buyer_contact": r["contact"]}, key="r5")
        self.assert_refused(status, answer, 422, r["error"])

        # negative-price and zero-quantity: the order itself is refused.
        for rid in ("negative-price", "zero-quantity"):
            r = by_id[rid]
            status, answer, _ = self.call("PUT", f"/v1/orders/R6-{rid}",
                                          {"customer": "R6-C1", "entity_inn": ENTITY_A, "lines": [r["line"]]})
            self.assert_refused(status, answer, 422, r["error"])
            status, _, _ = self.call("GET", f"/v1/orders/R6-{rid}")
            self.assertEqual(status, 404, "a refused order must not be stored")
        # A refused request leaves its Idempotency-Key free for a corrected one.
        status, answer, _ = self.call("POST", "/v1/payments?wait=30",
                                      {"customer": "R5-C1", "cash": 1000, "entity_inn": ENTITY_A,
                                       "buyer_contact": "+79001234567"}, key="r5")
        self.assertEqual(status, 200, answer)

    # ---- malformed and hostile requests -------------------------------------------------------

    def test_malformed_requests_get_4xx_with_a_code_and_write_nothing(self):
        self.order("M-1", "M-C1")
        before_receipts = len(self.receipts())
        before_balance = self.balance("M-C1")
        pay = "/v1/payments"
        ok_pay = {"customer": "M-C1", "cash": 1000, "entity_inn": ENTITY_A}
        cases = [
            # (method, path, body, headers, who, key, status, code)
            ("POST", pay, "{not json", {"Content-Type": "application/json"}, "cashier", "m1", 400, "invalid_json"),
            ("POST", pay, "[1,2]", {"Content-Type": "application/json"}, "cashier", "m2", 400, "invalid_json"),
            ("POST", pay, "", {"Content-Type": "application/json"}, "cashier", "m3", 400, "invalid_json"),
            ("POST", pay, "customer=1", {"Content-Type": "application/x-www-form-urlencoded"}, "cashier", "m4", 415,
             "unsupported_media_type"),
            ("POST", pay, ok_pay, None, "cashier", None, 400, "idempotency_key_required"),
            ("POST", pay, ok_pay, None, "cashier", "k" * 200, 400, "invalid_field"),
            ("POST", pay, dict(ok_pay, cash=10.5), None, "cashier", "m7", 400, "invalid_field"),
            ("POST", pay, dict(ok_pay, cash="1000"), None, "cashier", "m8", 400, "invalid_field"),
            ("POST", pay, dict(ok_pay, cash=-5), None, "cashier", "m9", 400, "invalid_field"),
            ("POST", pay, dict(ok_pay, cash=10**20), None, "cashier", "m10", 400, "invalid_field"),
            ("POST", pay, {"cash": 1000}, None, "cashier", "m11", 400, "missing_field"),
            ("POST", pay, dict(ok_pay, casch=1), None, "cashier", "m12", 400, "unknown_field"),
            ("POST", pay, dict(ok_pay, customer=7), None, "cashier", "m13", 400, "invalid_field"),
            ("POST", pay, dict(ok_pay, allocate={"order": "M-1"}), None, "cashier", "m14", 400, "invalid_field"),
            ("POST", pay, dict(ok_pay, allocate=[{"order": "M-1"}]), None, "cashier", "m15", 400, "missing_field"),
            ("POST", pay, dict(ok_pay, allocate=[{"order": "nope", "amount": 1000}]), None, "cashier", "m16", 404,
             "unknown_order"),
            ("POST", pay, dict(ok_pay, entity_inn="0000000000"), None, "cashier", "m17", 422, "unknown_entity"),
            ("POST", pay, {"customer": "M-C1", "cash": 1000}, None, "cashier", "m18", 422, "entity_required"),
            ("POST", pay, dict(ok_pay, cash=0), None, "cashier", "m19", 422, "invalid_payment"),
            ("POST", pay, dict(ok_pay, register="b-tcp"), None, "cashier", "m20", 422, "unknown_register"),
            ("POST", pay, dict(ok_pay, tax_system="flat"), None, "cashier", "m21", 400, "invalid_field"),
            ("POST", pay + "?wait=soon", ok_pay, None, "cashier", "m22", 400, "invalid_field"),
            ("POST", "/v1/orders/M-1/delivery", {"cash": 1000000, "excess": "keep"}, None, "cashier", "m23", 400,
             "invalid_field"),
            ("POST", "/v1/orders/nope/delivery", {"cash": 1}, None, "cashier", "m24", 404, "unknown_order"),
            ("POST", "/v1/orders/M-1/returns", {"lines": [], "refund": {"cash": 1}}, None, "cashier", "m25", 400,
             "missing_field"),
            ("POST", "/v1/orders/M-1/returns", {"lines": [{"sku": "A", "qty": "1"}]}, None, "cashier", "m26", 400,
             "missing_field"),
            ("POST", "/v1/corrections", {"correction": {"type": "whenever", "date": "2026-10-15"},
                                         "correct": {"lines": [], "total": 0}}, None, "cashier", "m27", 400,
             "invalid_field"),
            ("POST", "/v1/corrections", {"correction": {"type": "self", "date": "15.10.2026"},
                                         "correct": {"lines": [], "total": 0}}, None, "cashier", "m28", 400,
             "invalid_field"),
            ("PUT", "/v1/orders/M-2", {"customer": "M-C1", "lines": [dict(ORDER_LINES[0], qty="1.1234567")]}, None,
             "cashier", None, 400, "invalid_field"),
            ("PUT", "/v1/orders/M-2", {"customer": "M-C1", "lines": [dict(ORDER_LINES[0], vat="vat18")]}, None,
             "cashier", None, 400, "invalid_field"),
            ("PUT", "/v1/orders/M-2", {"customer": "M-C1", "lines": []}, None, "cashier", None, 400, "missing_field"),
            ("PUT", "/v1/orders/M-2", {"id": "other", "customer": "M-C1", "lines": ORDER_LINES}, None, "cashier", None,
             400, "invalid_field"),
            ("PUT", "/v1/orders/M-2", {"customer": "M-C1", "entity_inn": ENTITY_A,
                                       "lines": [dict(ORDER_LINES[0], name="Ω" * 20)]}, None,
             "cashier", None, 422, "text_not_cp866"),
            ("PUT", "/v1/orders/M-2", {"customer": "M-C1", "lines": ORDER_LINES}, None, "cashier", None, 422,
             "entity_required"),
            ("GET", "/v1/receipts/999999", None, None, "cashier", None, 404, "not_found"),
            ("GET", "/v1/receipts/abc", None, None, "cashier", None, 404, "not_found"),
            ("GET", "/v1/receipts?state=lost", None, None, "cashier", None, 400, "invalid_field"),
            ("GET", "/v1/orders/none-such", None, None, "cashier", None, 404, "not_found"),
            ("GET", "/v1/registers/none-such", None, None, "cashier", None, 404, "not_found"),
            ("GET", "/v1/no-such-route", None, None, "cashier", None, 404, "not_found"),
            ("DELETE", "/v1/orders/M-1", None, None, "cashier", None, 405, "method_not_allowed"),
            ("PATCH", pay, ok_pay, None, "cashier", "m41", 405, "method_not_allowed"),
            ("POST", pay, ok_pay, {"Authorization": "Bearer wrong"}, None, "m42", 401, "unauthorized"),
            ("POST", pay, ok_pay, {"Authorization": "Basic YWRtaW46YWRtaW4="}, None, "m43", 401, "unauthorized"),
            ("POST", pay, ok_pay, None, None, "m44", 401, "unauthorized"),
            ("GET", "/v1/registers", None, {"Authorization": "Bearer "}, None, None, 401, "unauthorized"),
        ]
        self.assertGreaterEqual(len(cases), 30)
        for method, path, body, headers, who, key, want_status, want_code in cases:
            with self.subTest(method=method, path=path, key=key, code=want_code):
                status, answer, _ = self.call(method, path, body, who=who, key=key, headers=headers)
                self.assertEqual(status, want_status, answer)
                self.assertIsNotNone(answer, "error bodies are JSON")
                self.assertEqual(answer["code"], want_code, answer)
        self.assertEqual(len(self.receipts()), before_receipts, "a refused request made a receipt")
        self.assertEqual(self.balance("M-C1"), before_balance)
        status, _, _ = self.call("GET", "/v1/orders/M-2")
        self.assertEqual(status, 404)

    def test_huge_body_and_huge_headers_are_refused_and_the_server_lives(self):
        # The server answers 413 as soon as the declared length passes the limit and closes: a client
        # still sending the rest sees the answer first.
        with socket.create_connection((self.k.host, self.k.port), timeout=10) as s:
            s.sendall(b"POST /v1/payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Idempotency-Key: huge\r\nContent-Length: 2097152\r\n\r\n" + b"x" * 65536)
            reply = s.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)
        self.assertIn(b'"payload_too_large"', reply)
        conn = http.client.HTTPConnection(self.k.host, self.k.port, timeout=10)
        conn.request("GET", "/v1/health", headers={"X-Filler": "y" * 64 * 1024})
        res = conn.getresponse()
        self.assertEqual(res.status, 431)
        conn.close()
        with socket.create_connection((self.k.host, self.k.port), timeout=10) as s:
            s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 400"))
        status, _, _ = self.k.request("GET", "/v1/health")
        self.assertEqual(status, 200)

    # ---- roles ------------------------------------------------------------------------------------

    def test_courier_cannot_close_a_shift_or_read_another_couriers_receipts(self):
        status, answer, _ = self.call("POST", "/v1/registers/a-tcp/shift/close", who="courier-1")
        self.assert_refused(status, answer, 403, "forbidden")
        status, answer, _ = self.call("POST", "/v1/orders/x/returns", {"lines": [{"sku": "A", "qty": "1"}],
                                                                        "refund": {"cash": 1}},
                                      who="courier-1", key="c-ret")
        self.assert_refused(status, answer, 403, "forbidden")
        status, answer, _ = self.call("GET", "/v1/customers/G-C1", who="courier-1")
        self.assert_refused(status, answer, 403, "forbidden")

        self.order("C-1", "C-C1")
        status, answer, _ = self.call("POST", "/v1/payments?wait=30",
                                      {"customer": "C-C1", "cash": 300000,
                                       "allocate": [{"order": "C-1", "amount": 300000}]},
                                      who="courier-1", key="courier-pay")
        self.assertEqual(status, 200, answer)
        rid = answer["receipts"][0]["id"]
        status, mine, _ = self.call("GET", f"/v1/receipts/{rid}", who="courier-1")
        self.assertEqual((status, mine["state"]), (200, "confirmed"))
        status, answer, _ = self.call("GET", f"/v1/receipts/{rid}", who="courier-2")
        self.assert_refused(status, answer, 404, "not_found")
        _, listing, _ = self.call("GET", "/v1/receipts", who="courier-2")
        self.assertNotIn(rid, [r["id"] for r in listing["receipts"]])
        _, listing, _ = self.call("GET", "/v1/receipts", who="courier-1")
        self.assertEqual([r["id"] for r in listing["receipts"]], [rid])
        _, order, _ = self.call("GET", "/v1/orders/C-1", who="courier-2")
        self.assertEqual(order["receipts"], [], "another courier's receipts are hidden in the order view too")
        # The cashier sees everything.
        status, _, _ = self.call("GET", f"/v1/receipts/{rid}", who="cashier")
        self.assertEqual(status, 200)

    def test_every_authenticated_call_and_every_refusal_is_audited(self):
        self.call("GET", "/v1/registers", who="courier-2")
        self.call("POST", "/v1/registers/a-pty/shift/close", who="courier-2")
        self.call("GET", "/v1/registers", who=None, headers={"Authorization": "Bearer nobody"})
        status, answer, _ = self.call("GET", "/v1/audit", who="cashier")
        self.assert_refused(status, answer, 403, "forbidden")
        status, log, _ = self.call("GET", "/v1/audit?limit=1000", who="admin")
        self.assertEqual(status, 200)
        entries = [(a["actor"], a["action"], a["subject"]) for a in log["audit"]]
        self.assertIn(("courier-2 (courier)", "GET /v1/registers", "200"), entries)
        self.assertIn(("courier-2 (courier)", "POST /v1/registers/a-pty/shift/close", "403"), entries)
        self.assertIn(("unauthenticated", "GET /v1/registers", "401"), entries)
        self.assertFalse(any("health" in a for _, a, _ in entries), "open routes are not audited")

    def test_cashier_runs_shift_commands_on_a_register(self):
        # Issue 16: what GET shows follows each command at once (from the command's answer), not
        # the worker's next status poll. The first command is answered once the register is
        # connected, so its status before the shift opened was the one read at connection.
        seen = {}
        for action in ("shift/open", "x-report", "shift/close"):
            status, answer, _ = self.call("POST", f"/v1/registers/b-pty/{action}")
            self.assertEqual(status, 200, f"{action}: {answer}")
            status, reg, _ = self.call("GET", "/v1/registers/b-pty")
            self.assertEqual(status, 200)
            seen[action] = reg["device"]
        opened, x, closed = seen["shift/open"], seen["x-report"], seen["shift/close"]
        self.assertTrue(opened["shift_open"])
        self.assertIn("shift_opened_at", opened)
        fields = ("shift_open", "shift_number", "last_fd_number")
        self.assertEqual([x[f] for f in fields], [opened[f] for f in fields], "an X report is no fiscal document")
        self.assertFalse(closed["shift_open"])
        self.assertNotIn("shift_opened_at", closed)
        self.assertEqual(closed["shift_number"], opened["shift_number"])
        self.assertEqual(closed["last_fd_number"], opened["last_fd_number"] + 1, "the shift-close report")

if __name__ == "__main__":
    unittest.main(verbosity=2)
