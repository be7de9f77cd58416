"""At the door and after it (issue #14, #15) against the real kassad and the simulators' FN archives:
goods refused at the door (the settlement covers what was handed over, the prepayment above it goes
back or stays as an advance, refusing everything cancels), the card terminal's reference kept with the
receipt, a courier's cash handed over to the office and confirmed by a cashier (audited), what an
order tells the courier (payment method, deadline), and a sale on credit at the door where the order
allows it, checked tag by tag in the FN archive."""

import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, ENTITY_B, SharedKassad, auth, sim_archives  # noqa: E402

LINES = [{"sku": "A", "name": "Товар А", "qty": "2", "price": 150000, "vat": "vat22"},
         {"sku": "B", "name": "Товар Б", "qty": "1", "price": 700000, "vat": "vat22"}]
CONTACT = "+79990001122"


def tlv(data):
    """FFD TLV (tag, length: 2 bytes each, little-endian) → [(tag, bytes)]; 1059 (a line) stays nested."""
    out, i = [], 0
    while i + 4 <= len(data):
        tag, length = int.from_bytes(data[i:i + 2], "little"), int.from_bytes(data[i + 2:i + 4], "little")
        out.append((tag, data[i + 4:i + 4 + length]))
        i += 4 + length
    return out


def number(value):
    return int.from_bytes(value, "little")


class CourierDoor(SharedKassad):
    def call(self, method, path, body=None, who="cashier", key=None):
        headers = dict(auth(who))
        if key:
            headers["Idempotency-Key"] = key
        return self.k.request(method, path, body, headers=headers)

    def put_order(self, oid, entity=ENTITY_A, courier="courier-1"):
        status, answer, _ = self.call("PUT", f"/v1/orders/{oid}", {
            "customer": "C-" + oid, "entity_inn": entity, "lines": LINES, "courier": courier,
            "delivery_date": "2031-05-06", "delivery_address": "г. Москва, ул. Садовая, д. 5",
            "customer_contact": CONTACT})
        self.assertEqual(status, 200, answer)

    def documents(self):
        """Receipts in the simulators' FNs: {(fn, number): (operation 1054, total)}."""
        return {(fn, d["number"]): (d["operation"], d["total"]) for fn, state in sim_archives(self.k.data_dir).items()
                for d in state["documents"] if d["type"] in (3, 31)}

    def act(self, path, body, key, who="courier-1"):
        """One action; its receipts must each be in an FN exactly once, and nothing else printed."""
        before = self.documents()
        status, answer, _ = self.call("POST", path + "?wait=30", body, who=who, key=key)
        self.assertEqual(status, 200, answer)
        new = {k: v for k, v in self.documents().items() if k not in before}
        self.assertEqual(len(new), len(answer["receipts"]), answer)
        for r in answer["receipts"]:
            self.assertEqual(r["state"], "confirmed", r)
            f = r["fiscal"]
            self.assertEqual(new[(f["fn_number"], f["fd_number"])], (r["receipt"]["tag1054"], r["receipt"]["total"]))
        return answer["receipts"]

    def fn_document(self, receipt):
        """The FN archive's document for a confirmed receipt: {tag: [values]} with its lines' tags."""
        f = receipt["fiscal"]
        (doc,) = [d for fn, state in sim_archives(self.k.data_dir).items() if fn == f["fn_number"]
                  for d in state["documents"] if d["number"] == f["fd_number"]]
        tags, lines = {}, []
        for tag, value in tlv(bytes.fromhex(doc["tlv"])):
            if tag == 1059:
                lines.append({t: v for t, v in tlv(value)})
            else:
                tags.setdefault(tag, []).append(value)
        return doc, tags, lines

    def test_a_refused_line_with_the_prepayment_above_it_refunded(self):
        self.put_order("DR-1")
        self.act("/v1/payments", {"customer": "C-DR-1", "electronic": 300000,
                                  "allocate": [{"order": "DR-1", "amount": 300000}]}, "dr1-pay", who="cashier")
        refund, settlement = self.act("/v1/orders/DR-1/delivery", {
            "delivered": [{"sku": "A", "qty": "1"}], "buyer_contact": CONTACT, "cashier": "Курьер Петров",
            "settlement_address": "г. Москва, ул. Садовая, д. 5"}, "dr1-door")
        # The prepayment above the 1 500.00 handed over goes back to the card, printed first.
        r = refund["receipt"]
        self.assertEqual((r["tag1054"], r["tag1081"], r["tag1031"], r["total"]), (2, 150000, 0, 150000))
        self.assertEqual([(l["tag1214"], l["tag1199"], l["vat"]) for l in r["lines"]], [(2, 12, 27049)])
        s = settlement["receipt"]
        self.assertEqual((s["tag1054"], s["tag1215"], s["tag1031"], s["total"]), (1, 150000, 0, 150000))
        self.assertEqual([(l["name"], l["qty"], l["tag1214"]) for l in s["lines"]], [("Товар А", "1", 4)])
        self.assertEqual(s["settlement_address"], "г. Москва, ул. Садовая, д. 5")
        _, view, _ = self.call("GET", "/v1/orders/DR-1")
        self.assertEqual((view["state"], view["prepaid"], view["delivered"], view["refused"]),
                         ("delivered", 0, 150000, 850000))
        self.assertEqual(view["refused_lines"], [{"sku": "A", "qty": "1"}, {"sku": "B", "qty": "1"}])
        # What was refused was never sold: it cannot come back.
        status, answer, _ = self.call("POST", "/v1/orders/DR-1/returns",
                                      {"lines": [{"sku": "B", "qty": "1"}], "refund": {"cash": 700000}}, key="dr1-ret")
        self.assertEqual((status, answer["code"]), (422, "return_exceeds_sold"), answer)

    def test_b_refused_prepayment_kept_as_advance_and_a_card_reference(self):
        self.put_order("DR-2")
        self.act("/v1/payments", {"customer": "C-DR-2", "electronic": 300000,
                                  "allocate": [{"order": "DR-2", "amount": 300000}]}, "dr2-pay", who="cashier")
        # B refused (7 000.00), A × 2 = 3 000.00 handed over: the prepayment covers it exactly, nothing
        # is above it. Then A × 1 only on another order, paid by card with the terminal's reference.
        receipts = self.act("/v1/orders/DR-2/delivery", {
            "delivered": [{"sku": "A", "qty": "2"}], "refused_prepayment": "advance", "buyer_contact": CONTACT},
            "dr2-door")
        self.assertEqual(len(receipts), 1)
        self.assertEqual(receipts[0]["receipt"]["tag1215"], 300000)
        self.put_order("DR-3")
        self.act("/v1/payments", {"customer": "C-DR-3", "cash": 500000,
                                  "allocate": [{"order": "DR-3", "amount": 500000}]}, "dr3-pay", who="cashier")
        back, settlement = self.act("/v1/orders/DR-3/delivery", {
            "delivered": [{"sku": "A", "qty": "1"}], "refused_prepayment": "advance", "buyer_contact": CONTACT},
            "dr3-door")
        # 5 000.00 prepaid, 1 500.00 handed over: 3 500.00 stays with entity A as the customer's advance.
        self.assertEqual((back["receipt"]["tag1054"], back["receipt"]["tag1215"], back["receipt"]["tag1031"]),
                         (2, 350000, 0))
        self.assertEqual(settlement["receipt"]["tag1215"], 150000)
        _, customer, _ = self.call("GET", "/v1/customers/C-DR-3")
        self.assertEqual(customer["advances"], [{"entity_inn": ENTITY_A, "balance": 350000}])
        # B alone, paid by card on the courier's terminal: its reference stays with the receipt.
        self.put_order("DR-5")
        (paid,) = self.act("/v1/orders/DR-5/delivery", {
            "delivered": [{"sku": "B", "qty": "1"}], "electronic": 700000, "card_reference": "123456789012",
            "buyer_contact": CONTACT}, "dr5-door")
        self.assertEqual((paid["receipt"]["tag1081"], paid["card_reference"]), (700000, "123456789012"))
        status, one, _ = self.call("GET", f"/v1/receipts/{paid['id']}")
        self.assertEqual((status, one.get("card_reference")), (200, "123456789012"))
        _, view, _ = self.call("GET", "/v1/orders/DR-5")
        self.assertEqual(view["receipts"][-1]["card_reference"], "123456789012")
        # A reference without card money, or a malformed one, is the caller's mistake.
        for n, body in enumerate(({"cash": 100, "card_reference": "1"}, {"electronic": 100, "card_reference": "12 34"})):
            status, answer, _ = self.call("POST", "/v1/orders/DR-1/delivery", body, key=f"dr-bad-{n}")
            self.assertEqual((status, answer["code"]), (400, "invalid_field"), answer)
        status, answer, _ = self.call("POST", "/v1/orders/DR-3/delivery", {"refused_prepayment": "keep"}, key="dr-bad-3")
        self.assertEqual((status, answer["code"]), (400, "invalid_field"), answer)

    def test_c_refusing_everything_cancels_the_order_and_keeps_its_prepayment_as_advance(self):
        self.put_order("DR-4", entity=ENTITY_B)
        self.act("/v1/payments", {"customer": "C-DR-4", "cash": 300000,
                                  "allocate": [{"order": "DR-4", "amount": 300000}]}, "dr4-pay", who="cashier")
        status, answer, _ = self.call("POST", "/v1/orders/DR-4/delivery",
                                      {"delivered": [{"sku": "A", "qty": "3"}]}, key="dr4-too-many")
        self.assertEqual((status, answer["code"]), (422, "delivered_exceeds_ordered"), answer)
        (back,) = self.act("/v1/orders/DR-4/delivery", {"delivered": [], "refused_prepayment": "advance"},
                           "dr4-door", who="cashier")
        self.assertEqual((back["receipt"]["tag1054"], back["receipt"]["tag1215"]), (2, 300000))
        _, view, _ = self.call("GET", "/v1/orders/DR-4")
        self.assertEqual((view["state"], view["prepaid"]), ("cancelled", 0))
        _, customer, _ = self.call("GET", "/v1/customers/C-DR-4")
        self.assertEqual(customer["advances"], [{"entity_inn": ENTITY_B, "balance": 300000}])

    def test_d_a_couriers_cash_is_handed_over_and_confirmed(self):
        # courier-2 takes 8 500.00 cash for two lines of three (one A refused) and 10 000.00 on entity B.
        self.put_order("CH-1", courier="courier-2")
        self.act("/v1/orders/CH-1/delivery", {"delivered": [{"sku": "A", "qty": "1"}, {"sku": "B", "qty": "1"}],
                                              "cash": 900000, "buyer_contact": CONTACT}, "ch1-door", who="courier-2")
        self.put_order("CH-2", entity=ENTITY_B, courier="courier-2")
        self.act("/v1/orders/CH-2/delivery", {"cash": 1000000, "buyer_contact": CONTACT}, "ch2-door", who="courier-2")
        status, cash, _ = self.call("GET", "/v1/couriers/me/cash", who="courier-2")
        self.assertEqual(status, 200, cash)
        held = {c["entity_inn"]: c["held"] for c in cash["cash"]}
        self.assertEqual(held, {ENTITY_A: 850000, ENTITY_B: 1000000})  # 1031 is net of the change
        # Cash of two entities: the courier says whose.
        status, answer, _ = self.call("POST", "/v1/couriers/me/handovers", {}, who="courier-2")
        self.assertEqual((status, answer["code"]), (422, "entity_required"), answer)
        status, answer, _ = self.call("POST", "/v1/couriers/me/handovers", {"entity_inn": ENTITY_A, "amount": 850001},
                                      who="courier-2")
        self.assertEqual((status, answer["code"]), (422, "handover_exceeds_cash"), answer)
        status, declared, _ = self.call("POST", "/v1/couriers/me/handovers", {"entity_inn": ENTITY_A}, who="courier-2")
        self.assertEqual(status, 201, declared)
        self.assertEqual((declared["amount"], declared["state"], declared["courier"]), (850000, "pending", "courier-2"))
        status, answer, _ = self.call("POST", "/v1/couriers/me/handovers", {"entity_inn": ENTITY_A}, who="courier-2")
        self.assertEqual((status, answer["code"]), (422, "nothing_to_hand_over"), answer)
        # Couriers cannot list or confirm; the office sees it pending and confirms it once.
        self.assertEqual(self.call("GET", "/v1/handovers", who="courier-2")[0], 403)
        self.assertEqual(self.call("POST", f"/v1/handovers/{declared['id']}/confirm", who="courier-2")[0], 403)
        _, pending, _ = self.call("GET", "/v1/handovers?state=pending")
        self.assertIn(declared["id"], [h["id"] for h in pending["handovers"]])
        status, done, _ = self.call("POST", f"/v1/handovers/{declared['id']}/confirm")
        self.assertEqual((status, done["state"], done["confirmed_by"]), (200, "confirmed", "cashier"), done)
        status, again, _ = self.call("POST", f"/v1/handovers/{declared['id']}/confirm")
        self.assertEqual((status, again["code"]), (409, "handover_not_pending"))
        self.assertEqual(self.call("POST", "/v1/handovers/999999/confirm")[0], 404)
        self.assertEqual(self.call("GET", "/v1/handovers?state=later")[0], 400)
        _, pending, _ = self.call("GET", "/v1/handovers")
        self.assertNotIn(declared["id"], [h["id"] for h in pending["handovers"]])
        _, cash, _ = self.call("GET", "/v1/couriers/me/cash", who="courier-2")
        held = {c["entity_inn"]: (c["held"], c["handed_over"]) for c in cash["cash"]}
        self.assertEqual(held, {ENTITY_A: (0, 850000), ENTITY_B: (1000000, 0)})
        _, audit, _ = self.call("GET", "/v1/audit?limit=1000", who="admin")
        actions = [a["action"] for a in audit["audit"] if a["action"].startswith("handover.")]
        self.assertEqual(sorted(actions), ["handover.confirm", "handover.declare"])

    def test_e_a_settlement_that_arrives_late_is_a_correction_with_its_true_date(self):
        # The phone settled two hours ago (its clock, +03:00) and had no signal; the receipt printed
        # now is a correction receipt (1173 = 0) naming that day, with the same ledger moves.
        settled = datetime.now(timezone(timedelta(hours=3))) - timedelta(hours=2)
        self.put_order("LT-1")
        (late,) = self.act("/v1/orders/LT-1/delivery", {
            "cash": 1000000, "buyer_contact": CONTACT, "settled_at": settled.isoformat(timespec="milliseconds")},
            "lt1-door")
        self.assertEqual(late["late"], "corrected")
        self.assertEqual(late["settled_at"], settled.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        day = datetime(settled.year, settled.month, settled.day, tzinfo=timezone.utc)
        self.assertEqual(late["receipt"]["correction"]["type"], "self")
        self.assertEqual(late["receipt"]["correction"]["date_unix"], int(day.timestamp()))
        self.assertEqual((late["receipt"]["tag1054"], late["receipt"]["tag1031"]), (1, 1000000))
        _, view, _ = self.call("GET", "/v1/orders/LT-1")
        self.assertEqual(view["state"], "delivered")
        _, listed, _ = self.call("GET", "/v1/late-settlements?state=all")
        self.assertIn(late["id"], [r["id"] for r in listed["receipts"]])
        _, open_, _ = self.call("GET", "/v1/late-settlements")
        self.assertNotIn(late["id"], [r["id"] for r in open_["receipts"]])  # corrected: nothing to confirm
        status, answer, _ = self.call("POST", f"/v1/late-settlements/{late['id']}/confirm")
        self.assertEqual((status, answer["code"]), (409, "late_not_listed"))
        # In time (a minute ago) is an ordinary receipt; in the future, or malformed, is refused.
        self.put_order("LT-2")
        recent = datetime.now(timezone.utc) - timedelta(minutes=1)
        (fine,) = self.act("/v1/orders/LT-2/delivery", {
            "cash": 1000000, "buyer_contact": CONTACT, "settled_at": recent.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
            "lt2-door")
        self.assertNotIn("late", fine)
        self.assertNotIn("correction", fine["receipt"])
        future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, answer, _ = self.call("POST", "/v1/orders/LT-1/delivery", {"cash": 1, "settled_at": future},
                                      key="lt-future")
        self.assertEqual((status, answer["code"]), (422, "settled_in_future"), answer)
        for n, bad in enumerate(("2026-12-02 14:05", "2026-02-30T10:00:00Z", "2026-12-02T25:00:00Z")):
            status, answer, _ = self.call("POST", "/v1/orders/LT-1/delivery", {"cash": 1, "settled_at": bad},
                                          key=f"lt-bad-{n}")
            self.assertEqual((status, answer["code"]), (400, "invalid_field"), bad)


    def test_f_an_order_says_how_it_is_paid_and_by_when(self):
        order = {"customer": "C-PM-1", "entity_inn": ENTITY_A, "lines": LINES, "courier": "courier-2",
                 "delivery_date": "2031-05-07", "delivery_address": "г. Москва, ул. Садовая, д. 7",
                 "customer_contact": CONTACT, "payment_method": "sbp", "deliver_from": "10:00", "deliver_by": "12:30"}
        status, answer, _ = self.call("PUT", "/v1/orders/PM-1", order)
        self.assertEqual(status, 200, answer)
        status, answer, _ = self.call("PUT", "/v1/orders/PM-2", {
            **order, "payment_method": "credit", "deliver_from": None, "deliver_by": "18:00"})
        self.assertEqual(status, 200, answer)
        status, mine, _ = self.call("GET", "/v1/couriers/me/orders?date=2031-05-07", who="courier-2")
        self.assertEqual(status, 200, mine)
        shown = {o["id"]: (o.get("payment_method"), o.get("deliver_from"), o.get("deliver_by"), o["credit_at_door"])
                 for o in mine["orders"]}
        self.assertEqual(shown, {"PM-1": ("sbp", "10:00", "12:30", False), "PM-2": ("credit", None, "18:00", True)})
        for n, bad in enumerate(({"payment_method": "barter"}, {"deliver_by": "25:00"}, {"deliver_from": "12:00"},
                                 {"deliver_from": "13:00", "deliver_by": "12:00"}, {"credit_allowed": "yes"},
                                 {"payment_method": "credit", "credit_allowed": False})):
            status, answer, _ = self.call("PUT", "/v1/orders/PM-3",
                                          {**order, "deliver_from": None, "deliver_by": None, **bad})
            self.assertEqual((status, answer["code"]), (400, "invalid_field"), (bad, answer))
        self.assertEqual(self.call("GET", "/v1/orders/PM-3")[0], 404)  # nothing stored by a refused write

    def test_g_on_credit_at_the_door_only_where_the_order_allows_it(self):
        self.put_order("CR-0")  # says nothing of credit: the default policy (order) refuses it
        status, answer, _ = self.call("POST", "/v1/orders/CR-0/delivery?wait=30",
                                      {"credit": 1000000, "buyer_contact": CONTACT}, who="courier-1", key="cr0-door")
        self.assertEqual((status, answer["code"]), (409, "credit_not_allowed"), answer)
        _, view, _ = self.call("GET", "/v1/orders/CR-0")
        self.assertEqual((view["state"], view["receipts"], view["credit_at_door"]), ("open", [], False))

        status, answer, _ = self.call("PUT", "/v1/orders/CR-1", {
            "customer": "C-CR-1", "entity_inn": ENTITY_A, "lines": LINES, "courier": "courier-1",
            "delivery_date": "2031-05-06", "delivery_address": "г. Москва, ул. Садовая, д. 9",
            "customer_contact": CONTACT, "payment_method": "credit", "deliver_by": "15:00"})
        self.assertEqual(status, 200, answer)
        before = self.documents()
        # B refused at the door; A × 2 = 3 000.00 handed over, all of it on credit.
        (sale,) = self.act("/v1/orders/CR-1/delivery", {
            "delivered": [{"sku": "A", "qty": "2"}], "credit": 300000, "buyer_contact": CONTACT,
            "cashier": "Курьер Петров", "settlement_address": "г. Москва, ул. Садовая, д. 9"}, "cr1-door")
        # Exactly one new document in all the FNs: this sale on credit, with the tags §3.8 wants.
        new = {k: v for k, v in self.documents().items() if k not in before}
        self.assertEqual(list(new.values()), [(1, 300000)])
        doc, tags, lines = self.fn_document(sale)
        self.assertEqual((doc["operation"], doc["total"]), (1, 300000))
        self.assertEqual([number(v) for v in tags[1054]], [1])
        self.assertEqual([number(v) for v in tags[1216]], [300000])
        for absent in (1031, 1081, 1215):
            self.assertEqual(sum(number(v) for v in tags.get(absent, [])), 0, absent)
        self.assertEqual([v.decode("cp866") for v in tags[1008]], [CONTACT])
        self.assertEqual([v.decode("cp866") for v in tags[1009]], ["г. Москва, ул. Садовая, д. 9"])
        self.assertEqual([v.decode("cp866") for v in tags[1021]], ["Курьер Петров"])
        self.assertEqual([(l[1030].decode("cp866"), number(l[1214]), number(l[1043])) for l in lines],
                         [("Товар А", 6, 300000)])
        _, view, _ = self.call("GET", "/v1/orders/CR-1")
        self.assertEqual((view["state"], view["credit_owed"], view["credit_at_door"]), ("delivered", 300000, False))

        # Allowed by the flag alone, after a prepayment: 1215 for what was prepaid, 1216 for the rest (1214 = 5).
        status, answer, _ = self.call("PUT", "/v1/orders/CR-2", {
            "customer": "C-CR-2", "entity_inn": ENTITY_A, "lines": LINES, "courier": "courier-1",
            "delivery_date": "2031-05-06", "payment_method": "cash", "credit_allowed": True})
        self.assertEqual(status, 200, answer)
        self.act("/v1/payments", {"customer": "C-CR-2", "electronic": 400000,
                                  "allocate": [{"order": "CR-2", "amount": 400000}]}, "cr2-pay", who="cashier")
        (sale,) = self.act("/v1/orders/CR-2/delivery", {"credit": 600000, "buyer_contact": CONTACT}, "cr2-door")
        _, tags, lines = self.fn_document(sale)
        self.assertEqual([number(tags[t][0]) for t in (1054, 1215, 1216)], [1, 400000, 600000])
        self.assertEqual(sorted(number(l[1214]) for l in lines), [5, 5])
        # A repayment of that credit later, taken while offline (settled_at): late, so a correction.
        settled = datetime.now(timezone.utc) - timedelta(hours=3)
        (repaid,) = self.act("/v1/orders/CR-2/credit-repayments", {
            "cash": 600000, "buyer_contact": CONTACT, "settled_at": settled.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "cr2-repay")
        self.assertEqual((repaid["late"], repaid["receipt"]["correction"]["type"]), ("corrected", "self"))
        self.assertEqual(repaid["settled_at"], settled.strftime("%Y-%m-%dT%H:%M:%SZ"))
        _, view, _ = self.call("GET", "/v1/orders/CR-2")
        self.assertEqual(view["credit_owed"], 0)

    def test_h_a_payment_taken_offline_keeps_its_time_too(self):
        self.put_order("LP-1")
        settled = datetime.now(timezone.utc) - timedelta(hours=2)
        (late,) = self.act("/v1/payments", {
            "customer": "C-LP-1", "cash": 200000, "allocate": [{"order": "LP-1", "amount": 200000}],
            "buyer_contact": CONTACT, "settled_at": settled.strftime("%Y-%m-%dT%H:%M:%SZ")}, "lp1-pay")
        self.assertEqual((late["late"], late["settled_at"]), ("corrected", settled.strftime("%Y-%m-%dT%H:%M:%SZ")))
        self.assertEqual(late["receipt"]["correction"]["type"], "self")
        _, view, _ = self.call("GET", "/v1/orders/LP-1")
        self.assertEqual(view["prepaid"], 200000)
        recent = datetime.now(timezone.utc) - timedelta(seconds=30)
        (fine,) = self.act("/v1/payments", {
            "customer": "C-LP-1", "cash": 100000, "allocate": [{"order": "LP-1", "amount": 100000}],
            "buyer_contact": CONTACT, "settled_at": recent.strftime("%Y-%m-%dT%H:%M:%SZ")}, "lp1-pay-2")
        self.assertNotIn("late", fine)


class LateSettlementsListedForTheOffice(SharedKassad):
    CONFIG_EXTRA = '\n[planner]\nlate_settlement = "list_for_office"\n'

    def test_a_late_settlement_is_printed_and_waits_for_the_office(self):
        headers = auth("cashier")
        status, answer, _ = self.k.request("PUT", "/v1/orders/LO-1", {
            "customer": "C-LO", "entity_inn": ENTITY_A, "lines": LINES}, headers=headers)
        self.assertEqual(status, 200, answer)
        settled = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, answer, _ = self.k.request("POST", "/v1/orders/LO-1/delivery?wait=30", {
            "cash": 1000000, "settled_at": settled}, headers={**headers, "Idempotency-Key": "lo1"})
        self.assertEqual(status, 200, answer)
        (r,) = answer["receipts"]
        self.assertEqual((r["state"], r["late"], r["settled_at"]), ("confirmed", "listed", settled))
        self.assertNotIn("correction", r["receipt"])
        _, listed, _ = self.k.request("GET", "/v1/late-settlements", headers=headers)
        self.assertEqual([x["id"] for x in listed["receipts"]], [r["id"]])
        self.assertEqual(self.k.request("GET", "/v1/late-settlements", headers=auth("courier-1"))[0], 403)
        status, done, _ = self.k.request("POST", f"/v1/late-settlements/{r['id']}/confirm", headers=headers)
        self.assertEqual((status, done["late"], done["late_confirmed_by"]), (200, "confirmed", "cashier"), done)
        _, listed, _ = self.k.request("GET", "/v1/late-settlements", headers=headers)
        self.assertEqual(listed["receipts"], [])
        status, again, _ = self.k.request("POST", f"/v1/late-settlements/{r['id']}/confirm", headers=headers)
        self.assertEqual((status, again["code"]), (409, "late_not_listed"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
