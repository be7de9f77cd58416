#!/usr/bin/python3
"""An independent Shtrih-M client, written from shared/spec/protocols.md §1 alone (stdlib + pyserial,
no code shared with the C++ driver). It starts kassa-sim on a pty and runs: status, FN status, open
shift, one sale through 8Dh/FF46h/FF45h, close shift. Every request frame it builds is first checked
against the worked examples of §1.12 byte for byte."""

import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import serial  # Debian python3-serial

STX, ENQ, ACK, NAK = 0x02, 0x05, 0x06, 0x15


def lrc(data: bytes) -> int:
    """XOR of LEN and every CMD+DATA byte (§1.2)."""
    x = 0
    for b in data:
        x ^= b
    return x


def frame(body: bytes) -> bytes:
    if not 1 <= len(body) <= 255:
        raise ValueError("body must be 1..255 bytes")
    head = bytes([len(body)]) + body
    return bytes([STX]) + head + bytes([lrc(head)])


def le(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little")


def pwd(p: int) -> bytes:
    return le(p, 4)


# Requests, each from its §1.8 layout.
def short_status(p=30):
    return frame(b"\x10" + pwd(p))


def full_status(p=30):
    return frame(b"\x11" + pwd(p))


def fn_status(p=30):
    return frame(b"\xff\x01" + pwd(p))


def open_shift(p=1):
    return frame(b"\xe0" + pwd(p))


def open_receipt(p=1, kind=0):
    return frame(b"\x8d" + pwd(p) + bytes([kind]))


def operation_v2(p, op, qty_micro, price, name, amount=None, tax_amount=None, tax=0x01, dept=1, method=4, subject=1):
    auto = b"\xff" * 5
    body = (b"\xff\x46" + pwd(p) + bytes([op]) + le(qty_micro, 6) + le(price, 5)
            + (auto if amount is None else le(amount, 5)) + (auto if tax_amount is None else le(tax_amount, 5))
            + bytes([tax, dept, method, subject]) + name.encode("cp1251"))
    return frame(body)


def send_tlv(p, tlv: bytes):
    return frame(b"\xff\x0c" + pwd(p) + tlv)


def send_line_tlv(p, tlv: bytes):
    return frame(b"\xff\x4d" + pwd(p) + tlv)


def tlv_string(tag: int, text: str) -> bytes:
    v = text.encode("cp866")
    return le(tag, 2) + le(len(v), 2) + v


def close_receipt_v2(p=30, cash=0, tax_system=0x01, text=""):
    payments = le(cash, 5) + bytes(5 * 15)
    body = b"\xff\x45" + pwd(p) + payments + b"\x00" + bytes(5 * 6) + bytes([tax_system]) + text.encode("cp1251")
    return frame(body)


def z_report(p=30):
    return frame(b"\x41" + pwd(p))


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


class Link:
    """The host side of §1.3: ENQ, NAK → send, ACK → read answer, ACK it."""

    def __init__(self, port: str):
        self.port = serial.Serial(port, 115200, timeout=0.5)

    def read_exact(self, n: int, timeout: float) -> bytes:
        end = time.monotonic() + timeout
        out = b""
        while len(out) < n and time.monotonic() < end:
            out += self.port.read(n - len(out))
        return out

    def control(self, timeout=1.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            b = self.port.read(1)
            if b and b[0] != 0xFF:  # §1.1: skip the stray FF
                return b[0]
        raise TimeoutError("no control byte")

    def read_answer(self, timeout=5.0) -> bytes:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            b = self.port.read(1)
            if b and b[0] == STX:
                break
        else:
            raise TimeoutError("no answer")
        n = self.read_exact(1, 1.0)[0]
        rest = self.read_exact(n + 1, 1.0)
        body, check = rest[:n], rest[n]
        if lrc(bytes([n]) + body) != check:
            self.port.write(bytes([NAK]))
            raise IOError("bad LRC")
        self.port.write(bytes([ACK]))
        return body

    def exchange(self, request: bytes) -> bytes:
        for _ in range(10):
            self.port.write(bytes([ENQ]))
            c = self.control()
            if c == ACK:  # an old answer is pending: read and drop it
                self.read_answer()
                continue
            if c != NAK:
                continue
            self.port.write(request)
            if self.control() == ACK:
                return self.read_answer()
        raise IOError("exchange failed")

    def close(self):
        self.port.close()


def parse_answer(body: bytes, fn_class: bool):
    """(error, data) of an answer (§1.5)."""
    if fn_class:
        return body[2], body[3:]
    return body[1], body[2:]


class ShtrihClientAgainstSimulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.path.join(os.environ.get("KASSA_BINARY_DIR", "."), "test-tmp"))
        cls.sim = subprocess.Popen([os.environ["KASSA_SIM"], "--pty", "--state", os.path.join(cls.tmp, "fn.json")],
                                   stdout=subprocess.PIPE, text=True)
        ready = cls.sim.stdout.readline().split()  # awaited, not slept for
        assert ready[:3] == ["kassa-sim", "ready", "pty"], ready
        cls.link = Link(ready[3])

    @classmethod
    def tearDownClass(cls):
        cls.link.close()
        cls.sim.terminate()
        cls.sim.wait(timeout=10)

    def test_frames_match_the_spec_worked_examples(self):
        self.assertEqual(short_status(30), hx("02 05 10 1E 00 00 00 0B"))
        self.assertEqual(full_status(30), hx("02 05 11 1E 00 00 00 0A"))
        self.assertEqual(fn_status(30), hx("02 06 FF 01 1E 00 00 00 E6"))
        self.assertEqual(open_shift(1), hx("02 05 E0 01 00 00 00 E4"))
        self.assertEqual(open_receipt(1, 0), hx("02 06 8D 01 00 00 00 00 8A"))
        self.assertEqual(operation_v2(1, 1, 1_000_000, 10000, "Товар"),
                         hx("02 25 FF 46 01 00 00 00 01 40 42 0F 00 00 00 10 27 00 00 00 FF FF FF FF FF FF FF FF FF FF"
                            " 01 01 04 01 D2 EE E2 E0 F0 6D"))
        self.assertEqual(send_tlv(30, tlv_string(1008, "+79001234567")),
                         hx("02 16 FF 0C 1E 00 00 00 F0 03 0C 00 2B 37 39 30 30 31 32 33 34 35 36 37 11"))
        self.assertEqual(close_receipt_v2(30, cash=10000),
                         hx("02 76 FF 45 1E 00 00 00 10 27 00 00 00") + bytes(75) + b"\x00" + bytes(30) + hx("01 E4"))
        self.assertEqual(frame(hx("10 00 1E C2 02 04") + bytes(10)),
                         hx("02 10 10 00 1E C2 02 04 00 00 00 00 00 00 00 00 00 00 DA"))
        self.assertEqual(frame(hx("10 4F")), hx("02 02 10 4F 5D"))
        self.assertEqual(frame(hx("FF 46 02")), hx("02 03 FF 46 02 B8"))

    def test_status_shift_sale_close(self):
        link = self.link
        # 10h: mode 4 (shift closed) on a fresh register, paper present (flags bit 7).
        err, data = parse_answer(link.exchange(short_status(30)), False)
        self.assertEqual(err, 0)
        self.assertEqual(data[0], 30)  # operator number
        flags = data[1] | data[2] << 8
        self.assertTrue(flags & 0x80)
        self.assertEqual(data[3] & 0x0F, 4)

        # 11h: the legacy 48-byte layout (LEN 48 = CMD + error + 46).
        body = link.exchange(full_status(30))
        self.assertEqual(len(body), 48)
        self.assertEqual(body[1], 0)

        # FF01h: LEN 33, the FN number and the last FD number.
        body = link.exchange(fn_status(30))
        self.assertEqual(len(body), 33)
        err, data = parse_answer(body, True)
        self.assertEqual(err, 0)
        fn_number = data[10:26].decode("ascii").strip()
        self.assertEqual(len(fn_number), 16)
        last_fd = int.from_bytes(data[26:30], "little")

        # E0h with cashier 1's password: shift open, mode 2.
        err, data = parse_answer(link.exchange(open_shift(1)), False)
        self.assertEqual(err, 0)
        err, data = parse_answer(link.exchange(short_status(30)), False)
        self.assertEqual(data[3] & 0x0F, 2)

        # One sale: 8Dh, FF46h (the worked example), FF0Ch buyer phone, FF45h cash 100.00.
        err, _ = parse_answer(link.exchange(open_receipt(1, 0)), False)
        self.assertEqual(err, 0)
        err, _ = parse_answer(link.exchange(operation_v2(1, 1, 1_000_000, 10000, "Товар")), True)
        self.assertEqual(err, 0)
        err, data = parse_answer(link.exchange(short_status(30)), False)
        self.assertEqual(data[3], 0x08)  # mode 8, status 0: sale receipt open
        err, _ = parse_answer(link.exchange(send_tlv(30, tlv_string(1008, "+79001234567"))), True)
        self.assertEqual(err, 0)
        # FFD 1.2 mandatory tags the FN checks (format-logical control): 2108 per line (FF4Dh),
        # 1009 and 1187 for the receipt.
        err, _ = parse_answer(link.exchange(send_line_tlv(30, le(2108, 2) + le(1, 2) + b"\x00")), True)
        self.assertEqual(err, 0)
        err, _ = parse_answer(link.exchange(send_tlv(30, tlv_string(1009, "г. Москва") + tlv_string(1187, "Офис"))), True)
        self.assertEqual(err, 0)
        # Paying less than the total is refused with 45h (§1.8.3), and the receipt stays open.
        err, _ = parse_answer(link.exchange(close_receipt_v2(30, cash=5000)), True)
        self.assertEqual(err, 0x45)
        body = link.exchange(close_receipt_v2(30, cash=10000))
        err, data = parse_answer(body, True)
        self.assertEqual(err, 0)
        self.assertIn(len(body), (16, 21))
        change = int.from_bytes(data[0:5], "little")
        fd = int.from_bytes(data[5:9], "little")
        fp = int.from_bytes(data[9:13], "little")
        self.assertEqual(change, 0)
        self.assertEqual(fd, last_fd + 2)  # shift-open report, then the receipt
        self.assertNotEqual(fp, 0)

        # FF0Ah finds it: type 3 receipt, same FP, operation 1, amount 100.00.
        err, data = parse_answer(link.exchange(frame(b"\xff\x0a" + pwd(30) + le(fd, 4))), True)
        self.assertEqual(err, 0)
        self.assertEqual(data[0], 3)
        self.assertEqual(int.from_bytes(data[7:11], "little"), fd)
        self.assertEqual(int.from_bytes(data[11:15], "little"), fp)
        self.assertEqual(data[15], 1)
        self.assertEqual(int.from_bytes(data[16:21], "little"), 10000)

        # 41h Z report needs the administrator: cashier 1 is refused with 4Fh.
        err, _ = parse_answer(link.exchange(z_report(1)), False)
        self.assertEqual(err, 0x4F)
        err, _ = parse_answer(link.exchange(z_report(30)), False)
        self.assertEqual(err, 0)
        err, data = parse_answer(link.exchange(short_status(30)), False)
        self.assertEqual(data[3] & 0x0F, 4)

    def test_unknown_commands_answer_37(self):
        self.assertEqual(self.link.exchange(frame(b"\xff\x7e" + pwd(30))), hx("FF 7E 37"))
        self.assertEqual(self.link.exchange(frame(b"\x9a" + pwd(30))), hx("9A 37"))


def send_mandatory_tags(test, link):
    """What the FN's format-logical control requires beyond FF46h: 2108 for the line, 1009/1187."""
    test.assertEqual(parse_answer(link.exchange(send_line_tlv(30, le(2108, 2) + le(1, 2) + b"\x00")), True)[0], 0)
    tags = tlv_string(1009, "г. Москва") + tlv_string(1187, "Офис")
    test.assertEqual(parse_answer(link.exchange(send_tlv(30, tags)), True)[0], 0)


def start_sim(*args):
    proc = subprocess.Popen([os.environ["KASSA_SIM"], "--pty", *args], stdout=subprocess.PIPE, text=True)
    ready = proc.stdout.readline().split()
    assert ready[:3] == ["kassa-sim", "ready", "pty"], ready
    return proc, Link(ready[3])


class PacedLine(unittest.TestCase):
    """--baud paces the device's bytes at the line rate: 10 bits a byte."""

    def test_answer_takes_line_time_at_9600(self):
        proc, link = start_sim("--baud", "9600")
        try:
            link.exchange(short_status(30))  # warm up
            start = time.monotonic()
            body = link.exchange(short_status(30))
            elapsed = time.monotonic() - start
            # NAK + ACK + a 19-byte answer frame = 21 bytes ≈ 21.9 ms at 9600 baud (a lower bound).
            self.assertEqual(len(body), 16)
            self.assertGreaterEqual(elapsed, 21 * 10 / 9600 * 0.9)

            # The host's bytes are paced too: a 38-byte FF46h frame is ACKed only after it crossed.
            request = operation_v2(30, 1, 1_000_000, 10000, "Товар")
            link.port.write(bytes([ENQ]))
            self.assertEqual(link.control(), NAK)
            start = time.monotonic()
            link.port.write(request)
            self.assertEqual(link.control(), ACK)
            elapsed = time.monotonic() - start
            self.assertGreaterEqual(elapsed, len(request) * 10 / 9600 * 0.9)
            link.read_answer()
        finally:
            link.close()
            proc.terminate()
            proc.wait(timeout=10)


class PowerCutAndClockOfTheBinary(unittest.TestCase):
    """kassa-sim as a process: a power cut after the fiscal write ends it (exit 3) with the receipt in
    the state file; after a restart the FN shows it. The --clock-file moves the register's clock."""

    def test_power_cut_then_restart_then_expiry(self):
        tmp = tempfile.mkdtemp(dir=os.path.join(os.environ.get("KASSA_BINARY_DIR", "."), "test-tmp"))
        state, faults, clock = (os.path.join(tmp, n) for n in ("fn.json", "faults.txt", "clock"))
        with open(faults, "w") as f:
            f.write("power_cut_after_receipt 1\n")
        with open(clock, "w") as f:
            f.write("0\n")

        proc, link = start_sim("--state", state, "--faults", faults, "--clock-file", clock)
        try:
            self.assertEqual(parse_answer(link.exchange(open_shift(30)), False)[0], 0)
            self.assertEqual(parse_answer(link.exchange(operation_v2(30, 1, 2_000_000, 2500, "Хлеб")), True)[0], 0)
            send_mandatory_tags(self, link)
            # No answer: silence, or a hung-up pty once the process is gone.
            with self.assertRaises((TimeoutError, serial.SerialException)):
                link.port.write(bytes([ENQ]))
                self.assertEqual(link.control(), NAK)
                link.port.write(close_receipt_v2(30, cash=5000))
                self.assertEqual(link.control(), ACK)  # the frame arrived; the answer never will
                link.read_answer(timeout=1.0)
            self.assertEqual(proc.wait(timeout=10), 3)
        finally:
            link.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        proc, link = start_sim("--state", state, "--clock-file", clock)
        try:
            err, data = parse_answer(link.exchange(fn_status(30)), True)
            self.assertEqual(err, 0)
            last_fd = int.from_bytes(data[26:30], "little")
            self.assertEqual(last_fd, 2)
            err, data = parse_answer(link.exchange(frame(b"\xff\x0a" + pwd(30) + le(last_fd, 4))), True)
            self.assertEqual(err, 0)
            self.assertEqual(data[0], 3)
            self.assertEqual(int.from_bytes(data[16:21], "little"), 5000)
            err, data = parse_answer(link.exchange(short_status(30)), False)
            self.assertEqual(data[3] & 0x0F, 2)

            with open(clock, "w") as f:
                f.write(str(25 * 3600) + "\n")
            err, data = parse_answer(link.exchange(short_status(30)), False)
            self.assertEqual(data[3] & 0x0F, 3)  # shift over 24 h
            self.assertEqual(parse_answer(link.exchange(open_receipt(30, 0)), False)[0], 0x4E)
            self.assertEqual(parse_answer(link.exchange(z_report(30)), False)[0], 0)
            err, data = parse_answer(link.exchange(short_status(30)), False)
            self.assertEqual(data[3] & 0x0F, 4)
        finally:
            link.close()
            proc.terminate()
            self.assertEqual(proc.wait(timeout=10), 0)


class PaperLoadedBySignal(unittest.TestCase):
    """SIGUSR1 tells kassa-sim the operator loaded paper (§1.7): the receipt whose printing stopped
    when the tape ran out waits for B0h (sub-mode 3, other print commands get 58h), then goes on."""

    def test_paper_out_mid_receipt_then_sigusr1_then_b0(self):
        tmp = tempfile.mkdtemp(dir=os.path.join(os.environ.get("KASSA_BINARY_DIR", "."), "test-tmp"))
        faults = os.path.join(tmp, "faults.txt")
        with open(faults, "w") as f:
            f.write("paper_out_after 1\n")
        proc, link = start_sim("--faults", faults)
        try:
            self.assertEqual(parse_answer(link.exchange(open_shift(30)), False)[0], 0)
            self.assertEqual(parse_answer(link.exchange(operation_v2(30, 1, 1_000_000, 10000, "Товар")), True)[0], 0)
            send_mandatory_tags(self, link)
            self.assertEqual(parse_answer(link.exchange(close_receipt_v2(30, cash=10000)), True)[0], 0)
            err, data = parse_answer(link.exchange(short_status(30)), False)
            self.assertEqual(data[4], 2)  # active paper-out
            self.assertFalse((data[1] | data[2] << 8) & 0x80)
            self.assertEqual(parse_answer(link.exchange(open_receipt(30, 0)), False)[0], 0x6B)

            proc.send_signal(signal.SIGUSR1)
            self.assertEqual(proc.stdout.readline().strip(), "kassa-sim paper loaded")
            err, data = parse_answer(link.exchange(short_status(30)), False)
            self.assertEqual(data[4], 3)  # waiting for B0h
            self.assertEqual(parse_answer(link.exchange(open_receipt(30, 0)), False)[0], 0x58)
            err, data = parse_answer(link.exchange(frame(b"\xb0" + pwd(30))), False)
            self.assertEqual((err, data[0]), (0, 30))
            err, data = parse_answer(link.exchange(short_status(30)), False)
            self.assertEqual(data[4], 0)
            self.assertEqual(parse_answer(link.exchange(open_receipt(30, 0)), False)[0], 0)
        finally:
            link.close()
            proc.terminate()
            self.assertEqual(proc.wait(timeout=10), 0)


class EverydayCommandsOfAnOutsideClient(unittest.TestCase):
    """The commands outside clients (written from Shtrih's documentation) use every day, in their
    order: FCh connect (no password), 11h, 50h cash in, 80h sale + 85h close, 51h cash out, 8Ch
    repeat, X report, Z report, FF3Fh, FF37h/FF38h settlement report; then the shift-close document, decoded here from the FN state file,
    carries the counters of FFD 1.2 (1118, 1111, 1097, 1098, 1050-1053)."""

    def test_connect_sell_cash_reports(self):
        tmp = tempfile.mkdtemp(dir=os.path.join(os.environ.get("KASSA_BINARY_DIR", "."), "test-tmp"))
        state = os.path.join(tmp, "fn.json")
        proc, link = start_sim("--state", state)
        try:
            # FCh: device type, no password (§1.8): LEN 8 + name; the name is WIN1251.
            err, data = parse_answer(link.exchange(frame(b"\xfc")), False)
            self.assertEqual(err, 0)
            self.assertEqual(data[5], 0)  # language: Russian
            self.assertEqual(data[6:].decode("cp1251"), "ШТРИХ-М-01Ф")

            # 11h: firmware version "X.Y", build, and a date that parses (§1.8.1).
            err, data = parse_answer(link.exchange(full_status(30)), False)
            self.assertEqual(err, 0)
            version = chr(data[1]) + "." + chr(data[2])
            self.assertRegex(version, r"^[0-9A-Z]\.[0-9A-Z]$")
            self.assertGreater(int.from_bytes(data[3:5], "little"), 0)
            day, month, year = data[5], data[6], data[7]
            datetime.date(2000 + year, month, day)  # raises on zeros
            fp_day, fp_month, fp_year = data[20], data[21], data[22]
            datetime.date(2000 + fp_year, fp_month, fp_day)

            self.assertEqual(parse_answer(link.exchange(open_shift(1)), False)[0], 0)

            # 50h cash in 1 000.00: op_no, document through-number (2 bytes).
            err, data = parse_answer(link.exchange(frame(b"\x50" + pwd(1) + le(100000, 5))), False)
            self.assertEqual((err, data[0], len(data)), (0, 1, 3))

            # 80h sale 2 × 150.50 at tax row 2, then 85h close with 500.00 cash: change 199.00.
            sale = b"\x80" + pwd(1) + le(2000, 5) + le(15050, 5) + b"\x01" + bytes([2, 0, 0, 0])
            sale += "Хлеб".encode("cp1251").ljust(40, b"\x00")
            self.assertEqual(parse_answer(link.exchange(frame(sale)), False)[0], 0)
            tags = tlv_string(1009, "г. Москва") + tlv_string(1187, "Офис")
            self.assertEqual(parse_answer(link.exchange(send_tlv(30, tags)), True)[0], 0)
            close = b"\x85" + pwd(1) + le(50000, 5) + bytes(15) + le(0, 2) + bytes(4) + bytes(40)
            err, data = parse_answer(link.exchange(frame(close)), False)
            self.assertEqual(err, 0)
            self.assertEqual(int.from_bytes(data[1:6], "little"), 50000 - 30100)

            # 51h cash out more than the drawer holds: 46h; then 500.00: fine.
            self.assertEqual(parse_answer(link.exchange(frame(b"\x51" + pwd(1) + le(10**7, 5))), False)[0], 0x46)
            self.assertEqual(parse_answer(link.exchange(frame(b"\x51" + pwd(1) + le(50000, 5))), False)[0], 0)

            # 8Ch repeat, 13h beep, 40h X report, 41h Z report.
            self.assertEqual(parse_answer(link.exchange(frame(b"\x8c" + pwd(1))), False)[0], 0)
            self.assertEqual(parse_answer(link.exchange(frame(b"\x13" + pwd(1))), False)[0], 0)
            self.assertEqual(parse_answer(link.exchange(frame(b"\x40" + pwd(30))), False)[0], 0)
            self.assertEqual(parse_answer(link.exchange(z_report(30)), False)[0], 0)
            # FF3Fh, FF37h + FF38h: what waits for the OFD, and the report on the state of settlements.
            err, data = parse_answer(link.exchange(frame(b"\xff\x3f" + pwd(30))), True)
            self.assertEqual((err, int.from_bytes(data[0:2], "little")), (0, 3))
            self.assertEqual(parse_answer(link.exchange(frame(b"\xff\x37" + pwd(30))), True)[0], 0)
            err, data = parse_answer(link.exchange(frame(b"\xff\x38" + pwd(30))), True)
            self.assertEqual(err, 0)
            self.assertEqual(int.from_bytes(data[0:4], "little"), 4)  # its FD number
            self.assertEqual(int.from_bytes(data[8:12], "little"), 3)  # documents without a ticket
            err, data = parse_answer(link.exchange(fn_status(30)), True)
            last_fd = int.from_bytes(data[26:30], "little")
            self.assertEqual(last_fd, 4)  # shift open, the sale, the shift close, the settlement report
        finally:
            link.close()
            proc.terminate()
            self.assertEqual(proc.wait(timeout=10), 0)

        # The FN's archive: decode the documents independently (§3.1 TLV, little-endian).
        with open(state) as f:
            docs = {d["number"]: d for d in json.load(f)["documents"]}
        receipt = tlvs(bytes.fromhex(docs[2]["tlv"]))
        self.assertEqual(receipt[1054], b"\x01")
        self.assertEqual(int.from_bytes(receipt[1020], "little"), 30100)
        self.assertEqual(receipt[1021].decode("cp866"), "КАССИР 1")
        self.assertEqual(int.from_bytes(receipt[1031], "little"), 30100)  # cash kept, net of change
        line = tlvs(receipt[1059])
        self.assertEqual(line[1030].decode("cp866"), "Хлеб")
        self.assertEqual(line[1199], b"\x02")  # 10 %
        self.assertEqual(line[2108], b"\x00")

        z = tlvs(bytes.fromhex(docs[3]["tlv"]))
        self.assertEqual(docs[3]["type"], 5)
        self.assertEqual(int.from_bytes(z[1118], "little"), 1)  # receipts in the shift
        self.assertEqual(int.from_bytes(z[1111], "little"), 3)  # fiscal documents in the shift
        self.assertEqual(int.from_bytes(z[1097], "little"), 2)  # without an OFD ticket (none has one)
        self.assertEqual(int.from_bytes(z[1098], "little"), docs[1]["time"])  # the oldest of them
        for tag in (1050, 1051, 1052, 1053):
            self.assertEqual(z[tag], b"\x00", tag)


def tlvs(data: bytes) -> dict:
    """Top-level TLVs of a document: {tag: value} (§3.1)."""
    out, pos = {}, 0
    while pos < len(data):
        tag, length = int.from_bytes(data[pos:pos + 2], "little"), int.from_bytes(data[pos + 2:pos + 4], "little")
        out[tag] = data[pos + 4:pos + 4 + length]
        pos += 4 + length
    return out


if __name__ == "__main__":
    unittest.main(verbosity=2)
