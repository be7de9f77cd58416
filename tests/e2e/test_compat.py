"""KKMServer and ATOL Web-server drop-ins: requests shaped as the peers' public examples
(peer-apis.md b1, b2) posted to kassad's compat listeners, answers checked field by field, and the
simulator's FN archive checked to hold exactly one document per request, also for a request
repeated after its answer was lost (same IdCommand, same uuid)."""

import base64
import decimal
import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINARY_DIR, ENTITY_A, ENTITY_B, TOKENS, Kassad, office_config, sim_archives, temp_dir  # noqa: E402

KASSA_SIM = os.path.join(BINARY_DIR, "simulators", "shtrih", "kassa-sim")

INN = "7701234567"
KKM_READY = re.compile(r"KKMServer-compatible /Execute on http://([0-9.]+):(\d+)")
ATOL_READY = re.compile(r"ATOL Web-server-compatible /api/v2/requests on http://([0-9.]+):(\d+)")


def basic(token, user="User"):
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


CASHIER = basic(TOKENS["cashier"][1])


def call(where, method, path, body=None, authorization=None, raw=None):
    """One HTTP request to a compat listener at (host, port): (status, parsed JSON answer)."""
    conn = http.client.HTTPConnection(where[0], int(where[1]), timeout=90)
    try:
        headers = {"Content-Type": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        if raw is None and body is not None:
            raw = json.dumps(body, ensure_ascii=False)
        conn.request(method, path, body=None if raw is None else raw.encode(), headers=headers)
        res = conn.getresponse()
        # Decimal: ATOL's sums are decimal numbers of rubles, compared exactly.
        return res.status, json.loads(res.read(), parse_float=decimal.Decimal)
    finally:
        conn.close()


def receipts_in_fn(data_dir):
    """Receipts and correction receipts (FN document types 3 and 31) of every simulated FN."""
    docs = []
    for state in sim_archives(data_dir).values():
        docs += [d for d in state["documents"] if d["type"] in (3, 31)]
    return docs


def drawer_of(data_dir, register="k-1"):
    """The cash the simulated register's drawer holds (its state file), in kopecks."""
    with open(os.path.join(data_dir, f"sim-{register}.fn"), encoding="utf-8") as f:
        return json.load(f)["cash_in_drawer"]


def config(compat):
    digests = "".join(
        f'[[tokens]]\nname = "{name}"\nrole = "{role}"\nsha256 = "{hashlib.sha256(tok.encode()).hexdigest()}"\n'
        for name, (role, tok) in TOKENS.items())
    return (f'[compat]\n{compat}\n'
            f'[[entities]]\ninn = "{INN}"\nname = "ООО «Альфа»"\ncashier = "Кассир Петров"\n'
            f'settlement_address = "г. Москва, ул. Примерная, д. 1"\n'
            f'[[registers]]\nid = "k-1"\nuri = "sim://embedded"\nentity_inn = "{INN}"\n' + digests)


class KkmServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kassad(config_text=config('kkmserver_listen = "127.0.0.1:0"'))
        m = KKM_READY.search(cls.k.await_stdout("KKMServer-compatible"))
        cls.kkm = (m.group(1), int(m.group(2)))

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def execute(self, command, authorization=CASHIER, raw=None):
        return call(self.kkm, "POST", "/Execute", command, authorization, raw)

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
        drawer = drawer_of(self.k.data_dir)
        deposit = {"Command": "DepositingCash", "Amount": 1000.50, "IdCommand": "cash-in-1", "CashierName": "Иванов И.И.",
                   "CashierVATIN": "430601071197"}
        self.assertEqual(self.ok(deposit)["Amount"], "1000.50")
        self.assertEqual(drawer_of(self.k.data_dir), drawer + 100050)
        status, again = self.execute(deposit)
        self.assertEqual((status, again["Status"]), (200, 5), again)
        self.assertEqual(drawer_of(self.k.data_dir), drawer + 100050, "the same IdCommand moves the drawer once")
        _, rezult = self.execute({"Command": "GetRezult", "IdCommand": "cash-in-1"})
        self.assertEqual((rezult["Status"], rezult["Rezult"]["Command"], rezult["Rezult"]["Status"]),
                         (0, "DepositingCash", 0), rezult)
        # The same IdCommand for another command is the caller's mistake, not a replay.
        status, answer = self.execute({"Command": "PaymentCash", "Amount": 1, "IdCommand": "cash-in-1"})
        self.assertEqual((status, answer["ErrorCode"]), (409, "idempotency_conflict"), answer)
        data = self.ok({"Command": "GetDataCheck", "FiscalNumber": final["CheckNumber"]})
        self.assertEqual(data["QRCode"], final["QRCode"])
        self.assertEqual({k: data["RegisterCheck"][k] for k in ("TypeCheck", "ElectronicPayment", "AdvancePayment")},
                         {"TypeCheck": 0, "ElectronicPayment": "3000.00", "AdvancePayment": "2000.00"})
        self.assertEqual(data["RegisterCheck"]["CheckStrings"][0]["Register"]["Tax"], -1)
        _, missing = self.execute({"Command": "GetDataCheck", "FiscalNumber": 999999})
        self.assertEqual(missing["Status"], 3)

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
        for command in ("OfdReport", "ValidationMarkingCode", "PayByPaymentCard", "PrintDocument", "OpenCashDrawer"):
            status, answer = self.execute({"Command": command, "IdCommand": "no-" + command})
            self.assertEqual((status, answer["Status"], answer["ErrorCode"]), (400, 2, "unsupported_command"), answer)
            self.assertEqual((answer["Command"], answer["IdCommand"]), (command, "no-" + command))
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


def position(name, price, method, obj="commodity", tax="none", quantity=1):
    return {"type": "position", "name": name, "price": price, "quantity": quantity, "amount": price * quantity,
            "paymentMethod": method, "paymentObject": obj, "tax": {"type": tax}}


def receipt_task(kind, items, payments, **extra):
    return {"type": kind, "taxationType": "osn", "electronically": True, "ignoreNonFiscalPrintErrors": True,
            "operator": {"name": "Иванов", "vatin": "123654789507"}, "items": items,
            "payments": [{"type": t, "sum": v} for t, v in payments], **extra}


class AtolWebServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kassad(config_text=config('atol_listen = "127.0.0.1:0"\natol_require_auth = false'))
        m = ATOL_READY.search(cls.k.await_stdout("ATOL Web-server-compatible"))
        cls.atol = (m.group(1), int(m.group(2)))

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def call(self, method, path, body=None, authorization=None):
        return call(self.atol, method, path, body, authorization)

    def run_batch(self, uuid, *tasks):
        """Posts the batch and returns its results once every task has finished (?wait)."""
        status, answer = self.call("POST", "/api/v2/requests", {"uuid": uuid, "request": list(tasks)})
        self.assertEqual(status, 201, answer)
        self.assertEqual(answer, {"uuid": uuid, "number": len(tasks)})
        status, answer = self.call("GET", f"/api/v2/requests/{uuid}?wait=30")
        self.assertEqual(status, 200, answer)
        for r in answer["results"]:
            self.assertEqual((r["status"], r["error"]["code"]), ("ready", 0), r)
        return answer["results"]

    def test_a_whole_day_prints_one_document_per_task(self):
        before = len(receipts_in_fn(self.k.data_dir))
        [opened] = self.run_batch("day-open", {"type": "openShift", "operator": {"name": "Иванов"}})
        shift = opened["result"]["fiscalParams"]["shiftNumber"]
        self.assertGreaterEqual(shift, 1)

        # The advance exactly as peer-apis.md b2 shows it, then the settlement offsetting it.
        adv_task = receipt_task("sell", [position("Аванс по заказу 1042", 2000, "advance", "payment")],
                                [("electronically", 2000)], clientInfo={"emailOrPhone": "+79161234567"}, total=2000)
        [adv] = self.run_batch("0ba40014-5fa5-11ea-b5e9-037d4786a49f", adv_task)
        fp = adv["result"]["fiscalParams"]
        for field in ("fiscalDocumentNumber", "fiscalDocumentSign", "fiscalDocumentDateTime", "fnNumber",
                      "shiftNumber", "fnsUrl"):
            self.assertIn(field, fp)
        self.assertEqual((fp["shiftNumber"], fp["total"]), (shift, "2000.00"))
        final_task = receipt_task("sell", [position("Доставка заказа 1042", 5000, "fullPayment", tax="vat22")],
                                  [("prepaid", 2000), ("electronically", 3000)])
        [final] = self.run_batch("ord-1042-final", final_task)
        self.assertEqual(final["result"]["fiscalParams"]["fiscalDocumentNumber"], fp["fiscalDocumentNumber"] + 1)

        # The POST's answer was lost and it comes again: refused as a duplicate, nothing printed twice.
        status, answer = self.call("POST", "/api/v2/requests", {"uuid": "ord-1042-final", "request": [final_task]})
        self.assertEqual((status, answer["error"]["kassaCode"]), (409, "duplicate_uuid"), answer)
        status, answer = self.call("GET", "/api/v2/requests/ord-1042-final")
        self.assertEqual(answer["results"], [final])

        [cash] = self.run_batch("cash-in", {"type": "cashIn", "cashSum": 1000.5, "operator": {"name": "Иванов"}})
        drawer = drawer_of(self.k.data_dir)
        # The drawer sum the register counts after it, in decimal rubles, exactly (counters.cashSum).
        self.assertEqual(cash["result"]["counters"]["cashSum"], decimal.Decimal(drawer) / 100)
        self.assertIsInstance(cash["result"]["counters"]["cashSum"], decimal.Decimal)
        [ret] = self.run_batch("ord-1042-ret", receipt_task(
            "sellReturn", [position("Товар", 100.25, "fullPayment", tax="vat22", quantity=2)], [("cash", 200.5)]))
        self.assertEqual(ret["result"]["fiscalParams"]["total"], "200.50")
        self.assertIn("&n=2", ret["result"]["fiscalParams"]["qr"])
        self.run_batch("corr-1", receipt_task("sellCorrection", [position("Товар без чека", 300, "fullPayment")],
                                              [("cash", 300)], correctionType="self", correctionBaseDate="2026.11.30"))
        results = self.run_batch("reads", {"type": "cashOut", "cashSum": 500}, {"type": "reportX"},
                                 {"type": "getShiftStatus"}, {"type": "getDeviceStatus"},
                                 {"type": "ofdExchangeStatus"}, {"type": "getFnInfo"})
        self.assertEqual(results[2]["result"]["shiftStatus"]["state"], "opened")
        self.assertEqual(results[2]["result"]["shiftStatus"]["number"], shift)
        self.assertTrue(results[3]["result"]["deviceStatus"]["paperPresent"])
        self.assertEqual(results[3]["result"]["deviceStatus"]["shift"], "opened")
        self.assertEqual(drawer_of(self.k.data_dir), drawer - 20050 + 30000 - 50000,
                         "the cash refund, the correction's cash and the cash out")
        self.assertEqual(results[0]["result"]["counters"]["cashSum"],
                         decimal.Decimal(drawer - 20050 + 30000 - 50000) / 100, "the drawer after the cash out")
        # The cash-in batch posted again (its answer lost): refused; its task answers from the ledger.
        status, answer = self.call("POST", "/api/v2/requests", {"uuid": "cash-in", "request": [
            {"type": "cashIn", "cashSum": 1000.5}]})
        self.assertEqual((status, answer["error"]["kassaCode"]), (409, "duplicate_uuid"), answer)
        self.assertGreaterEqual(results[4]["result"]["status"]["notSentCount"], 0)
        self.assertEqual(results[5]["result"]["fnInfo"]["serial"], fp["fnNumber"])
        self.run_batch("day-close", {"type": "closeShift"})
        [state] = self.run_batch("after-close", {"type": "getShiftStatus"})
        self.assertEqual(state["result"]["shiftStatus"]["state"], "closed")
        del cash

        docs = receipts_in_fn(self.k.data_dir)[before:]
        self.assertEqual(sorted(d["total"] for d in docs), sorted([200000, 500000, 20050, 30000]),
                         "one fiscal document per receipt task, none twice")

    def test_sums_the_device_would_refuse_print_nothing(self):
        before = len(receipts_in_fn(self.k.data_dir))
        status, answer = self.call("POST", "/api/v2/requests", {"uuid": "bad-sum", "request": [
            receipt_task("sell", [position("Товар", 20, "fullPayment")], [("cash", 10)])]})
        self.assertEqual((status, answer["error"]["kassaCode"]), (422, "amount_mismatch"), answer)
        self.assertIn("10.00", answer["error"]["description"])
        status, answer = self.call("POST", "/api/v2/requests", {"uuid": "bad-kopeck", "request": [
            receipt_task("sell", [position("Товар", 1.005, "fullPayment")], [("cash", 1.005)])]})
        self.assertEqual((status, answer["error"]["kassaCode"]), (400, "invalid_money"), answer)
        for task in ({"type": "nonFiscal"}, {"type": "openCashDrawer"}, {"type": "continuePrint"}):
            status, answer = self.call("POST", "/api/v2/requests", {"uuid": "bad-type", "request": [task]})
            self.assertEqual((status, answer["error"]["kassaCode"]), (400, "unsupported_task"), answer)
            self.assertIn("Не поддерживается", answer["error"]["description"])
        status, answer = self.call("POST", "/api/v2/requests", {"uuid": "bad-cash", "request": [
            {"type": "cashIn", "sum": 10}]})
        self.assertEqual((status, answer["error"]["kassaCode"]), (400, "missing_field"), answer)
        self.assertEqual(self.call("GET", "/api/v2/requests/bad-sum")[0], 404)
        self.assertEqual(len(receipts_in_fn(self.k.data_dir)), before)

    def test_basic_auth_is_optional_but_checked_when_sent(self):
        self.assertEqual(self.call("GET", "/api/v2/requests/none")[0], 404)  # anonymous: let in, nothing there
        self.assertEqual(self.call("GET", "/api/v2/requests/none", authorization=basic("wrong"))[0], 401)
        self.assertEqual(self.call("GET", "/api/v2/requests/none", authorization=CASHIER)[0], 404)


class KkmRouting(unittest.TestCase):
    """Two legal entities, two registers each (one of B's an ATOL): InnKkm and NumDevice choose."""

    def test_inn_and_device_number_pick_the_register(self):
        with Kassad(config_text=office_config('\n[compat]\nkkmserver_listen = "127.0.0.1:0"\n')) as k:
            kkm = KKM_READY.search(k.await_stdout("KKMServer-compatible")).groups()
            _, listed = call(kkm, "POST", "/Execute", {"Command": "List"}, CASHIER)
            units = {u["NumDevice"]: (u["IdDevice"], u["INN"]) for u in listed["ListUnit"]}
            self.assertEqual(units, {1: ("a-tcp", ENTITY_A), 2: ("a-pty", ENTITY_A), 3: ("b-tcp", ENTITY_B),
                                     4: ("b-pty", ENTITY_B)})
            fn = {}
            for n in units:
                _, kkt = call(kkm, "POST", "/Execute", {"Command": "GetDataKKT", "NumDevice": n}, CASHIER)
                fn[n] = kkt["Info"]["FN_Number"]

            def sell(id_command, **routing):
                status, answer = call(kkm, "POST", "/Execute", {
                    "Command": "RegisterCheck", "IdCommand": id_command, "Timeout": 30, "TypeCheck": 0,
                    "CheckStrings": [{"Register": {"Name": "Товар", "Quantity": 1, "Price": 15, "Tax": 22}}],
                    "Cash": 15, **routing}, CASHIER)
                self.assertEqual((status, answer["Status"]), (200, 0), answer)
                return answer["FnNumber"]

            self.assertEqual(sell("route-3", NumDevice=3), fn[3])  # the ATOL register of entity B
            self.assertEqual(sell("route-b2", InnKkm=ENTITY_B, NumDevice=2), fn[4])
            self.assertIn(sell("route-b", InnKkm=ENTITY_B), (fn[3], fn[4]))
            status, answer = call(kkm, "POST", "/Execute", {
                "Command": "RegisterCheck", "IdCommand": "route-none", "TypeCheck": 0,
                "CheckStrings": [{"Register": {"Name": "Товар", "Quantity": 1, "Price": 15}}], "Cash": 15}, CASHIER)
            self.assertEqual((status, answer["ErrorCode"]), (422, "entity_required"), answer)


class AfterRestart(unittest.TestCase):
    """Both listeners; the requests are repeated by a client whose answer was lost in a restart."""

    def start(self, data_dir=None):
        k = Kassad(config_text=config('kkmserver_listen = "127.0.0.1:0"\natol_listen = "127.0.0.1:0"'),
                   data_dir=data_dir)
        out = k.await_stdout("ATOL Web-server-compatible")
        k.kkm = tuple(KKM_READY.search(out).groups())
        k.atol = tuple(ATOL_READY.search(out).groups())
        return k

    def post(self, where, path, body):
        return call(where, "POST" if body is not None else "GET", path, body, CASHIER)

    def test_repeats_after_a_restart_print_nothing_twice(self):
        check = {"Command": "RegisterCheck", "IdCommand": "restart-1", "Timeout": 30, "TypeCheck": 0,
                 "CheckStrings": [{"Register": {"Name": "Товар", "Quantity": 1, "Price": 70, "Tax": -1}}], "Cash": 70}
        batch = {"uuid": "restart-2", "request": [
            receipt_task("sell", [position("Товар", 80, "fullPayment")], [("cash", 80)]),
            {"type": "cashIn", "cashSum": 300}]}
        deposit = {"Command": "DepositingCash", "Amount": 500, "IdCommand": "restart-cash", "Timeout": 30}
        with self.start() as k:
            data_dir = k.data_dir
            status, first = self.post(k.kkm, "/Execute", check)
            self.assertEqual((status, first["Status"]), (200, 0), first)
            self.assertEqual(self.post(k.atol, "/api/v2/requests", batch)[0], 201)
            status, atol_first = self.post(k.atol, "/api/v2/requests/restart-2?wait=30", None)
            self.assertEqual([r["status"] for r in atol_first["results"]], ["ready", "ready"], atol_first)
            status, cash_first = self.post(k.kkm, "/Execute", deposit)
            self.assertEqual((status, cash_first["Status"]), (200, 0), cash_first)
            drawer = drawer_of(data_dir)
            self.assertEqual(k.stop(), 0)
            with self.start(data_dir) as k2:
                status, again = self.post(k2.kkm, "/Execute", check)
                self.assertEqual((status, again["Status"], again["CheckNumber"]), (200, 5, first["CheckNumber"]))
                # The restarted server does not remember the batch: it runs it again, and the ledger
                # answers its receipt from the first run.
                self.assertEqual(self.post(k2.atol, "/api/v2/requests", batch)[0], 201)
                status, atol_again = self.post(k2.atol, "/api/v2/requests/restart-2?wait=30", None)
                self.assertEqual(atol_again["results"][0]["result"], atol_first["results"][0]["result"])
                self.assertEqual(atol_again["results"][1]["status"], "ready", atol_again)
                # Register commands are kept in the ledger too: no second cash-in for either peer.
                status, cash_again = self.post(k2.kkm, "/Execute", deposit)
                self.assertEqual((status, cash_again["Status"]), (200, 5), cash_again)
                self.assertEqual(drawer_of(data_dir), drawer)
                totals = sorted(d["total"] for d in receipts_in_fn(data_dir))
                self.assertEqual(totals, [7000, 8000])


class KkmRunsAFailedCommandAgain(unittest.TestCase):
    """KKMServer runs a command again under an IdCommand whose last run ended in Error (peer-apis.md b1);
    Kassa does the same for a receipt the register refused (proven not fiscalised), never for one in
    doubt. The register here is registered for ОСН only, so an УСН receipt is refused by its FN."""

    def test_a_refused_receipt_runs_again_under_the_same_id_command(self):
        work = temp_dir("kkm-rerun-")
        sim = subprocess.Popen([KASSA_SIM, "--tcp", "127.0.0.1:0", "--state", os.path.join(work, "fn.json"),
                                "--inn", INN, "--fn-serial", "9999078900000077", "--tax-systems", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            ready = sim.stdout.readline()
            self.assertIn("kassa-sim ready tcp", ready)
            text = config('kkmserver_listen = "127.0.0.1:0"').replace(
                'uri = "sim://embedded"', f'uri = "tcp://{ready.split()[-1]}"')
            with Kassad(config_text=text) as k:
                kkm = tuple(KKM_READY.search(k.await_stdout("KKMServer-compatible")).groups())
                check = {"Command": "RegisterCheck", "IdCommand": "rerun-1", "Timeout": 30, "TypeCheck": 0,
                         "TaxVariant": "1", "Cash": 70,
                         "CheckStrings": [{"Register": {"Name": "Товар", "Quantity": 1, "Price": 70, "Tax": -1}}]}
                status, first = call(kkm, "POST", "/Execute", check, CASHIER)
                self.assertEqual((status, first["Status"]), (200, 2), first)
                self.assertTrue(first["Error"])
                # Corrected and sent again under the same IdCommand: it runs, as KKMServer would run it.
                check["TaxVariant"] = "0"
                status, second = call(kkm, "POST", "/Execute", check, CASHIER)
                self.assertEqual((status, second["Status"]), (200, 0), second)
                self.assertGreater(second["CheckNumber"], 0)
                # Once it succeeded, the same IdCommand is AlreadyDone with the printed receipt's numbers.
                status, third = call(kkm, "POST", "/Execute", check, CASHIER)
                self.assertEqual((status, third["Status"], third["CheckNumber"]), (200, 5, second["CheckNumber"]))
                _, rezult = call(kkm, "POST", "/Execute", {"Command": "GetRezult", "IdCommand": "rerun-1"}, CASHIER)
                self.assertEqual((rezult["Rezult"]["Status"], rezult["Rezult"]["CheckNumber"]),
                                 (0, second["CheckNumber"]))
            with open(os.path.join(work, "fn.json"), encoding="utf-8") as f:
                receipts = [d["total"] for d in json.load(f)["documents"] if d["type"] in (3, 31)]
            self.assertEqual(receipts, [7000], "the refused run printed nothing; the second printed once")
        finally:
            sim.terminate()
            sim.wait(30)
            sim.stdout.close()


class KkmAsyncRegisterCommands(unittest.TestCase):
    """Timeout 1 (KKMServer's asynchronous call) for shift and cash commands: the answer (Status 1,
    "in progress") leaves before the register has done anything: its simulator process is stopped
    (SIGSTOP) until the answer is in. GetRezult under the same IdCommand then gives the result, and
    the FN / drawer show exactly one operation each."""

    def test_shift_and_cash_commands_answer_at_once_and_run_once(self):
        work = temp_dir("kkm-async-")
        state = os.path.join(work, "fn.json")
        sim = subprocess.Popen([KASSA_SIM, "--tcp", "127.0.0.1:0", "--state", state, "--inn", INN,
                                "--fn-serial", "9999078900000088"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

        def fn():
            with open(state, encoding="utf-8") as f:
                return json.load(f)

        def shift_opens():
            return [d for d in fn()["documents"] if d["type"] == 2]

        try:
            ready = sim.stdout.readline()
            self.assertIn("kassa-sim ready tcp", ready)
            text = config('kkmserver_listen = "127.0.0.1:0"').replace(
                'uri = "sim://embedded"', f'uri = "tcp://{ready.split()[-1]}"')
            with Kassad(config_text=text) as k:
                kkm = tuple(KKM_READY.search(k.await_stdout("KKMServer-compatible")).groups())

                def execute(body):
                    return call(kkm, "POST", "/Execute", body, CASHIER)

                # The register is connected and idle before it is stopped.
                status, kkt = execute({"Command": "GetDataKKT", "NumDevice": 0})
                self.assertEqual((status, kkt["Status"]), (200, 0), kkt)
                opens_before = len(shift_opens())
                drawer_before = fn()["cash_in_drawer"]

                for command, done in (
                        ({"Command": "OpenShift", "IdCommand": "async-open", "CashierName": "Иванов И.И."},
                         lambda: len(shift_opens()) == opens_before + 1),
                        ({"Command": "DepositingCash", "IdCommand": "async-cash", "Amount": 123.45},
                         lambda: fn()["cash_in_drawer"] == drawer_before + 12345)):
                    sim.send_signal(signal.SIGSTOP)
                    try:
                        status, first = execute({**command, "Timeout": 1})
                        # Answered while the register could not have done it.
                        self.assertEqual((status, first["Status"], first["Error"]), (200, 1, ""), first)
                        self.assertEqual(first["Command"], command["Command"])
                        self.assertFalse(done(), "the register did nothing before the answer")
                        _, rezult = execute({"Command": "GetRezult", "IdCommand": command["IdCommand"]})
                        self.assertEqual((rezult["Status"], rezult["Rezult"]["Status"]), (0, 1), rezult)
                    finally:
                        sim.send_signal(signal.SIGCONT)
                    # The same IdCommand with a Timeout waits for the first run; it is not run again.
                    status, again = execute({**command, "Timeout": 30})
                    self.assertEqual((status, again["Status"]), (200, 5), again)
                    _, rezult = execute({"Command": "GetRezult", "IdCommand": command["IdCommand"]})
                    self.assertEqual((rezult["Status"], rezult["Rezult"]["Status"], rezult["Rezult"]["Command"]),
                                     (0, 0, command["Command"]), rezult)
                    self.assertTrue(done(), command)
                self.assertEqual(rezult["Rezult"]["Amount"], "123.45")
                self.assertEqual(len(shift_opens()), opens_before + 1, "one shift opened")
                self.assertEqual(fn()["cash_in_drawer"], drawer_before + 12345, "one cash-in")
        finally:
            if sim.poll() is None:
                sim.send_signal(signal.SIGCONT)
            sim.terminate()
            sim.wait(30)
            sim.stdout.close()


if __name__ == "__main__":
    unittest.main()
