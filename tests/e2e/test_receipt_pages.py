"""GET /v1/receipts a page at a time (keyset paging by id): 250 receipts walked 100 at a time give
every id exactly once, in order, both ways; filters and a token bound to one entity keep working
across pages; a cursor that is not one is 400 invalid_cursor. The `kassa receipts list` CLI follows
the pages."""

import hashlib
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, ENTITY_B, TOKENS, Kassad, auth, office_config  # noqa: E402

CLI = os.path.join(os.environ.get("KASSA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                   "tools", "kassa", "kassa")
BOUND_B = ("cashier-b", "cashier-b-token-0123456789abcdef0123456")
COUNT = 250


def bound_config():
    digest = hashlib.sha256(BOUND_B[1].encode()).hexdigest()
    return (f'\n[[tokens]]\nname = "{BOUND_B[0]}"\nrole = "cashier"\nsha256 = "{digest}"\n'
            f'entities = ["{ENTITY_B}"]\nregisters = []\n')


class ReceiptPages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.k = Kassad(config_text=office_config(bound_config()))
        cls.ids = {ENTITY_A: [], ENTITY_B: []}
        # Every third payment goes to entity B. No ?wait: the receipts are listed whatever their state.
        for i in range(COUNT):
            entity = ENTITY_B if i % 3 == 0 else ENTITY_A
            status, paid, _ = cls.k.request(
                "POST", "/v1/payments", body={"customer": f"page-{i}", "cash": 100 + i, "entity_inn": entity},
                headers={**auth("cashier"), "Idempotency-Key": f"page-{i}"})
            assert status in (200, 202), paid
            cls.ids[entity] += [r["id"] for r in paid["receipts"]]
        cls.all = sorted(cls.ids[ENTITY_A] + cls.ids[ENTITY_B])

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)

    def walk(self, query, headers=None, limit=100):
        """Every page of GET /v1/receipts?query: (ids in the order received, page sizes)."""
        ids, sizes, cursor = [], [], None
        for _ in range(COUNT):  # bounded: a cursor that never ends fails the test
            path = f"/v1/receipts?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
            status, page, _ = self.k.request("GET", path, headers=headers or auth("cashier"))
            self.assertEqual(status, 200, page)
            ids += [r["id"] for r in page["receipts"]]
            sizes.append(len(page["receipts"]))
            cursor = page.get("next")
            if not cursor:
                return ids, sizes
        self.fail("the pages never ended")

    def test_pages_of_100_give_every_id_once_in_order(self):
        self.assertEqual(len(self.all), COUNT)
        ids, sizes = self.walk("")
        self.assertEqual(ids, self.all)
        self.assertEqual(sizes, [100, 100, 50])
        newest, sizes = self.walk("&sort=desc")
        self.assertEqual(newest, self.all[::-1])
        self.assertEqual(sizes, [100, 100, 50])
        # Exactly a page's worth: the last page carries no `next`.
        ids, sizes = self.walk("", limit=125)
        self.assertEqual((ids, sizes), (self.all, [125, 125]))

    def test_filters_and_token_bindings_hold_across_pages(self):
        ids, _ = self.walk("&register=a-tcp", limit=7)
        status, whole, _ = self.k.request("GET", "/v1/receipts?register=a-tcp", headers=auth("cashier"))
        self.assertEqual(ids, [r["id"] for r in whole["receipts"]])
        self.assertNotIn("next", whole)
        # A token bound to entity B pages through B's receipts only, pages full.
        ids, sizes = self.walk("", headers={"Authorization": "Bearer " + BOUND_B[1]}, limit=30)
        self.assertEqual(ids, sorted(self.ids[ENTITY_B]))
        self.assertTrue(all(s == 30 for s in sizes[:-1]), sizes)

    def test_bad_cursor_limit_and_sort_are_400_with_a_code(self):
        status, first, _ = self.k.request("GET", "/v1/receipts?limit=10", headers=auth("cashier"))
        self.assertEqual(status, 200)
        for query, code in (("cursor=zz", "invalid_cursor"), ("cursor=abc", "invalid_cursor"),
                            ("cursor=" + "72312e612e2d31", "invalid_cursor"),  # "r1.a.-1"
                            (f"cursor={first['next']}&sort=desc", "invalid_cursor"),
                            ("limit=0", "invalid_field"), ("limit=1001", "invalid_field"),
                            ("limit=ten", "invalid_field"), ("sort=up", "invalid_field")):
            status, body, _ = self.k.request("GET", "/v1/receipts?" + query, headers=auth("cashier"))
            self.assertEqual((status, body["code"]), (400, code), query)
            self.assertTrue(body["message"])

    def test_cli_follows_the_pages(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
        env.update(KASSA_URL=f"http://{self.k.host}:{self.k.port}", KASSA_TOKEN=TOKENS["cashier"][1])

        def kassa(*args):
            p = subprocess.run([sys.executable, CLI, "--json", "receipts", "list", *args], capture_output=True,
                               text=True, env=env, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout)

        self.assertEqual([r["id"] for r in kassa()["receipts"]], self.all)
        newest = kassa("--limit", "100")
        self.assertEqual([r["id"] for r in newest["receipts"]], self.all[-100:])
        older = kassa("--limit", "100", "--cursor", newest["next"])
        self.assertEqual([r["id"] for r in older["receipts"]], self.all[-200:-100])


if __name__ == "__main__":
    unittest.main()
