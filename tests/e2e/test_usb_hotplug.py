"""Issue 16: a USB register named by its identity, usb://VID:PID?serial=…, under umockdev (a fake
sysfs and /dev, no hardware, no root). kassad finds the device's CDC-ACM tty in sysfs when it
connects; unplugged, the register goes offline and its queue waits without spinning the CPU; plugged
back on another port under another tty name, it reconnects and prints what waited, once.

The testbed is built here through libumockdev's GObject API (gir1.2-umockdev-1.0), not with
umockdev-run, because umockdev must be told what to do with the ioctls on its /dev nodes:
libumockdev-preload sends every ioctl() that kassad makes on a node under the testbed's /dev to
the testbed, and umockdev-run's default handler refuses the ones it has no record of with ENOTTY.
kassad's serial transport (Boost.Asio 1.81) puts the port in non-blocking mode with
ioctl(FIONBIO) before each read; on ENOTTY Asio falls back to fcntl(O_NONBLOCK), which works, but
then reports failure anyway (the fallback's `result` shadows the outer one in
descriptor_ops::set_internal_non_blocking), so every read completes at once with 0 bytes and no
error and the register's answers are never read ("no answer to the packet"). termios was never the
problem: glibc's tcgetattr/tcsetattr are direct system calls that umockdev does not intercept, so
Asio's raw mode reaches the pty. A real kernel handles FIONBIO in the VFS for every descriptor, so
kassad on hardware never sees this; the test gives each node a pass-through handler
(UMockdev.IoctlClient.execute runs the ioctl on the real descriptor inside kassad), which is what a
real tty does.

The device: umockdev's sysfs holds an ATOL device 2912:0005 with serial 00106700000042 on port
1-2 whose tty is ttyACM3, next to a USB mouse. Its /dev node is kassa-sim's pty (linked where the
testbed's node is; the simulator runs outside the preload: it is the device, not the program under
test). Unplugging removes the device from the testbed's sysfs and stops the simulator (its pty
closes, so kassad's tty hangs up as a pulled cable's does); plugging back adds it on port 1-5 with
ttyACM7 and starts the simulator again on the same FN state. Re-resolution, not libusb hotplug
callbacks: the worker's reconnect backoff paces the look-ups.

Skipped (exit code 77, SKIP_RETURN_CODE in ctest) only when umockdev's Python bindings are not
installed, and never in CI (CI=true): scripts/install-deps installs them."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import BINARY_DIR, ENTITY_A, TOKENS, Kassad, auth, temp_dir  # noqa: E402

# The testbed lives in the build tree: libumockdev makes it under $TMPDIR.
os.environ["TMPDIR"] = temp_dir("umockdev-")


def load_umockdev():
    try:
        import gi
        gi.require_version("UMockdev", "1.0")
        from gi.repository import UMockdev
    except (ImportError, ValueError) as e:
        return None, f"umockdev's GObject bindings are missing ({e}): scripts/install-deps installs gir1.2-umockdev-1.0"
    if not shutil.which("umockdev-wrapper"):
        return None, "umockdev-wrapper is missing: scripts/install-deps installs umockdev"
    return UMockdev, None


UMockdev, MISSING = load_umockdev()
if MISSING:
    print(MISSING, file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

KASSA_SIM = os.path.join(BINARY_DIR, "simulators", "shtrih", "kassa-sim")
SERIAL = "00106700000042"
USB1 = "/devices/pci0000:00/0000:00:14.0/usb1"
MOUSE = f"""P: {USB1}/1-3
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
A: idVendor=046d
A: idProduct=c077
A: manufacturer=Logitech
A: product=USB Optical Mouse
"""


class PassThrough(UMockdev.IoctlBase):
    """Every ioctl on the node runs on the real descriptor in the client, as on a real tty."""

    def do_handle_ioctl(self, client):
        result, errno = client.execute()
        client.complete(result, errno)
        return True


class UsbRegister:
    """The fake USB register: its sysfs entries in the testbed and kassa-sim behind its /dev node."""

    def __init__(self, testbed, state):
        self.testbed = testbed
        self.state = state
        self.sim = None
        self.handlers = []  # referenced as long as the testbed may call them

    def plug(self, port, tty):
        node = f"/dev/{tty}"
        handler = PassThrough()
        self.testbed.attach_ioctl(node, handler)
        self.handlers.append(handler)
        # The device end first: kassad can only find the device once its tty is there, as with the
        # kernel, which announces the tty after cdc_acm has bound the interface.
        link = os.path.join(self.testbed.get_root_dir(), "dev", tty)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        log = os.path.join(os.path.dirname(self.state), f"kassa-sim-{tty}.log")
        with open(log, "w") as err:
            self.sim = subprocess.Popen([KASSA_SIM, "--family", "atol", "--pty", "--link", link, "--state",
                                         self.state, "--inn", ENTITY_A, "--fn-serial", "9999078900077016"],
                                        stdout=subprocess.PIPE, stderr=err, text=True)
        line = self.sim.stdout.readline()
        if not line.startswith("kassa-sim ready pty "):
            self.sim.wait(10)
            with open(log) as err:
                raise RuntimeError("kassa-sim did not start: " + line + err.read())
        # No "N:" line for the tty: umockdev would make a pty of its own there; the simulator's is the node.
        self.testbed.add_from_string(f"""P: {USB1}/{port}
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
A: idVendor=2912
A: idProduct=0005
A: serial={SERIAL}
A: manufacturer=ATOL
A: product=KKT

P: {USB1}/{port}/{port}:1.0
E: SUBSYSTEM=usb
E: DEVTYPE=usb_interface
A: bInterfaceClass=02

P: {USB1}/{port}/{port}:1.0/tty/{tty}
E: SUBSYSTEM=tty
E: DEVNAME={node}
""")

    def unplug(self, port, tty):
        # The kernel removes the children first; so does this (umockdev unlinks each one's class and bus entries).
        for dev in (f"{USB1}/{port}/{port}:1.0/tty/{tty}", f"{USB1}/{port}/{port}:1.0", f"{USB1}/{port}"):
            self.testbed.remove_device("/sys" + dev)
        self.stop()

    def stop(self):
        if self.sim and self.sim.poll() is None:
            self.sim.terminate()  # removes its --link and closes the pty: the tty hangs up
            self.sim.wait(10)
        if self.sim:
            self.sim.stdout.close()

    def documents(self):
        with open(self.state, encoding="utf-8") as f:
            return json.load(f)["documents"]


def config():
    digest = hashlib.sha256(TOKENS["cashier"][1].encode()).hexdigest()
    return (f'[[entities]]\ninn = "{ENTITY_A}"\nname = "ООО «Альфа»"\ncashier = "Кассир Иванов"\n'
            f'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n\n'
            f'[[registers]]\nid = "usb-1"\nfamily = "atol"\nuri = "usb://2912:0005?serial={SERIAL}"\n'
            f'entity_inn = "{ENTITY_A}"\n\n'
            f'[[tokens]]\nname = "cashier"\nrole = "cashier"\nsha256 = "{digest}"\n')


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class UsbHotplug(unittest.TestCase):
    def setUp(self):
        self.testbed = UMockdev.Testbed.new()  # sets $UMOCKDEV_DIR for the processes started from here
        self.addCleanup(os.environ.pop, "UMOCKDEV_DIR", None)
        os.environ["UMOCKDEV_DIR"] = self.testbed.get_root_dir()
        self.testbed.add_from_string(MOUSE)
        self.dir = temp_dir("usb-")
        self.device = UsbRegister(self.testbed, os.path.join(self.dir, "fn.json"))
        self.device.plug("1-2", "ttyACM3")
        # kassad runs under libumockdev-preload: its /sys and /dev are the testbed's. A sanitizer
        # build's runtime must come first among the preloaded libraries; it still intercepts
        # what it needs when it does not.
        if os.environ.get("KASSA_SANITIZE") == "ON":
            os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                               "verify_asan_link_order=0"]))
        self.k = Kassad(config_text=config(), wrapper=("umockdev-wrapper",)).__enter__()

    def tearDown(self):
        self.k.__exit__(None, None, None)
        self.device.stop()

    def register(self):
        status, body, _ = self.k.request("GET", "/v1/registers/usb-1", headers=auth("cashier"))
        self.assertEqual(status, 200, body)
        return body

    def await_state(self, state, detail="", limit=60):
        # No event stream for register states: read it until it changes (bounded).
        deadline = time.monotonic() + limit
        body = None
        while time.monotonic() < deadline:
            body = self.register()
            if body["state"] == state and detail in body.get("detail", ""):
                return body
            threading.Event().wait(0.05)
        self.fail(f"register usb-1 never reached {state} ({detail!r}): {body}\n" + "".join(self.k.stderr_lines))

    def pay(self, amount, key, wait=None):
        path = "/v1/payments" + (f"?wait={wait}" if wait else "")
        return self.k.request("POST", path, body={"customer": "U1", "cash": amount, "entity_inn": ENTITY_A},
                              headers={**auth("cashier"), "Idempotency-Key": key})

    def test_found_by_serial_offline_when_unplugged_back_under_another_tty_name(self):
        self.await_state("idle")
        status, first, _ = self.pay(10000, "usb-1", wait=30)
        self.assertEqual((status, first["receipts"][0]["state"]), (200, "confirmed"), first)
        printed = len(self.device.documents())

        # Unplugged: the tty hangs up, the device is gone from sysfs. The register goes offline at
        # once, naming the device whose link broke; from its first reconnect attempt on it says the
        # device is not plugged in. A receipt for it waits in its queue.
        self.device.unplug("1-2", "ttyACM3")
        offline = self.await_state("offline")
        self.assertIn(f"usb://2912:0005?serial={SERIAL}", offline["detail"])
        self.await_state("offline", detail=f"usb://2912:0005?serial={SERIAL} is not plugged in")
        status, queued, _ = self.pay(20000, "usb-2")
        self.assertEqual(status, 202, queued)
        rid = queued["receipts"][0]["id"]
        # While it is away kassad looks for it only at the reconnect backoff's pace: no spinning.
        cpu_before = cpu_seconds(self.k.proc.pid)
        threading.Event().wait(3)
        self.assertLess(cpu_seconds(self.k.proc.pid) - cpu_before, 0.5)
        status, receipt, _ = self.k.request("GET", f"/v1/receipts/{rid}", headers=auth("cashier"))
        self.assertEqual((status, receipt["state"]), (200, "planned"), receipt)
        self.assertEqual(len(self.device.documents()), printed)

        # Plugged back into another port: the kernel names its tty ttyACM7 now. kassad finds it by
        # its serial number, reconnects and prints the receipt that waited, once.
        self.device.plug("1-5", "ttyACM7")
        status, receipt, _ = self.k.request("GET", f"/v1/receipts/{rid}", headers=auth("cashier"))
        deadline = time.monotonic() + 60
        while receipt.get("state") != "confirmed" and time.monotonic() < deadline:
            threading.Event().wait(0.05)
            status, receipt, _ = self.k.request("GET", f"/v1/receipts/{rid}", headers=auth("cashier"))
        self.assertEqual(receipt["state"], "confirmed", receipt)
        self.await_state("idle")
        docs = self.device.documents()
        self.assertEqual(len(docs), printed + 1, docs)  # the same FN: one more receipt, nothing twice
        receipts = [d["total"] for d in docs if d["type"] == 3]  # FFD document type 3: a receipt
        self.assertEqual(receipts, [10000, 20000], docs)
        self.assertTrue(any("/dev/ttyACM7" in line for line in self.k.stderr_lines), "".join(self.k.stderr_lines))
        self.assertEqual(self.k.stop(), 0)


if __name__ == "__main__":
    unittest.main()
