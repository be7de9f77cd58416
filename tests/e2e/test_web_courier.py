"""The courier page (issue #14) against the real kassad: the courier's day list over the API (own
orders only, date checked, the §3.11 cash-without-contact policy), then web/tests/browser/courier.mjs
in Debian's Chromium on a phone viewport: log in by link, list, cash with change, the check QR
(decoded here with zbarimg), a settlement taken offline and sent when the network returns, an order
paid by Kassa's SBP QR shown full screen, and one settled offline by a phone whose clock says 20
minutes ago (late: a correction), and one to be paid on credit by a deadline, settled «В кредит» and
followed by live events. The simulators' FN archives must then hold exactly one receipt per
settlement. Screenshots are kept under <build>/web-artifacts/courier/ (not committed)."""

import json
import os
import shutil
import subprocess
import sys
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, TOKENS, Kassad, auth, office_config, sim_archives  # noqa: E402

WEB_DIR = os.environ.get("KASSA_WEB_DIR") or os.path.join(os.environ["KASSA_SOURCE_DIR"], "web")
ARTIFACTS = os.path.join(os.environ["KASSA_BINARY_DIR"], "web-artifacts", "courier")
SBP = "https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2"  # entity A's static SBP link
LINE = {"sku": "S1", "name": "Пицца", "qty": "1", "price": 5000, "vat": "vat22"}


class WebCourier(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        entity_a = f'[[entities]]\ninn = "{ENTITY_A}"\n'
        cls.k = Kassad(config_text=office_config().replace(entity_a, entity_a + f'sbp_link = "{SBP}"\n', 1))

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def call(self, method, path, body=None, who="cashier", key=None):
        headers = dict(auth(who))
        if key:
            headers["Idempotency-Key"] = key
        return self.k.request(method, path, body, headers=headers)

    def test_1_a_courier_lists_only_their_own_orders_for_the_day(self):
        order = {"customer": "CA", "entity_inn": ENTITY_A, "lines": [LINE], "courier": "courier-1",
                 "delivery_date": "2031-05-06", "delivery_address": "г. Москва, ул. Садовая, д. 5",
                 "customer_contact": "buyer@example.ru"}
        status, answer, _ = self.call("PUT", "/v1/orders/D-1", order)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["delivery_address"], order["delivery_address"])
        status, _, _ = self.call("PUT", "/v1/orders/D-2", dict(order, courier="courier-2"))
        self.assertEqual(status, 200)
        status, mine, _ = self.call("GET", "/v1/couriers/me/orders?date=2031-05-06", who="courier-1")
        self.assertEqual(status, 200, mine)
        self.assertEqual([o["id"] for o in mine["orders"]], ["D-1"])
        self.assertEqual((mine["orders"][0]["owed"], mine["orders"][0]["customer_contact"]), (5000, "buyer@example.ru"))
        _, other_day, _ = self.call("GET", "/v1/couriers/me/orders?date=2031-05-07", who="courier-1")
        self.assertEqual(other_day["orders"], [])
        # Bad input is a 4xx with a code; a cashier has no "my orders".
        for query, code in (("", "missing_field"), ("?date=2031-02-30", "invalid_field"), ("?date=6.5.2031", "invalid_field")):
            status, answer, _ = self.call("GET", "/v1/couriers/me/orders" + query, who="courier-1")
            self.assertEqual((status, answer["code"]), (400, code), query)
        status, _, _ = self.call("GET", "/v1/couriers/me/orders?date=2031-05-06", who="cashier")
        self.assertEqual(status, 403)
        for field, value in (("delivery_date", "2031-13-01"), ("customer_contact", "+1 555"),
                             ("delivery_address", "x" * 300)):
            status, answer, _ = self.call("PUT", "/v1/orders/D-3", dict(order, **{field: value}))
            self.assertEqual(status, 400, (field, answer))
        # §3.11, [planner] courier_cash_requires_contact: cash at the door with no 1008 is refused.
        status, answer, _ = self.call("POST", "/v1/orders/D-1/delivery", {"cash": 5000}, who="courier-1", key="d1-no")
        self.assertEqual((status, answer["code"]), (422, "contact_required"), answer)
        self.assertEqual(self.call("GET", "/v1/orders/D-1")[1]["receipts"], [])

    def test_2_courier_page_in_chromium(self):
        before = self.receipts_in_fn()
        before_corrections = self.receipts_in_fn(types=(31,))
        env = dict(KASSA_URL=f"http://{self.k.host}:{self.k.port}", KASSA_TOKEN=TOKENS["cashier"][1],
                   KASSA_COURIER="courier-1", KASSA_COURIER_TOKEN=TOKENS["courier-1"][1], KASSA_ENTITY=ENTITY_A,
                   KASSA_ARTIFACTS=ARTIFACTS, KASSA_SBP_LINK=SBP)
        proc = subprocess.run(["node", "tests/browser/courier.mjs"], cwd=WEB_DIR, env=dict(os.environ, **env),
                              capture_output=True, text=True, timeout=540)
        sys.stdout.write(proc.stdout)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr + "".join(self.k.stderr_lines[-30:]))
        with open(os.path.join(ARTIFACTS, "result.json"), encoding="utf-8") as f:
            result = json.load(f)
        # The QR on the courier's screen is the receipt's check QR as the register fiscalised it.
        settlement = result["k1_receipts"][-1]
        status, receipt, _ = self.call("GET", f"/v1/receipts/{settlement}")
        self.assertEqual((status, receipt["state"]), (200, "confirmed"))
        self.assertEqual(receipt["receipt"].get("buyer_contact"), "+79990001122")
        decoded = subprocess.run(["zbarimg", "--raw", "-q", result["check_qr_png"]], capture_output=True, text=True)
        self.assertEqual(decoded.stdout.strip(), receipt["fiscal"]["qr"])
        # Exactly one receipt in the FN per action: K-1's prepayment and its settlement of what was
        # handed over (one drink refused: 1 234.50 + 150.00), K-2's settlement (sent once after the
        # phone came back online, though the page tried while offline).
        # K-3's prepayment and its settlement by SBP (456.00 with 100.00 offset); K-4's late
        # settlement, one correction receipt (type 31) though the page tried while offline; K-5's sale
        # on credit (543.00, nothing paid).
        after = self.receipts_in_fn()
        self.assertEqual(after - before, Counter({23450: 1, 138450: 1, 67800: 1, 10000: 1, 45600: 1, 78900: 1,
                                                 54300: 1}), after)
        self.assertEqual(self.receipts_in_fn(types=(31,)) - before_corrections, Counter({78900: 1}))
        _, k1, _ = self.call("GET", "/v1/orders/K-1")
        lines = k1["receipts"][-1]["receipt"]["lines"]
        self.assertEqual([(l["name"], l["qty"]) for l in lines], [("Пицца", "1"), ("Напиток", "1")])
        self.assertEqual(k1["receipts"][-1]["receipt"]["tag1031"], 115000)  # net of the 350.00 change

    def receipts_in_fn(self, types=(3, 31)):
        """Receipt totals (kopecks) → how many receipts with that total the simulators' FNs hold."""
        return Counter(d["total"] for state in sim_archives(self.k.data_dir).values()
                       for d in state["documents"] if d["type"] in types)


if __name__ == "__main__":
    unittest.main(verbosity=2)
