"""Every scenario of shared/vectors/scenarios.json over HTTP against the real kassad with two legal
entities and four simulated registers (pty and TCP): the receipts, their FFD tags and sums, the
balances, and the simulators' fiscal archives matching the ledger one for one."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, ENTITY_B, Kassad, auth, office_config, sim_archives  # noqa: E402

with open(os.path.join(os.environ["KASSA_VECTORS_DIR"], "scenarios.json"), encoding="utf-8") as f:
    VECTORS = json.load(f)
# The worked settlements at the door (goods refused there) run the same way.
with open(os.path.join(os.environ["KASSA_VECTORS_DIR"], "door.json"), encoding="utf-8") as f:
    VECTORS["scenarios"] += json.load(f)["scenarios"]

LINE_FIELDS = ("qty", "price", "amount", "tag1214", "tag1212", "tag1199", "vat")
RECEIPT_FIELDS = ("tag1054", "tag1031", "tag1081", "tag1215", "tag1216", "tag1217", "total")


# Tags the device or its FN sets for itself: they differ from one register to another.
DEVICE_TAGS = {1012, 1037, 1038, 1040, 1041, 1042, 1077, 1018, 1048, 1013, 1209, 1189, 1188, 1036, 1062, 1117, 1060}


def tlv_items(data):
    """FFD TLV: tag and length 2 bytes each, little-endian; 1059 (a line) is a nested STLV."""
    out, i = [], 0
    while i + 4 <= len(data):
        tag, length = int.from_bytes(data[i:i + 2], "little"), int.from_bytes(data[i + 2:i + 4], "little")
        value = data[i + 4:i + 4 + length]
        out.append((tag, tuple(sorted(tlv_items(value))) if tag == 1059 else value.hex()))
        i += 4 + length
    return out


def comparable(tlv_hex):
    return sorted((t, v) for t, v in tlv_items(bytes.fromhex(tlv_hex)) if t not in DEVICE_TAGS)


class FamilyContent:
    wanted = {}

    @classmethod
    def expect(cls, ids):
        cls.wanted = ids


def event_request(prefix, entity, event):
    """The HTTP call for a scenarios.json event: (path, body). Money not tied to an order names its
    legal entity: with two configured, kassad cannot guess whose advance it is."""
    kind = event["kind"]
    money = {k: event[k] for k in ("cash", "electronic") if k in event}
    if kind == "payment":
        allocate = [{"order": prefix + a["order"], "amount": a["amount"]} for a in event.get("allocate", [])]
        return "/v1/payments", {"customer": prefix + event["customer"], **money, "allocate": allocate,
                                "entity_inn": entity}
    if kind == "delivery":
        body = dict(money)
        for k in ("use_advance", "credit", "excess", "delivered", "refused_prepayment"):
            if k in event:
                body[k] = event[k]
        return f"/v1/orders/{prefix}{event['order']}/delivery", body
    if kind == "return":
        return (f"/v1/orders/{prefix}{event['order']}/returns",
                {"lines": event["lines"], "refund": event["refund"]})
    if kind == "cancel":
        return f"/v1/orders/{prefix}{event['order']}/cancel", {"refund": event["refund"]}
    if kind == "balance_refund":
        return f"/v1/customers/{prefix}{event['customer']}/refunds", {**money, "entity_inn": entity}
    if kind == "credit_repayment":
        return f"/v1/orders/{prefix}{event['order']}/credit-repayments", money
    raise AssertionError("unknown event kind " + kind)


class Scenarios(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kassad(config_text=office_config())

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def post(self, path, body, key, who="cashier"):
        return self.k.request("POST", path + "?wait=30", body=body, headers={**auth(who), "Idempotency-Key": key})

    def put_order(self, prefix, entity, order):
        body = {"customer": prefix + order["customer"], "entity_inn": entity,
                "lines": [{k: line[k] for k in ("sku", "name", "qty", "price", "vat", "subject")}
                          for line in order["lines"]]}
        status, answer, _ = self.k.request("PUT", f"/v1/orders/{prefix}{order['id']}", body=body,
                                           headers=auth("cashier"))
        self.assertEqual(status, 200, answer)

    def check_receipt(self, got, want, where):
        self.assertEqual(got["state"], "confirmed", where)
        receipt = got["receipt"]
        for field in RECEIPT_FIELDS:
            self.assertEqual(receipt[field], want[field], f"{where}: {field}")
        self.assertEqual(len(receipt["lines"]), len(want["lines"]), where)
        for i, (gl, wl) in enumerate(zip(receipt["lines"], want["lines"])):
            for field in LINE_FIELDS:
                self.assertEqual(gl[field], wl[field], f"{where} line {i}: {field}")
        fiscal = got["fiscal"]
        self.assertTrue(fiscal["qr"].startswith("t="), where)
        self.assertIn(f"&fn={fiscal['fn_number']}&i={fiscal['fd_number']}&fp={fiscal['fiscal_sign']}", fiscal["qr"])

    def test_1_every_scenario_gives_its_receipts_and_balances(self):
        for index, scenario in enumerate(VECTORS["scenarios"]):
            with self.subTest(scenario=scenario["id"]):
                prefix = f"s{index}-"
                entity = ENTITY_A if index % 2 == 0 else ENTITY_B
                for order in scenario["orders"]:
                    self.put_order(prefix, entity, order)
                got_by_event = []
                for n, event in enumerate(scenario["events"]):
                    path, body = event_request(prefix, entity, event)
                    status, answer, _ = self.post(path, body, f"{prefix}event-{n}")
                    self.assertEqual(status, 200, f"{scenario['id']} event {n}: {answer}")
                    got_by_event.append(answer["receipts"])
                    for r in answer["receipts"]:
                        self.assertTrue(r["register"].startswith("a-" if entity == ENTITY_A else "b-"))
                for n, receipts in enumerate(got_by_event):
                    want = [r for r in scenario["receipts"] if r["after_event"] == n]
                    self.assertEqual(len(receipts), len(want), f"{scenario['id']} event {n}")
                    for i, (g, w) in enumerate(zip(receipts, want)):
                        self.check_receipt(g, w, f"{scenario['id']} event {n} receipt {i}")
                for customer, balance in scenario["balance_after"].items():
                    status, view, _ = self.k.request("GET", f"/v1/customers/{prefix}{customer}",
                                                      headers=auth("cashier"))
                    self.assertEqual(status, 200)
                    self.assertEqual(view["advance_balance"], balance, scenario["id"])

    def test_2_replaying_a_request_returns_the_first_answer_without_a_new_receipt(self):
        self.put_order("rp-", ENTITY_A, VECTORS["scenarios"][0]["orders"][0])
        body = {"customer": "rp-C1", "cash": 100000, "electronic": 0, "allocate": [{"order": "rp-123", "amount": 100000}]}
        s1, a1, _ = self.post("/v1/payments", body, "rp-key")
        s2, a2, _ = self.post("/v1/payments", body, "rp-key")
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual([r["id"] for r in a1["receipts"]], [r["id"] for r in a2["receipts"]])
        self.assertTrue(a2["replayed"])
        other = dict(body, cash=200000, allocate=[{"order": "rp-123", "amount": 200000}])
        s3, a3, _ = self.post("/v1/payments", other, "rp-key")
        self.assertEqual((s3, a3["code"]), (409, "idempotency_conflict"))
        _, order, _ = self.k.request("GET", "/v1/orders/rp-123", headers=auth("cashier"))
        self.assertEqual(order["prepaid"], 100000)

    def test_3_correction_and_raw_receipts(self):
        # fiscal-rules.md §7, case (b): a receipt showed 1031 = 10 000 instead of 7 000 cash + 3 000
        # prepayment offset. First the reverse correction repeating the error (1054 = 2), then the
        # correct one (1054 = 1); both carry 1192 = the wrong receipt's fiscal sign.
        lines = [{"name": "Товар А", "qty": "2", "price": 150000, "amount": 300000, "tag1214": 4, "tag1212": 1,
                  "tag1199": 11, "vat": 54098},
                 {"name": "Товар Б", "qty": "1", "price": 700000, "amount": 700000, "tag1214": 4, "tag1212": 1,
                  "tag1199": 11, "vat": 126230}]
        body = {"correction": {"type": "self", "date": "2026-10-15"}, "corrected_fiscal_sign": "1234567890",
                "erroneous": {"tag1054": 1, "lines": lines, "tag1031": 1000000, "total": 1000000},
                "correct": {"tag1054": 1, "lines": [{k: v for k, v in l.items() if k in ("name", "qty", "price",
                                                                                      "tag1214", "tag1212")}
                                                    | {"vat_class": "vat22"} for l in lines],
                            "tag1031": 700000, "tag1215": 300000, "total": 1000000},
                "entity_inn": ENTITY_A}
        status, answer, _ = self.post("/v1/corrections", body, "correction-1")
        self.assertEqual(status, 200, answer)
        reverse, correct = (r["receipt"] for r in answer["receipts"])
        self.assertEqual((reverse["tag1054"], reverse["tag1031"], reverse["tag1192"]), (2, 1000000, "1234567890"))
        self.assertEqual((correct["tag1054"], correct["tag1031"], correct["tag1215"]), (1, 700000, 300000))
        self.assertEqual([l["vat"] for l in correct["lines"]], [54098, 126230])
        for r in (reverse, correct):
            self.assertEqual(r["correction"]["type"], "self")
        self.assertTrue(all(r["state"] == "confirmed" for r in answer["receipts"]))

        raw = {"receipt": {"tag1054": 1, "lines": [{"name": "Услуга доставки", "qty": "1", "price": 50000,
                                                     "amount": 50000, "tag1214": 4, "tag1212": 4, "tag1199": 11,
                                                     "vat": 9016}],
                           "tag1081": 50000, "total": 50000, "buyer_contact": "client@example.com"},
               "entity_inn": ENTITY_B}
        status, answer, _ = self.post("/v1/receipts", raw, "raw-1")
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["receipts"][0]["register"][:2], "b-")
        self.assertEqual(answer["receipts"][0]["receipt"]["buyer_contact"], "client@example.com")
        wrong = dict(raw, receipt=dict(raw["receipt"], total=50001))
        status, answer, _ = self.post("/v1/receipts", wrong, "raw-2")
        self.assertEqual((status, answer["code"]), (422, "amount_mismatch"))

    def test_4_receipts_filter_by_time(self):
        import time
        now = int(time.time())
        _, recent, _ = self.k.request("GET", f"/v1/receipts?from={now - 3600}", headers=auth("admin"))
        _, future, _ = self.k.request("GET", f"/v1/receipts?from={now + 3600}", headers=auth("admin"))
        _, past, _ = self.k.request("GET", f"/v1/receipts?to={now - 3600}", headers=auth("admin"))
        self.assertTrue(recent["receipts"])
        self.assertEqual((future["receipts"], past["receipts"]), ([], []))

    def test_5_the_same_plan_gives_the_same_fiscal_content_on_both_families(self):
        # Entity B has an ATOL register (b-tcp) and a Shtrih one (b-pty): the same settlement, printed
        # on each, must carry the same FFD tags and sums in the FN (what differs is the device's own:
        # numbers, time, fiscal sign, FN and registration ids).
        ids = {}
        for reg in ("b-tcp", "b-pty"):
            body = {"customer": "FAM-C", "electronic": 123456, "buyer_contact": "client@example.com",
                    "entity_inn": ENTITY_B, "register": reg}
            status, answer, _ = self.post("/v1/payments", body, "family-" + reg)
            self.assertEqual(status, 200, answer)
            r = answer["receipts"][0]
            self.assertEqual((r["register"], r["state"]), (reg, "confirmed"), r)
            ids[reg] = (r["fiscal"]["fn_number"], r["fiscal"]["fd_number"])
        FamilyContent.expect(ids)

    def test_9_simulator_archives_match_the_ledger_one_for_one(self):
        status, listing, _ = self.k.request("GET", "/v1/receipts?state=confirmed", headers=auth("admin"))
        self.assertEqual(status, 200)
        ledger = {(r["fiscal"]["fn_number"], r["fiscal"]["fd_number"]): r for r in listing["receipts"]}
        self.assertEqual(self.k.stop(), 0)
        archives = sim_archives(self.k.data_dir)
        self.assertEqual(len(archives), 4, "one FN per simulated register")
        fiscal_receipts = {}
        for fn, state in archives.items():
            for doc in state["documents"]:
                if doc["type"] in (3, 31):
                    fiscal_receipts[(fn, doc["number"])] = doc
        self.assertEqual(set(ledger), set(fiscal_receipts), "every confirmed receipt is in an FN and vice versa")
        self.assertTrue(FamilyContent.wanted, "test_5 ran first")
        atol, shtrih = (fiscal_receipts[FamilyContent.wanted[reg]] for reg in ("b-tcp", "b-pty"))
        content = comparable(atol["tlv"])
        self.assertEqual(content, comparable(shtrih["tlv"]), "ATOL and Shtrih FN content")
        tags = {t for t, _ in content}
        self.assertTrue({1054, 1059, 1081, 1020, 1008, 1021, 1009, 1187} <= tags, tags)
        for key, doc in fiscal_receipts.items():
            r = ledger[key]
            self.assertEqual(doc["total"], r["receipt"]["total"], key)
            self.assertEqual(doc["operation"], r["receipt"]["tag1054"], key)
            self.assertEqual(doc["fp"], r["fiscal"]["fiscal_sign"], key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
