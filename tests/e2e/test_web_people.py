"""The office's "Люди" (issue #15) and the courier's login by link (issue #14), end to end in Debian's
Chromium (web/tests/browser/people.mjs) against a real kassad: the admin issues a courier token in the
dashboard, its login QR decodes (zbarimg) to the link, the courier opens the link and sees their
order, the admin revokes the token and the phone page says it is signed out. Afterwards the token is
refused and the audit log names both acts. Screenshots: <build>/web-artifacts/people/."""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, TOKENS, Kassad, auth, office_config  # noqa: E402

WEB_DIR = os.environ.get("KASSA_WEB_DIR") or os.path.join(os.environ["KASSA_SOURCE_DIR"], "web")
ARTIFACTS = os.path.join(os.environ["KASSA_BINARY_DIR"], "web-artifacts", "people")


class WebPeople(unittest.TestCase):
    def test_issue_login_by_link_revoke(self):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        with Kassad(config_text=office_config()) as k:
            env = dict(KASSA_URL=f"http://{k.host}:{k.port}", KASSA_TOKEN=TOKENS["admin"][1], KASSA_ENTITY=ENTITY_A,
                       KASSA_ARTIFACTS=ARTIFACTS)
            proc = subprocess.run(["node", "tests/browser/people.mjs"], cwd=WEB_DIR, env=dict(os.environ, **env),
                                  capture_output=True, text=True, timeout=540)
            sys.stdout.write(proc.stdout)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr + "".join(k.stderr_lines[-30:]))
            with open(os.path.join(ARTIFACTS, "result.json"), encoding="utf-8") as f:
                result = json.load(f)
            decoded = subprocess.run(["zbarimg", "--raw", "-q", result["qr_png"]], capture_output=True, text=True)
            self.assertEqual(decoded.stdout.strip(), result["link"])
            token = result["link"].split("#token=")[1]
            status, _, _ = k.request("GET", "/v1/receipts", headers={"Authorization": "Bearer " + token})
            self.assertEqual(status, 401)
            _, listed, _ = k.request("GET", "/v1/tokens?revoked=true", headers=auth("admin"))
            mine = [t for t in listed["tokens"] if t["name"] == "Курьер Тестов"]
            self.assertEqual(len(mine), 1)
            self.assertEqual((mine[0]["role"], mine[0]["entities"]), ("courier", [ENTITY_A]))
            self.assertIsNotNone(mine[0]["revoked"])
            _, audit, _ = k.request("GET", "/v1/audit?limit=1000", headers=auth("admin"))
            actions = [a["action"] for a in audit["audit"] if a["subject"] == f"token {mine[0]['id']}"]
            self.assertEqual(sorted(actions), ["token.create", "token.revoke"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
