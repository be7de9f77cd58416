"""QR codes from kassad, decoded with zbarimg (Debian's zbar-tools) byte for byte: the receipt-check
QR of a confirmed receipt, and GOST R 56042 / SBP payment QR codes for what an order owes."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import TOKENS, Kassad, auth, temp_dir  # noqa: E402

import hashlib  # noqa: E402


def inn10(first9):
    """A 10-digit INN with its check digit (weights of the FNS algorithm)."""
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return first9 + str(sum(int(d) * w for d, w in zip(first9, weights)) % 11 % 10)


def with_key(prefix, account):
    """The account with its control key (9th digit) set for the Bank of Russia check: weights
    7,1,3 over prefix + account, the sum of the products' last digits a multiple of 10."""
    digits = prefix + account[:8] + "0" + account[9:]
    weights = [7, 1, 3] * 8
    s = sum((int(d) * w) % 10 for d, w in zip(digits, weights))
    key = (-(s % 10) * 7) % 10  # the key's weight is 3, and 3 × 7 ≡ 1 (mod 10)
    return account[:8] + str(key) + account[9:]


BIC = "044525999"
INN = inn10("770987654")
ACCOUNT = with_key(BIC[-3:], "40702810000000012345")
CORR = with_key("0" + BIC[4:6], "30101810000000000999")
SBP = "https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2"


def decode(png_bytes):
    path = os.path.join(temp_dir("qr-"), "code.png")
    with open(path, "wb") as f:
        f.write(png_bytes)
    out = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", path], capture_output=True, check=True).stdout
    return out.rstrip(b"\n")


class Qr(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        digest = hashlib.sha256(TOKENS["cashier"][1].encode()).hexdigest()
        config = (f'[[entities]]\ninn = "{INN}"\nname = "ООО «Гамма»"\nbank_name = "ПАО Банк"\nbank_bic = "{BIC}"\n'
                  f'bank_account = "{ACCOUNT}"\nbank_corr_account = "{CORR}"\nkpp = "770901001"\nsbp_link = "{SBP}"\n'
                  f'[[registers]]\nid = "g-1"\nuri = "sim://embedded"\nentity_inn = "{INN}"\n'
                  f'[[tokens]]\nname = "cashier"\nrole = "cashier"\nsha256 = "{digest}"\n')
        cls.k = Kassad(config_text=config)
        status, answer, _ = cls.k.request("PUT", "/v1/orders/Q-1", headers=auth("cashier"), body={
            "customer": "Q-C1", "lines": [{"sku": "A", "name": "Товар А", "qty": "2", "price": 150000, "vat": "vat22"}]})
        assert status == 200, answer

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def get(self, path):
        conn = self.k.connection()
        conn.request("GET", path, headers=auth("cashier"))
        res = conn.getresponse()
        body = res.read()
        conn.close()
        return res.status, res.getheader("Content-Type"), body

    def test_receipt_check_qr_decodes_to_the_receipts_qr_string(self):
        status, answer, _ = self.k.request("POST", "/v1/payments?wait=30", headers={**auth("cashier"),
                                           "Idempotency-Key": "qr-pay"},
                                           body={"customer": "Q-C2", "cash": 12345})
        self.assertEqual(status, 200, answer)
        receipt = answer["receipts"][0]
        status, ctype, png = self.get(f"/v1/receipts/{receipt['id']}/qr")
        self.assertEqual((status, ctype), (200, "image/png"))
        self.assertEqual(decode(png), receipt["fiscal"]["qr"].encode())
        self.assertIn("&s=123.45&", receipt["fiscal"]["qr"])
        status, ctype, svg = self.get(f"/v1/receipts/{receipt['id']}/qr?format=svg")
        self.assertEqual((status, ctype), (200, "image/svg+xml"))
        self.assertTrue(svg.startswith(b"<?xml") or svg.startswith(b"<svg"))

    def test_gost_payment_qr_for_what_the_order_owes(self):
        # Worked by hand from GOST R 56042-2014: the service header ST0001 + charset 2 (UTF-8), then
        # the mandatory fields in order, '|' between them, Sum in kopecks.
        want = (f"ST00012|Name=ООО «Гамма»|PersonalAcc={ACCOUNT}|BankName=ПАО Банк|BIC={BIC}|"
                f"CorrespAcc={CORR}|PayeeINN={INN}|KPP=770901001|Sum=300000|Purpose=Оплата заказа №Q-1").encode()
        status, ctype, png = self.get("/v1/orders/Q-1/payment-qr")
        self.assertEqual((status, ctype), (200, "image/png"))
        self.assertEqual(decode(png), want)
        status, _, body = self.get("/v1/orders/Q-1/payment-qr?format=json&amount=100")
        self.assertEqual(status, 200)
        self.assertIn(b"Sum=100|", body)

    def test_sbp_link_is_the_banks_link_unchanged(self):
        status, ctype, png = self.get("/v1/orders/Q-1/payment-qr?kind=sbp")
        self.assertEqual((status, ctype), (200, "image/png"))
        self.assertEqual(decode(png), SBP.encode())

    def test_qr_refusals(self):
        self.assertEqual(self.get("/v1/orders/Q-1/payment-qr?kind=bitcoin")[0], 400)
        self.assertEqual(self.get("/v1/orders/Q-1/payment-qr?amount=1.5")[0], 400)
        self.assertEqual(self.get("/v1/orders/Q-1/payment-qr?kind=sbp&link=https://evil.example/pay")[0], 422)
        self.assertEqual(self.get("/v1/orders/none/payment-qr")[0], 404)
        self.assertEqual(self.get("/v1/receipts/999/qr")[0], 404)
        _, answer, _ = self.k.request("POST", "/v1/payments?wait=30", headers={**auth("cashier"),
                                      "Idempotency-Key": "qr-refusals"}, body={"customer": "Q-C3", "cash": 100})
        rid = answer["receipts"][0]["id"]
        self.assertEqual(self.get(f"/v1/receipts/{rid}/qr?format=gif")[0], 400)
        self.assertEqual(self.get(f"/v1/receipts/{rid}/qr?size=1000")[0], 400)


if __name__ == "__main__":
    unittest.main(verbosity=2)
