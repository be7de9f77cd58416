"""The office dashboard against the real kassad: the pages served by kassad itself (types, caching,
no path traversal, the start-up line), then the browser test web/tests/browser/office.mjs in
Debian's Chromium, whose QR screenshot is decoded here with zbarimg. Screenshots are kept under
<build>/web-artifacts/ (not committed)."""

import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINARY_DIR, ENTITY_A, ENTITY_B, TOKENS, Kassad, auth, office_config, temp_dir  # noqa: E402

WEB_DIR = os.environ.get("KASSA_WEB_DIR") or os.path.join(os.environ["KASSA_SOURCE_DIR"], "web")
ARTIFACTS = os.path.join(os.environ["KASSA_BINARY_DIR"], "web-artifacts", "office")
BOUND_TOKEN = "cashier-b-token-0123456789abcdef0123456"  # a cashier of entity B only
KASSA_SIM = os.path.join(BINARY_DIR, "simulators", "shtrih", "kassa-sim")


def run_browser(script, **env):
    """Runs web/tests/browser/<script> with the given environment; returns (exit code, output)."""
    proc = subprocess.run(["node", f"tests/browser/{script}"], cwd=WEB_DIR, env=dict(os.environ, **env),
                          capture_output=True, text=True, timeout=540)
    sys.stdout.write(proc.stdout)
    return proc.returncode, proc.stdout + proc.stderr


def setUpModule():
    # Each run's screenshots only (they are artifacts, never committed).
    shutil.rmtree(os.path.dirname(ARTIFACTS), ignore_errors=True)


def raw_get(kassad, target):
    """GET with the target sent as is (http.client does not normalise '..')."""
    conn = http.client.HTTPConnection(kassad.host, kassad.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        res = conn.getresponse()
        return res.status, res.read(), res
    finally:
        conn.close()


class WebOffice(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        bound = hashlib.sha256(BOUND_TOKEN.encode()).hexdigest()
        cls.kassad = Kassad(config_text=office_config(
            f'\n[[tokens]]\nname = "cashier-b"\nrole = "cashier"\nsha256 = "{bound}"\nentities = ["{ENTITY_B}"]\n'))

    @classmethod
    def tearDownClass(cls):
        cls.kassad.__exit__(None, None, None)

    def test_1_kassad_serves_the_pages(self):
        status, body, res = raw_get(self.kassad, "/office/")
        self.assertEqual(status, 200)
        self.assertEqual(res.getheader("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(res.getheader("Cache-Control"), "no-cache")
        self.assertIn(b'lang="ru"', body)
        # The page's own bundles, content-hashed and cached for a year.
        script = body.split(b'src="', 1)[1].split(b'"', 1)[0].decode()
        self.assertTrue(script.startswith("/assets/"), script)
        status, _, res = raw_get(self.kassad, script)
        self.assertEqual(status, 200)
        self.assertEqual(res.getheader("Content-Type"), "text/javascript; charset=utf-8")
        self.assertIn("immutable", res.getheader("Cache-Control"))
        status, _, res = raw_get(self.kassad, "/")
        self.assertEqual((status, res.getheader("Location")), (302, "/office/"))
        status, _, _ = raw_get(self.kassad, "/courier/")
        self.assertEqual(status, 200)
        # No token needed for the pages; still needed for the data.
        status, _, _ = raw_get(self.kassad, "/v1/registers")
        self.assertEqual(status, 401)

    def test_1b_courier_first_load_within_150_kb_gzip(self):
        """The courier page's budget (issue #14): its HTML and every script, style and preload it
        names, gzip-compressed, at most 150 KB. Measured on what kassad serves."""
        status, html, _ = raw_get(self.kassad, "/courier/")
        self.assertEqual(status, 200)
        total = len(gzip.compress(html))
        for url in set(re.findall(rb'(?:src|href)="(/assets/[^"]+)"', html)):
            status, body, _ = raw_get(self.kassad, url.decode())
            self.assertEqual(status, 200, url)
            total += len(gzip.compress(body))
        print(f"courier first load: {total} bytes gzip")
        self.assertLessEqual(total, 150 * 1024)

    def test_2_no_path_leaves_the_web_root(self):
        for target in ("/assets/../../../../etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd",
                       "/office/%2e%2e/%2e%2e/CMakeCache.txt", "/assets/%2e%2e", "/office/..%5c..%5cCMakeCache.txt",
                       "/courier/.hidden", "/assets/nope.js"):
            status, body, _ = raw_get(self.kassad, target)
            self.assertIn(status, (404, 400), target)  # 400: the router refuses an unsafe {file} first
            self.assertNotIn(b"root:", body, target)

    def test_3_startup_line_says_where_the_pages_are(self):
        lines = self.kassad.await_stdout("  stop:")
        self.assertIn(f"office: http://{self.kassad.host}:{self.kassad.port}/office/", lines)
        # This config lists tokens, so there is no admin-token file to point at.
        self.assertIn("a cashier or admin token", lines)

    def test_4_office_dashboard_in_chromium(self):
        env = dict(KASSA_URL=f"http://{self.kassad.host}:{self.kassad.port}",
                   KASSA_TOKEN=TOKENS["cashier"][1],
                   KASSA_ENTITY=ENTITY_A,
                   KASSA_REGISTER="a-tcp",
                   KASSA_ARTIFACTS=ARTIFACTS)
        code, output = run_browser("office.mjs", **env)
        self.assertEqual(code, 0, output + "".join(self.kassad.stderr_lines[-30:]))
        with open(os.path.join(ARTIFACTS, "result.json"), encoding="utf-8") as f:
            result = json.load(f)
        # The QR the page shows is the receipt's check QR, as the register fiscalised it.
        status, receipt, _ = self.kassad.request("GET", f"/v1/receipts/{result['journal_receipt']}",
                                                 headers=auth("cashier"))
        self.assertEqual(status, 200)
        decoded = subprocess.run(["zbarimg", "--raw", "-q", result["qr_png"]], capture_output=True, text=True)
        self.assertEqual(decoded.stdout.strip(), receipt["fiscal"]["qr"])
        # The wizard's return made as many receipts as the same return over the API, each confirmed.
        self.assertEqual(len(result["wizard_receipts"]), len(result["api_receipts"]))
        for rid in result["wizard_receipts"]:
            status, r, _ = self.kassad.request("GET", f"/v1/receipts/{rid}", headers=auth("cashier"))
            self.assertEqual((status, r["state"]), (200, "confirmed"))


    # DESIGN.md §4: a token bound to entities reads only those (the server decides; the page shows it).
    def test_5_a_cashier_bound_to_one_entity_sees_only_it(self):
        # After test_4, whose receipts are all entity A's: none of them may show.
        code, output = run_browser("bound.mjs", KASSA_URL=f"http://{self.kassad.host}:{self.kassad.port}",
                                   KASSA_TOKEN=BOUND_TOKEN, KASSA_REGISTERS="b-pty,b-tcp",
                                   KASSA_ARTIFACTS=os.path.join(ARTIFACTS, "..", "bound"))
        self.assertEqual(code, 0, output)


class WebAttention(unittest.TestCase):
    """A register whose tape runs out (an outside kassa-sim with a fault script) shows in Needs
    attention; paper loaded and «Продолжить» pressed in the page, the receipt that waited is in the
    FN exactly once."""

    def test_paper_out_register_resumes_from_the_page(self):
        work = temp_dir("web-paper-")
        state = os.path.join(work, "fn.json")
        faults = os.path.join(work, "faults")
        with open(faults, "w", encoding="utf-8") as f:
            f.write("paper_out_after 1\n")  # the first receipt runs the tape out while it prints
        sim = subprocess.Popen([KASSA_SIM, "--tcp", "127.0.0.1:0", "--state", state, "--faults", faults,
                                "--inn", ENTITY_A, "--fn-serial", "9999078900000099"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            ready = sim.stdout.readline()  # "kassa-sim ready tcp 127.0.0.1:PORT" (EOF if it failed)
            self.assertIn("kassa-sim ready tcp", ready)
            cashier = TOKENS["cashier"][1]
            # FFD 1.2: the register refuses a receipt without 1009 / 1187 (settlement address and place).
            config = (f'[[entities]]\ninn = "{ENTITY_A}"\nname = "ООО «Альфа»"\ncashier = "Кассир Иванов"\n'
                      f'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n\n'
                      f'[[registers]]\nid = "paper"\nuri = "tcp://{ready.split()[-1]}"\nentity_inn = "{ENTITY_A}"\n\n'
                      f'[[tokens]]\nname = "cashier"\nrole = "cashier"\n'
                      f'sha256 = "{hashlib.sha256(cashier.encode()).hexdigest()}"\n')
            with Kassad(config_text=config) as kassad:
                pay = {"customer": "P1", "cash": 10000, "entity_inn": ENTITY_A}
                status, first, _ = kassad.request("POST", "/v1/payments?wait=30", pay,
                                                  headers={**auth("cashier"), "Idempotency-Key": "paper-1"})
                self.assertEqual(status, 200, first)
                status, second, _ = kassad.request("POST", "/v1/payments", dict(pay, cash=20000),
                                                   headers={**auth("cashier"), "Idempotency-Key": "paper-2"})
                self.assertEqual(status, 202, second)
                code, output = run_browser("attention.mjs",
                                           KASSA_URL=f"http://{kassad.host}:{kassad.port}", KASSA_TOKEN=cashier,
                                           KASSA_REGISTER="paper", KASSA_SIM_PID=str(sim.pid),
                                           KASSA_STUCK_RECEIPT=str(second["receipts"][0]["id"]),
                                           KASSA_ARTIFACTS=os.path.join(ARTIFACTS, "..", "attention"))
                self.assertEqual(code, 0, output + "".join(kassad.stderr_lines[-30:]))
                self.assertEqual(sim.stdout.readline().strip(), "kassa-sim paper loaded")
            with open(state, encoding="utf-8") as f:
                documents = json.load(f)["documents"]
            receipts = sorted(d["total"] for d in documents if d["type"] in (3, 31))
            self.assertEqual(receipts, [10000, 20000], "each payment in the FN exactly once")
        finally:
            sim.terminate()
            sim.wait(30)
            sim.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
