"""Tokens issued by Kassa (POST/GET /v1/tokens, DELETE /v1/tokens/{id}) and the live events
(GET /v1/events): made → used → revoked → 401 at once, streams included; stored only hashed;
bindings never wider than the maker's; a stream sees a payment's receipt to `confirmed` and nothing
of another entity's; Last-Event-ID resumes; a cap on streams per token."""

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, ENTITY_B, Kassad, SharedKassad, auth, office_config, temp_dir  # noqa: E402
from sse import END, EventStream  # noqa: E402

BOUND = {
    "admin-a": ("admin", "admin-a-token-0123456789abcdef012345678", [ENTITY_A], []),
    "cashier-b": ("cashier", "cashier-b-token-0123456789abcdef0123456", [ENTITY_B], []),
}


def bound_config():
    out = []
    for name, (role, token, entities, registers) in BOUND.items():
        digest = hashlib.sha256(token.encode()).hexdigest()
        out.append(f'[[tokens]]\nname = "{name}"\nrole = "{role}"\nsha256 = "{digest}"\n'
                   f'entities = {entities!r}\nregisters = {registers!r}\n'.replace("'", '"'))
    return "\n" + "\n".join(out)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def who(name):
    return bearer(BOUND[name][1]) if name in BOUND else auth(name)


def decode_text_qr(text):
    """The terminal QR (UTF-8 half blocks, light modules drawn) as a PGM, decoded by zbarimg."""
    rows = []
    for line in text.splitlines():
        top, bottom = [], []
        for ch in line:
            top.append(255 if ch in "█▀" else 0)
            bottom.append(255 if ch in "█▄" else 0)
        rows += [top, bottom]
    pad = 4  # more light margin than a terminal needs, for the decoder
    width = max(len(r) for r in rows)
    rows = [[255] * (width + 2 * pad)] * pad + [[255] * pad + r + [255] * (width - len(r) + pad) for r in rows] + \
        [[255] * (width + 2 * pad)] * pad
    scale = 6
    width, height = len(rows[0]) * scale, len(rows) * scale
    pixels = bytearray()
    for row in rows:
        line = bytearray()
        for v in row:
            line += bytes([v]) * scale
        pixels += bytes(line) * scale
    path = os.path.join(temp_dir("qr-"), "qr.pgm")
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (width, height) + bytes(pixels))
    return subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, check=True, text=True).stdout.strip()


class Tokens(SharedKassad):
    CONFIG_EXTRA = bound_config()

    def issue(self, maker="admin", expect=201, **body):
        status, out, res = self.k.request("POST", "/v1/tokens", body, headers=who(maker))
        self.assertEqual(status, expect, out)
        return out

    def test_issued_token_works_until_revoked_and_only_its_hash_is_stored(self):
        made = self.issue(name="Курьер Петров", role="courier", entities=[ENTITY_A])
        secret = made["token"]
        self.assertRegex(secret, r"^[0-9a-f]{64}$")
        self.assertEqual(made["link"], f"http://{self.k.host}:{self.k.port}/courier/#token={secret}")
        self.assertEqual(decode_text_qr(made["qr_text"]), made["link"])
        self.assertIn("<svg", made["qr_svg"])

        # Listed, never with the token.
        status, listed, res = self.k.request("GET", "/v1/tokens", headers=auth("admin"))
        self.assertEqual(status, 200)
        mine = [t for t in listed["tokens"] if t["id"] == made["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["name"], "Курьер Петров")
        self.assertEqual(mine[0]["entities"], [ENTITY_A])
        self.assertIsNone(mine[0]["revoked"])
        self.assertNotIn(secret, res.read().decode() + str(listed))

        # It works as the courier it names.
        status, out, _ = self.k.request("GET", "/v1/couriers/me/orders?date=2026-12-02", headers=bearer(secret))
        self.assertEqual(status, 200, out)
        status, out, _ = self.k.request("GET", "/v1/registers", headers=bearer(secret))
        self.assertEqual(status, 200, out)
        self.assertEqual({r["id"] for r in out["registers"]}, {"a-tcp", "a-pty"})  # its entity's only
        status, out, _ = self.k.request("GET", "/v1/audit", headers=bearer(secret))
        self.assertEqual(status, 403, out)  # a courier's role is a courier's

        # The ledger holds its SHA-256 and never the token (the WAL included).
        con = sqlite3.connect(f"file:{os.path.join(self.k.data_dir, 'kassa.sqlite')}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT sha256, name, role FROM tokens WHERE id = ?", (made["id"],)).fetchone()
        finally:
            con.close()
        self.assertEqual(row, (hashlib.sha256(secret.encode()).hexdigest(), "Курьер Петров", "courier"))
        for suffix in ("", "-wal"):
            path = os.path.join(self.k.data_dir, "kassa.sqlite" + suffix)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    self.assertNotIn(secret.encode(), f.read())

        status, out, _ = self.k.request("DELETE", f"/v1/tokens/{made['id']}", headers=auth("admin"))
        self.assertEqual(status, 200, out)
        self.assertIsNotNone(out["revoked"])
        status, out, _ = self.k.request("GET", "/v1/couriers/me/orders?date=2026-12-02", headers=bearer(secret))
        self.assertEqual(status, 401)
        self.assertEqual(out["code"], "unauthorized")
        # Revoking again changes nothing; a revoked token is listed only when asked for.
        status, again, _ = self.k.request("DELETE", f"/v1/tokens/{made['id']}", headers=auth("admin"))
        self.assertEqual((status, again["revoked"]), (200, out.get("revoked", again["revoked"])))
        _, listed, _ = self.k.request("GET", "/v1/tokens", headers=auth("admin"))
        self.assertNotIn(made["id"], [t["id"] for t in listed["tokens"]])
        _, listed, _ = self.k.request("GET", "/v1/tokens?revoked=true", headers=auth("admin"))
        self.assertIn(made["id"], [t["id"] for t in listed["tokens"]])

        # The audit log has both, without the token.
        _, audit, _ = self.k.request("GET", "/v1/audit?limit=1000", headers=auth("admin"))
        rows = [r for r in audit["audit"] if r.get("subject") == f"token {made['id']}"]
        self.assertEqual(sorted(r["action"] for r in rows), ["token.create", "token.revoke"])
        self.assertNotIn(secret, str(audit))

    def test_bindings_never_wider_than_the_makers(self):
        # An entity-bound admin: its own entity only, and never unbound.
        for body in ({"name": "x", "role": "courier"},
                     {"name": "x", "role": "courier", "entities": [ENTITY_B]},
                     {"name": "x", "role": "courier", "registers": ["b-tcp"]},
                     {"name": "x", "role": "cashier", "entities": [ENTITY_A, ENTITY_B]}):
            out = self.issue("admin-a", 403, **body)
            self.assertEqual(out["code"], "bindings_too_wide", body)
        inside = self.issue("admin-a", name="Курьер А", role="courier", registers=["a-tcp"])
        self.assertEqual(inside["registers"], ["a-tcp"])
        # A cashier issues couriers only.
        self.assertEqual(self.issue("cashier", 403, name="c2", role="cashier")["code"], "bindings_too_wide")
        self.issue("cashier", name="Курьер Б", role="courier", entities=[ENTITY_B])
        # A courier issues nothing; an issued courier neither.
        self.assertEqual(self.issue("courier-1", 403, name="c3", role="courier")["code"], "forbidden")
        self.assertEqual(
            self.k.request("POST", "/v1/tokens", {"name": "c", "role": "courier"}, headers=bearer(inside["token"]))[0],
            403)
        # Bad input is the caller's, nothing is stored.
        self.assertEqual(self.issue(expect=400, name="x", role="root")["code"], "invalid_field")
        self.assertEqual(self.issue(expect=400, name="x", role="courier", scope="all")["code"], "unknown_field")
        self.assertEqual(self.issue(expect=400, name="a\nb", role="courier")["code"], "invalid_field")
        self.assertEqual(self.issue(expect=422, name="x", role="courier", registers=["nope"])["code"],
                         "unknown_register")
        self.assertEqual(self.issue(expect=400, name="x", role="courier", registers=["a b"])["code"], "invalid_id")
        # admin-a sees and revokes only what it could have made.
        _, listed, _ = self.k.request("GET", "/v1/tokens", headers=who("admin-a"))
        names = {t["name"] for t in listed["tokens"]}
        self.assertIn("Курьер А", names)
        self.assertNotIn("Курьер Б", names)
        other = [t for t in self.k.request("GET", "/v1/tokens", headers=auth("admin"))[1]["tokens"]
                 if t["name"] == "Курьер Б"][0]
        self.assertEqual(self.k.request("DELETE", f"/v1/tokens/{other['id']}", headers=who("admin-a"))[0], 404)
        self.assertEqual(self.k.request("DELETE", "/v1/tokens/999999", headers=auth("admin"))[0], 404)

    def pay(self, order, inn, headers_, key, courier=None):
        body = {"customer": "C-" + order, "entity_inn": inn,
                "lines": [{"sku": "A", "name": "Товар", "qty": "1", "price": 10000, "vat": "vat22"}]}
        if courier:
            body.update(courier=courier, delivery_date="2026-12-02")
        status, out, _ = self.k.request("PUT", f"/v1/orders/{order}", body, headers=auth("admin"))
        self.assertIn(status, (200, 201), out)
        status, out, _ = self.k.request(
            "POST", "/v1/payments", {"customer": "C-" + order, "electronic": 10000,
                                     "allocate": [{"order": order, "amount": 10000}]},
            headers={**headers_, "Idempotency-Key": key})
        self.assertEqual(status, 202, out)
        return out["receipts"][0]["id"]

    def test_stream_follows_a_receipt_scoped_resumable_and_ends_on_revocation(self):
        courier = self.issue(name="Курьер Сидоров", role="courier", entities=[ENTITY_A])
        mine = EventStream(self.k, courier["token"])
        other = EventStream(self.k, BOUND["cashier-b"][1])
        self.assertEqual((mine.status, other.status), (200, 200))
        self.assertEqual(mine.res.getheader("Content-Type"), "text/event-stream; charset=utf-8")
        # The office stream starts with the registers it reaches, and only those.
        first = other.until(lambda e: e.get("event") == "register" and e["json"]["id"] == "b-pty")
        self.assertTrue(all(e["json"]["id"] in ("b-tcp", "b-pty") for e in first if e.get("event") == "register"))

        receipt = self.pay("EV-A", ENTITY_A, bearer(courier["token"]), "ev-a-1", courier="Курьер Сидоров")
        seen = mine.until(lambda e: e.get("event") == "receipt" and e["json"]["state"] == "confirmed")
        states = [e["json"]["state"] for e in seen if e.get("event") == "receipt"]
        self.assertEqual(states, ["planned", "sending", "confirmed"])
        self.assertTrue(all(e["json"]["id"] == receipt for e in seen))
        self.assertGreater(seen[-1]["json"]["fiscal"]["fd_number"], 0)
        self.assertFalse([e for e in seen if e.get("event") == "register"], "couriers get no register events")

        # Entity B's cashier: events come in one order for every stream, so once it has B's receipt
        # confirmed it has had its chance to see A's, and it saw none.
        b_receipt = self.pay("EV-B", ENTITY_B, auth("admin"), "ev-b-1")
        b_seen = other.until(lambda e: e.get("event") == "receipt" and e["json"]["state"] == "confirmed")
        self.assertEqual({e["json"]["id"] for e in b_seen if e.get("event") == "receipt"}, {b_receipt})
        self.assertTrue(all(e["json"]["id"] in ("b-tcp", "b-pty") for e in b_seen if e.get("event") == "register"))

        # Resume after the first event: the rest again, in order; an unknown id: one reset.
        again = EventStream(self.k, courier["token"], last_event_id=seen[0]["id"])
        replay = again.until(lambda e: e.get("event") == "receipt" and e["json"]["state"] == "confirmed")
        self.assertEqual([e["id"] for e in replay], [e["id"] for e in seen[1:]])
        again.close()
        lost = EventStream(self.k, courier["token"], last_event_id="00000000-5")
        self.assertEqual(lost.next()["event"], "reset")
        lost.close()

        # Revoked: the open stream says so and ends; a new one is refused.
        self.k.request("DELETE", f"/v1/tokens/{courier['id']}", headers=auth("admin"))
        tail = []
        while True:
            e = mine.next()
            if e is END:
                break
            tail.append(e)
        self.assertEqual(tail[-1]["event"], "revoked")
        refused = EventStream(self.k, courier["token"])
        self.assertEqual(refused.status, 401)
        other.close()

    def test_streams_per_token_are_capped(self):
        token = self.issue(name="Курьер Много", role="courier", entities=[ENTITY_A])["token"]
        streams = [EventStream(self.k, token) for _ in range(4)]
        self.assertEqual([s.status for s in streams], [200] * 4)
        fifth = EventStream(self.k, token)
        self.assertEqual(fifth.status, 429)
        self.assertEqual(fifth.body["code"], "too_many_streams")
        self.assertEqual(fifth.res.getheader("Retry-After"), "5")
        # Another token is not affected.
        self.assertEqual(EventStream(self.k, BOUND["cashier-b"][1]).status, 200)
        for s in streams:
            s.close()


class TokensAcrossRestarts(unittest.TestCase):
    def test_issued_tokens_survive_a_restart_and_revocations_stay(self):
        data_dir = os.path.join(temp_dir("tokens-"), "var")
        with Kassad(config_text=office_config(), data_dir=data_dir) as k:
            kept = k.request("POST", "/v1/tokens", {"name": "Кассир", "role": "cashier"}, headers=auth("admin"))[1]
            gone = k.request("POST", "/v1/tokens", {"name": "Курьер", "role": "courier"}, headers=auth("admin"))[1]
            self.assertEqual(k.request("DELETE", f"/v1/tokens/{gone['id']}", headers=auth("admin"))[0], 200)
            self.assertEqual(k.stop(), 0)
        with Kassad(config_text=office_config(), data_dir=data_dir) as k:
            self.assertEqual(k.request("GET", "/v1/registers", headers=bearer(kept["token"]))[0], 200)
            self.assertEqual(k.request("GET", "/v1/receipts", headers=bearer(gone["token"]))[0], 401)
            # A stream open while kassad stops ends, and kassad exits 0.
            s = EventStream(k, kept["token"])
            self.assertEqual(s.status, 200)
            self.assertEqual(k.stop(), 0)
            while s.next() is not END:
                pass


if __name__ == "__main__":
    unittest.main()
