"""KKMServer drop-in: requests shaped as KKMServer's public examples (peer-apis.md b1) posted to
kassad's compat listener over HTTP Basic, answers checked field by field, and the simulator's FN
archive checked to hold exactly one document per request, also for a request repeated after its
answer was lost (same IdCommand)."""

import base64
import hashlib
import http.client
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import TOKENS, Kassad, sim_archives  # noqa: E402

INN = "7701234567"
KKM_READY = re.compile(r"KKMServer-compatible /Execute on http://([0-9.]+):(\d+)")


def basic(token, user="User"):
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


CASHIER = basic(TOKENS["cashier"][1])


def receipts_in_fn(data_dir):
    """Receipts and correction receipts (FN document types 3 and 31) of every simulated FN."""
    docs = []
    for state in sim_archives(data_dir).values():
        docs += [d for d in state["documents"] if d["type"] in (3, 31)]
    return docs


class KkmServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        digests = "".join(
            f'[[tokens]]\nname = "{name}"\nrole = "{role}"\nsha256 = "{hashlib.sha256(tok.encode()).hexdigest()}"\n'
            for name, (role, tok) in TOKENS.items())
        config = (f'[compat]\nkkmserver_listen = "127.0.0.1:0"\n'
                  f'[[entities]]\ninn = "{INN}"\nname = "ООО «Альфа»"\ncashier = "Кассир Петров"\n'
                  f'settlement_address = "г. Москва, ул. Примерная, д. 1"\n'
                  f'[[registers]]\nid = "k-1"\nuri = "sim://embedded"\nentity_inn = "{INN}"\n' + digests)
        cls.k = Kassad(config_text=config)
        m = KKM_READY.search(cls.k.await_stdout("KKMServer-compatible"))
        cls.kkm = (m.group(1), int(m.group(2)))

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def execute(self, command, authorization=CASHIER, raw=None):
        conn = http.client.HTTPConnection(*self.kkm, timeout=90)
        try:
            headers = {"Content-Type": "application/json"}
            if authorization:
                headers["Authorization"] = authorization
            conn.request("POST", "/Execute", body=(raw if raw is not None else json.dumps(command, ensure_ascii=False)).encode(),
                         headers=headers)
            res = conn.getresponse()
            return res.status, json.loads(res.read())
        finally:
            conn.close()

    def ok(self, command):
        status, answer = self.execute(command)
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["Status"], answer["Error"]), (0, ""), answer)
        return answer

    def check(self, id_command, type_check, lines, timeout=30, **payments):
        return {"Command": "RegisterCheck", "NumDevice": 0, "InnKkm": "", "IdCommand": id_command,
                "Timeout": timeout, "IsFiscalCheck": True, "TypeCheck": type_check, "NotPrint": True,
                "CashierName": "Иванов И.И.", "CashierVATIN": "430601071197", "TaxVariant": "",
                "CheckStrings": [{"Register": line} for line in lines],
                "Cash": 0, "ElectronicPayment": 0, "AdvancePayment": 0, "Credit": 0, "CashProvision": 0, **payments}

    def test_a_whole_day_prints_one_document_per_request(self):
        before = len(receipts_in_fn(self.k.data_dir))
        opened = self.ok({"Command": "OpenShift", "NumDevice": 0, "IdCommand": "day-open",
                          "CashierName": "Иванов И.И."})
        self.assertGreaterEqual(opened["SessionNumber"], 1)
        self.assertEqual(opened["SessionState"], 2)

        # An advance (1214 = 3, 1212 = 10), then the settlement offsetting it (peer-apis.md b1).
        advance = self.ok(self.check("ord-1042-adv", 0, [
            {"Name": "Аванс по заказу 1042", "Quantity": 1, "Price": 2000, "Amount": 2000, "Tax": 22,
             "SignMethodCalculation": 3, "SignCalculationObject": 10}], ElectronicPayment=2000,
            ClientAddress="+79990001122"))
        self.assertGreater(advance["CheckNumber"], 0)
        self.assertEqual(advance["SessionNumber"], opened["SessionNumber"])
        self.assertIn("&s=2000.00&", advance["QRCode"])
        final_request = self.check("ord-1042-final-1", 0, [
            {"Name": "Доставка заказа 1042", "Quantity": 1, "Price": 5000, "Amount": 5000, "Tax": -1,
             "SignMethodCalculation": 4, "SignCalculationObject": 1}], ElectronicPayment=3000, AdvancePayment=2000)
        final = self.ok(final_request)
        self.assertEqual(final["CheckNumber"], advance["CheckNumber"] + 1)
        self.assertIn("&s=5000.00&", final["QRCode"])

        # The answer was lost: the same IdCommand again is not printed again; the first answer comes back.
        status, again = self.execute(final_request)
        self.assertEqual((status, again["Status"]), (200, 5), again)
        for field in ("CheckNumber", "SessionNumber", "SessionCheckNumber", "QRCode", "FiscalSign"):
            self.assertEqual(again[field], final[field], field)
        _, rezult = self.execute({"Command": "GetRezult", "IdCommand": "ord-1042-final-1"})
        self.assertEqual(rezult["Status"], 0)
        self.assertEqual(rezult["Rezult"]["CheckNumber"], final["CheckNumber"])
        self.assertEqual(rezult["Rezult"]["Status"], 0)

        # Cash into the drawer first, so the return below can pay cash out of it.
        self.ok({"Command": "DepositingCash", "Amount": 1000.50, "IdCommand": "cash-in-1"})
        # A return with kopecks, sent as decimal rubles.
        ret = self.ok(self.check("ord-1042-ret", 1, [
            {"Name": "Товар", "Quantity": 1.5, "Price": 100.5, "Amount": 150.75, "Tax": 22,
             "SignMethodCalculation": 4, "SignCalculationObject": 1}], Cash=150.75))
        self.assertIn("&s=150.75&", ret["QRCode"])
        self.assertIn("&n=2", ret["QRCode"])
        # A correction of a sale made without a receipt.
        corr = self.ok(self.check("ord-1042-corr", 2, [
            {"Name": "Товар без чека", "Quantity": 1, "Price": 300, "Tax": -1, "SignMethodCalculation": 4,
             "SignCalculationObject": 1}], Cash=300, CorrectionType=0, CorrectionBaseDate="2026-11-30T00:00:00"))
        self.assertGreater(corr["CheckNumber"], ret["CheckNumber"])

        # Asynchronous (Timeout 1): the answer comes at once; the same IdCommand with a timeout waits for it.
        status, run = self.execute(self.check("ord-1043", 0, [
            {"Name": "Товар", "Quantity": 1, "Price": 10, "Tax": 22}], timeout=1, Cash=10))
        self.assertEqual(status, 200, run)
        self.assertIn(run["Status"], (0, 1))
        status, done = self.execute(self.check("ord-1043", 0, [
            {"Name": "Товар", "Quantity": 1, "Price": 10, "Tax": 22}], timeout=30, Cash=10))
        self.assertEqual((status, done["Status"]), (200, 5), done)
        self.assertGreater(done["CheckNumber"], corr["CheckNumber"])

        self.ok({"Command": "PaymentCash", "Amount": 500, "IdCommand": "cash-out-1"})
        self.ok({"Command": "XReport", "IdCommand": "x-1"})
        kkt = self.ok({"Command": "GetDataKKT", "NumDevice": 0})
        self.assertEqual(kkt["Info"]["InnOrganization"], INN)
        self.assertEqual(kkt["Info"]["SessionState"], 2)
        closed = self.ok({"Command": "CloseShift", "IdCommand": "day-close"})
        self.assertEqual(closed["SessionState"], 1)
        self.assertEqual(closed["SessionNumber"], opened["SessionNumber"])

        docs = receipts_in_fn(self.k.data_dir)[before:]
        self.assertEqual(sorted(d["total"] for d in docs), sorted([200000, 500000, 15075, 30000, 1000]),
                         "one fiscal document per request, none twice")

    def test_sums_the_device_would_refuse_print_nothing(self):
        before = len(receipts_in_fn(self.k.data_dir))
        status, answer = self.execute(self.check("bad-sum", 0, [
            {"Name": "Товар", "Quantity": 1, "Price": 20, "Tax": -1}], Cash=10))
        self.assertEqual(status, 422, answer)
        self.assertEqual((answer["Status"], answer["ErrorCode"]), (2, "amount_mismatch"))
        self.assertIn("10.00", answer["Error"])
        status, answer = self.execute(self.check("bad-kopeck", 0, [
            {"Name": "Товар", "Quantity": 1, "Price": 1.005, "Tax": -1}], Cash=1.005))
        self.assertEqual((status, answer["Status"], answer["ErrorCode"]), (400, 2, "invalid_money"), answer)
        status, answer = self.execute(None, raw='{"Command": "RegisterCheck", ')
        self.assertEqual((status, answer["Status"], answer["ErrorCode"]), (400, 2, "invalid_json"), answer)
        status, answer = self.execute({"Command": "GetRezult", "IdCommand": "never-sent"})
        self.assertEqual((status, answer["Status"]), (200, 3), answer)
        status, answer = self.execute({"Command": "OfdReport"})
        self.assertEqual((status, answer["Status"], answer["ErrorCode"]), (400, 2, "unsupported_command"), answer)
        self.assertEqual(len(receipts_in_fn(self.k.data_dir)), before)

    def test_basic_auth_maps_onto_kassa_tokens(self):
        self.assertEqual(self.execute({"Command": "List"}, authorization=None)[0], 401)
        self.assertEqual(self.execute({"Command": "List"}, authorization=basic("wrong"))[0], 401)
        bearer = "Bearer " + TOKENS["cashier"][1]
        self.assertEqual(self.execute({"Command": "List"}, authorization=bearer)[0], 401)
        self.assertEqual(self.execute({"Command": "List"}, authorization=basic(TOKENS["courier-1"][1]))[0], 403)
        status, answer = self.execute({"Command": "List"}, authorization=basic(TOKENS["admin"][1], "Admin"))
        self.assertEqual(status, 200)
        self.assertEqual([(u["NumDevice"], u["IdDevice"], u["INN"]) for u in answer["ListUnit"]], [(1, "k-1", INN)])
        # Kassa's own API is not served on the compat port.
        conn = http.client.HTTPConnection(*self.kkm, timeout=30)
        conn.request("GET", "/v1/registers", headers={"Authorization": CASHIER})
        self.assertEqual(conn.getresponse().status, 404)
        conn.close()


if __name__ == "__main__":
    unittest.main()
