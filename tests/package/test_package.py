"""The Debian package: builds it with CPack from this build tree, runs lintian and
`systemd-analyze verify` on it, unpacks it into a throwaway root (dpkg -x) and checks every file is
where the unit and the default config expect it; then starts the unpacked kassad with the packaged
config (data directory and address moved into the test's temporary folder) and asks it for its
health, the office page and /metrics, and the unpacked CLI for the registers."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402

BINARY_DIR = os.environ.get("KASSA_BINARY_DIR", os.getcwd())
SOURCE_DIR = os.environ.get("KASSA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def unit_values(text):
    """[Service] and friends as {key: [values]} (a key may repeat, like DeviceAllow)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out_dir = os.path.join(BINARY_DIR, "package")
        shutil.rmtree(out_dir, ignore_errors=True)
        subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(BINARY_DIR, "CPackConfig.cmake")],
                       cwd=BINARY_DIR, check=True, capture_output=True, text=True)
        debs = glob.glob(os.path.join(out_dir, "kassa_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.root = harness.temp_dir("pkgroot-")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)
        cls.control = harness.temp_dir("pkgcontrol-")
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True)
        with open(cls.path("/lib/systemd/system/kassa.service"), encoding="utf-8") as f:
            cls.unit = unit_values(f.read())

    @classmethod
    def path(cls, absolute):
        return os.path.join(cls.root, absolute.lstrip("/"))

    def test_lintian_finds_no_errors(self):
        p = subprocess.run(["lintian", "--fail-on", "error", "--no-tag-display-limit", self.deb],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotRegex(p.stdout, r"(?m)^E: ")

    def test_systemd_analyze_verifies_the_unit(self):
        # verify checks ExecStart's binary exists: point it at the unpacked one, nothing else changes.
        unit_dir = harness.temp_dir("unit-")
        with open(self.path("/lib/systemd/system/kassa.service"), encoding="utf-8") as f:
            text = f.read()
        text = text.replace("ExecStart=/usr/bin/kassad", "ExecStart=" + self.path("/usr/bin/kassad"))
        unit = os.path.join(unit_dir, "kassa.service")
        with open(unit, "w", encoding="utf-8") as f:
            f.write(text)
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # Warnings about the unit itself would name it.
        self.assertNotIn("kassa.service:", p.stderr, p.stderr)

    def test_unit_is_hardened_and_runs_as_kassa_in_dialout(self):
        u = self.unit
        self.assertEqual(u["User"], ["kassa"])
        self.assertIn("dialout", u["SupplementaryGroups"][0].split())
        self.assertEqual(u["Restart"], ["on-failure"])
        self.assertEqual(u["ProtectSystem"], ["strict"])
        self.assertEqual(u["ReadWritePaths"], ["/var/lib/kassa"])
        self.assertEqual(u["StateDirectory"], ["kassa"])
        self.assertEqual(u["StateDirectoryMode"], ["0700"])
        self.assertEqual(u["DevicePolicy"], ["closed"])
        allowed = {v.split()[0] for v in u["DeviceAllow"]}
        for dev in ("char-ttyS", "char-ttyUSB", "char-ttyACM", "char-usb_device"):
            self.assertIn(dev, allowed)
        self.assertEqual(u["StandardOutput"], ["journal"])

    def test_every_file_is_where_the_unit_and_config_expect_it(self):
        exec_start = self.unit["ExecStart"][0].split()
        kassad = self.path(exec_start[0])
        self.assertTrue(os.access(kassad, os.X_OK), kassad)
        config_path = exec_start[exec_start.index("--config") + 1]
        with open(self.path(config_path), "rb") as f:
            config = tomllib.load(f)
        # The data directory is the one the unit lets kassad write, and makes 0700.
        self.assertEqual(config["ledger"]["data_dir"], self.unit["ReadWritePaths"][0])
        self.assertEqual(config["ledger"]["data_dir"], "/var/lib/" + self.unit["StateDirectory"][0])
        # The web pages the config names are inside.
        web_root = config["server"]["web_root"]
        for page in ("office/index.html", "courier/index.html"):
            self.assertTrue(os.path.isfile(os.path.join(self.path(web_root), page)), page)
        self.assertTrue(glob.glob(os.path.join(self.path(web_root), "assets", "*.js")))
        # The register profiles the unit points kassad at: every one of the source tree's.
        env = dict(v.split("=", 1) for v in self.unit["Environment"])
        shipped = sorted(os.listdir(self.path(env["KASSA_DEVICES_DIR"])))
        self.assertEqual(shipped, sorted(n for n in os.listdir(os.path.join(SOURCE_DIR, "devices")) if n.endswith(".json")))
        for tool in ("kassa", "kassa-sim"):
            self.assertTrue(os.access(self.path("/usr/bin/" + tool), os.X_OK), tool)
        # The config is a conffile; postinst makes the user, puts it in dialout, makes /var/lib/kassa 0700.
        with open(os.path.join(self.control, "conffiles")) as f:
            self.assertIn(config_path, f.read().split())
        with open(os.path.join(self.control, "postinst")) as f:
            postinst = f.read()
        self.assertIn("adduser --quiet kassa dialout", postinst)
        self.assertIn("chmod 0700 /var/lib/kassa", postinst)
        self.assertTrue(os.path.isfile(self.path("/usr/share/doc/kassa/copyright")))
        # Man pages for the two programs and the config file, compressed, and man reads them.
        for page in ("man1/kassa.1.gz", "man8/kassad.8.gz", "man5/kassa.toml.5.gz"):
            gz = self.path("/usr/share/man/" + page)
            self.assertTrue(os.path.isfile(gz), page)
            p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", gz], capture_output=True, text=True,
                               env={**os.environ, "MANWIDTH": "80", "MAN_KEEP_STDERR": "1"})
            self.assertEqual(p.returncode, 0, page + p.stderr)
            self.assertEqual(p.stderr, "", page)
            self.assertIn("NAME", p.stdout)

    def test_udev_rules_cover_every_profile_with_a_usb_vendor(self):
        with open(self.path("/lib/udev/rules.d/60-kassa.rules"), encoding="utf-8") as f:
            rules = f.read()
        vendors = set()
        for name in os.listdir(os.path.join(SOURCE_DIR, "devices")):
            if name.endswith(".json"):
                with open(os.path.join(SOURCE_DIR, "devices", name), encoding="utf-8") as f:
                    usb = json.load(f).get("usb") or {}
                if usb.get("vid"):
                    vendors.add(usb["vid"].lower())
        self.assertTrue(vendors)
        for vid in vendors:
            self.assertRegex(rules, rf'SUBSYSTEM=="tty", ATTRS{{idVendor}}=="{vid}".*GROUP="dialout"')
        # Debian 12's systemd 252 has no `udevadm verify` (253+): the rules' shape is checked above.

    def test_the_unpacked_kassad_runs_on_the_packaged_config(self):
        exec_start = self.unit["ExecStart"][0].split()
        config_path = exec_start[exec_start.index("--config") + 1]
        with open(self.path(config_path), encoding="utf-8") as f:
            text = f.read()
        # Only the web root moves into the throwaway root; --data-dir and --listen come from the harness.
        web_root = re.search(r'(?m)^web_root = "([^"]+)"', text).group(1)
        text = text.replace(f'web_root = "{web_root}"', f'web_root = "{self.path(web_root)}"')
        env = dict(v.split("=", 1) for v in self.unit["Environment"])
        os.environ["KASSA_DEVICES_DIR"] = self.path(env["KASSA_DEVICES_DIR"])
        harness.KASSAD = self.path(exec_start[0])
        with harness.Kassad(config_text=text) as k:
            status, body, _ = k.request("GET", "/v1/health")
            self.assertEqual(status, 200)
            status, _, res = k.request("GET", "/office/")
            self.assertEqual(status, 200)
            self.assertIn("text/html", res.getheader("Content-Type"))
            status, _, res = k.request("GET", "/metrics")
            self.assertEqual(status, 200)
            p = subprocess.run([self.path("/usr/bin/kassa"), "--json", "registers"], capture_output=True, text=True,
                               env={**os.environ, "KASSA_URL": f"http://{k.host}:{k.port}",
                                    "KASSA_TOKEN_FILE": os.path.join(k.data_dir, "admin-token")})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual([r["id"] for r in json.loads(p.stdout)["registers"]], ["sim-1"])
            self.assertEqual(k.stop(), 0)


if __name__ == "__main__":
    unittest.main()
