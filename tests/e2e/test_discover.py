"""`kassa discover` on USB devices faked by umockdev (sysfs and /dev, no hardware): a register whose
vendor a profile knows is offered as a ready [[registers]] block on its USB identity (usb://VID:PID?serial=…); other USB
devices are ignored; a register without a serial port is offered as raw USB."""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("KASSA_SOURCE_DIR", os.path.join(HERE, "..", ".."))
CLI = os.path.join(SOURCE_DIR, "tools", "kassa", "kassa")
DEVICES = os.path.join(SOURCE_DIR, "devices")


def discover(testbed, *args):
    cmd = ["umockdev-run"]
    if testbed:
        cmd += ["-d", os.path.join(HERE, "umockdev", testbed)]
    cmd += ["--", sys.executable, CLI, *args, "discover", "--devices-dir", DEVICES]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


class Discover(unittest.TestCase):
    def test_an_atol_register_on_a_cdc_acm_port_is_found_and_the_mouse_is_not(self):
        p = discover("atol-and-mouse.umockdev", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        found = json.loads(p.stdout)["registers"]
        self.assertEqual(len(found), 1, found)
        d = found[0]
        self.assertEqual((d["vid"], d["pid"], d["serial"]), ("2912", "0005", "00106700000042"))
        self.assertEqual(d["ttys"], ["ttyACM3"])
        # By identity, not by tty name: kassad finds the tty at every connection (test_usb_hotplug.py).
        self.assertEqual(d["uri"], "usb://2912:0005?serial=00106700000042")
        self.assertEqual(d["family"], "atol")
        self.assertFalse(d["verified"])  # the ATOL profiles carry no product id yet
        self.assertEqual(sorted(d["models"]), sorted(n[:-5] for n in os.listdir(DEVICES) if n.startswith("atol-")))

        p = discover("atol-and-mouse.umockdev")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('uri = "usb://2912:0005?serial=00106700000042"   # now /dev/ttyACM3', p.stdout)
        self.assertIn('family = "atol"', p.stdout)
        self.assertIn("[[registers]]", p.stdout)
        self.assertNotIn("Logitech", p.stdout)

    def test_a_register_without_a_serial_port_is_offered_as_raw_usb(self):
        p = discover("atol-raw-usb.umockdev")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('uri = "usb://?vid=2912&pid=0001"', p.stdout)

    def test_nothing_plugged_in(self):
        p = discover(None)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no known register on USB", p.stdout)


if __name__ == "__main__":
    unittest.main()
