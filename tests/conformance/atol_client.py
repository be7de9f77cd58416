#!/usr/bin/python3
"""An independent ATOL client, written from shared/spec/protocols.md §2 alone (stdlib + pyserial, no
code shared with the C++ driver or simulator). It starts kassa-sim --family atol on a pty (link v3) and runs:
status, open shift, one sale (92h, E8h requisites, EAh/EBh item, 99h, 4Ah), cash in, close shift,
then reads the FN state file the simulator wrote. Its packet, CRC and v2 frame builders are first
checked against the spec's worked examples (§2.3, §2.4.4, §2.7) byte for byte. Where the spec is
silent it follows docs/atol-assumptions.md (E8h layout, EBh tax byte, A4h layouts)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import serial  # Debian python3-serial

# ---- v3 link (§2.4.1) ----


def crc8(data: bytes) -> int:
    """CRC-8, polynomial 0x31, initial 0xFF, MSB first, no reflection, no final XOR (bitwise here)."""
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def stuff(data: bytes) -> bytes:
    out = bytearray()
    for b in data:
        if b == 0xFE:
            out += b"\xfd\xee"
        elif b == 0xFD:
            out += b"\xfd\xed"
        else:
            out.append(b)
    return bytes(out)


def packet(pid: int, data: bytes) -> bytes:
    n = len(data)
    return bytes([0xFE, n & 0x7F, n >> 7, pid]) + stuff(data + bytes([crc8(bytes([pid]) + data)]))


def v2_frame(data: bytes) -> bytes:
    """§2.3: STX, data with 10h/03h escaped by DLE, ETX, XOR of the stuffed data and ETX."""
    body = bytearray()
    for b in data:
        if b in (0x10, 0x03):
            body.append(0x10)
        body.append(b)
    body.append(0x03)
    x = 0
    for b in body:
        x ^= b
    return b"\x02" + bytes(body) + bytes([x])


# ---- application layer (§2.1, §2.5) ----


def bcd(value: int, size: int) -> bytes:
    digits = str(value).rjust(size * 2, "0")
    if len(digits) > size * 2:
        raise ValueError("value too large")
    return bytes(int(digits[i:i + 2], 16) for i in range(0, size * 2, 2))


def from_bcd(data: bytes) -> int:
    return int(data.hex())


def request(cmd: int, params: bytes = b"") -> bytes:
    return b"\x00\x00" + bytes([cmd]) + params  # access password 0000 (BCD2)


def tlv(tag: int, value: bytes) -> bytes:
    return tag.to_bytes(2, "little") + len(value).to_bytes(2, "little") + value


def tlv_text(tag: int, text: str) -> bytes:
    return tlv(tag, text.encode("cp866"))


def atol_text(text: str) -> bytes:
    """CP866 with ATOL's swap: '№' is 24h and '$' is FCh (§2.1)."""
    raw = text.encode("cp866")
    return bytes(0xFC if b == 0x24 else 0x24 if b == 0xFC else b for b in raw)


class Link:
    """Host side of the v3 task buffer over a serial port: Add, then the F0h push or Req polls, then
    Ack (§2.4.3)."""

    def __init__(self, port: str):
        self.port = serial.Serial(port, 115200, timeout=0.2)
        self.pid = 0
        self.tid = 0
        self.buf = bytearray()

    def next_pid(self) -> int:
        self.pid = (self.pid + 1) % 0xE0
        return self.pid

    def read_packet(self, timeout: float = 3.0):
        """One packet (id, data), unstuffed and CRC-checked."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            start = self.buf.find(b"\xfe")
            if start >= 0 and len(self.buf) >= start + 4:
                n = self.buf[start + 1] | (self.buf[start + 2] << 7)
                pid = self.buf[start + 3]
                body, i = bytearray(), start + 4
                while len(body) < n + 1 and i < len(self.buf):
                    b = self.buf[i]
                    if b == 0xFD:
                        if i + 1 >= len(self.buf):
                            break
                        body.append({0xEE: 0xFE, 0xED: 0xFD}[self.buf[i + 1]])
                        i += 2
                    else:
                        body.append(b)
                        i += 1
                if len(body) == n + 1:
                    del self.buf[:i]
                    data, crc = bytes(body[:-1]), body[-1]
                    if crc8(bytes([pid]) + data) != crc:
                        raise AssertionError("bad CRC from the device")
                    return pid, data
            # At least one byte (waits up to the port timeout), then whatever else has arrived.
            self.buf += self.port.read(max(1, self.port.in_waiting))
        raise TimeoutError("no packet from the device")

    def command(self, payload: bytes) -> bytes:
        """Runs one task and returns its application answer."""
        self.tid = self.tid % 0xDE + 1
        pid = self.next_pid()
        self.port.write(packet(pid, bytes([0xC1, 0x01, self.tid]) + payload))
        result = None
        while result is None:
            rid, data = self.read_packet()
            if rid == pid:
                if data[0] in (0xA3, 0xA4):
                    result = data[1:]
                elif data[0] in (0xA1, 0xA2):
                    continue  # queued / running: the F0h push comes next
                else:
                    raise AssertionError("task refused: %02X" % data[0])
            elif rid == 0xF0 and data[0] in (0xA6, 0xA7) and data[1] == self.tid:
                result = data[2:]
        ack = self.next_pid()
        self.port.write(packet(ack, bytes([0xC2, self.tid])))
        while self.read_packet()[0] != ack:
            pass
        return result

    def abort(self):
        pid = self.next_pid()
        self.port.write(packet(pid, b"\xc4"))
        while self.read_packet()[0] != pid:
            pass

    def close(self):
        self.port.close()


def ok(test, answer: bytes, what: str) -> bytes:
    test.assertGreaterEqual(len(answer), 2, what)
    test.assertEqual(answer[0], 0x55, what)
    test.assertEqual(answer[1], 0x00, "%s: device error %02X" % (what, answer[1]))
    return answer[3:]


class Vectors(unittest.TestCase):
    def test_packets_crc_and_frames_match_the_spec(self):
        # §2.7
        for data, crc in ((b"\x01", 0x9D), (b"\x06\xc4", 0x58), (bytes.fromhex("07C1010200 00A5"), 0x8D),
                          (b"\x08\xc3\x02", 0xFC), (b"\x09\xc3\x02", 0xBA), (b"\x0a\xc3\x02", 0x70),
                          (bytes.fromhex("F0A6575500 00"), 0xFE)):
            self.assertEqual(crc8(data), crc, data.hex())
        # §2.4.4
        for pid, data, wire in ((0x01, "", "FE 00 00 01 9D"), (0x06, "C4", "FE 01 00 06 C4 58"),
                                (0x07, "C1 01 02 00 00 A5", "FE 06 00 07 C1 01 02 00 00 A5 8D"),
                                (0x08, "C3 02", "FE 02 00 08 C3 02 FC"),
                                (0xF0, "A6 57 55 00 00", "FE 05 00 F0 A6 57 55 00 00 FD EE"),
                                (0x01, "C1 01 01 00 00 3F", "FE 06 00 01 C1 01 01 00 00 3F E7"),
                                (0x02, "C3 01", "FE 02 00 02 C3 01 71"), (0x02, "A3 55 00 00", "FE 04 00 02 A3 55 00 00 20"),
                                (0xF0, "A6 01 55 00 00", "FE 05 00 F0 A6 01 55 00 00 2F"),
                                (0x03, "C2 01", "FE 02 00 03 C2 01 C3"),
                                (0x10, "C1 01 05 00 00 4C FE FD", "FE 08 00 10 C1 01 05 00 00 4C FD EE FD ED E4")):
            self.assertEqual(packet(pid, bytes.fromhex(data)), bytes.fromhex(wire), wire)
        # §2.3
        for data, wire in (("1F 00 FF 10 02 03 1A", "02 1F 00 FF 10 10 02 10 03 1A 03 E8"),
                           ("00 00 3F", "02 00 00 3F 03 3C"),
                           ("00 00 56 01 00 00 00 30", "02 00 00 56 01 00 00 00 30 03 64"),
                           ("00 00 4C 10", "02 00 00 4C 10 10 03 4F")):
            self.assertEqual(v2_frame(bytes.fromhex(data)), bytes.fromhex(wire), wire)
        self.assertEqual(bcd(12345, 5), bytes.fromhex("0000012345"))
        self.assertEqual(request(0x56, b"\x01" + bcd(30, 4)), bytes.fromhex("0000560100000030"))


class Session(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="atol-client-")
        self.state = os.path.join(self.tmp, "fn.json")
        self.sim = subprocess.Popen([os.environ["KASSA_SIM"], "--family", "atol", "--pty", "--protocol", "v3",
                                     "--state", self.state],
                                    stdout=subprocess.PIPE, text=True)
        ready = self.sim.stdout.readline().split()  # awaited, not slept for
        self.assertEqual(ready[:3], ["kassa-sim", "ready", "pty"], ready)
        self.link = Link(ready[3])
        self.link.abort()  # §2.4.3 step 1

    def tearDown(self):
        self.link.close()
        self.sim.terminate()
        self.assertEqual(self.sim.wait(timeout=10), 0)
        self.sim.stdout.close()

    def status(self) -> dict:
        a = self.link.command(request(0x3F))
        self.assertEqual(a[0], 0x44)
        d = a[1:]
        # cashier 1, hall 1, date 3, time 3, flags 1, serial 4, model 1, version 2, mode 1, receipt 2, shift 2,
        # receipt state 1, receipt sum 5, decimal point 1, port 1
        return {"flags": d[8], "mode": d[16] & 0x0F, "shift": from_bcd(d[19:21]), "receipt_state": d[21]}

    def fn_state(self) -> dict:
        with open(self.state) as f:
            return json.load(f)

    def test_status_open_shift_sale_cash_in_close_shift(self):
        link = self.link
        st = self.status()
        self.assertEqual(st["mode"], 0)
        self.assertFalse(st["flags"] & 0x02, "shift closed")
        self.assertTrue(st["flags"] & 0x08, "paper present")

        ok(self, link.command(request(0x56, b"\x01" + bcd(30, 4))), "enter mode 1")
        ok(self, link.command(request(0xE8, b"\x00" + tlv_text(1021, "Кассир Петров"))), "1021")
        ok(self, link.command(request(0x9A, b"\x00")), "open shift")
        self.assertTrue(self.status()["flags"] & 0x02, "shift open")

        # One sale: 2 × 150.00 at 22 % (1199 = 11), paid 300.00 by card, e-receipt to an e-mail.
        ok(self, link.command(request(0x92, b"\x00\x01")), "open receipt")
        for t in (tlv(1055, b"\x01"), tlv_text(1021, "Кассир Петров"), tlv_text(1009, "г. Москва, ул. Садовая, д. 5"),
                  tlv_text(1187, "Магазин"), tlv_text(1008, "client@example.ru")):
            ok(self, link.command(request(0xE8, b"\x00" + t)), "document requisite")
        ok(self, link.command(request(0xEA, b"\x00\x00\x00")), "begin item")
        ok(self, link.command(request(0xE8, b"\x01" + tlv(2108, b"\x00"))), "2108")
        item = (b"\x00" + bcd(15000, 7) + bcd(2000, 5) + bcd(30000, 7) + b"\x0b" + bcd(5410, 7) + b"\x01"  # section
                + b"\x01\x04"  # 1212 goods, 1214 full payment
                + b"\x00" + bcd(0, 7) + b"\x00\x00" + atol_text("Товар №1"))
        ok(self, link.command(request(0xEB, item)), "end item")
        pay = ok(self, link.command(request(0x99, b"\x00\x02" + bcd(30000, 5))), "payment")
        self.assertEqual(from_bcd(pay[0:5]), 0, "nothing left to pay")
        ok(self, link.command(request(0x4A, b"\x00\x01" + bcd(0, 5))), "close receipt")
        self.assertEqual(self.status()["receipt_state"], 0)

        fn = ok(self, link.command(request(0xA4, b"\x30")), "FN status")
        last_fd = int.from_bytes(fn[26:30], "little")
        doc = ok(self, link.command(request(0xA4, b"\x40" + last_fd.to_bytes(4, "little"))), "find document")
        self.assertEqual(doc[0], 3, "a receipt")
        self.assertEqual(int.from_bytes(doc[7:11], "little"), last_fd)
        self.assertEqual(doc[15], 1, "1054 income")
        self.assertEqual(int.from_bytes(doc[16:21], "little"), 30000)

        ok(self, link.command(request(0x49, b"\x00" + bcd(100000, 5))), "cash in 1000.00")
        ok(self, link.command(request(0x48)), "leave mode")
        ok(self, link.command(request(0x56, b"\x03" + bcd(30, 4))), "enter mode 3")
        ok(self, link.command(request(0x5A)), "Z report")
        self.assertFalse(self.status()["flags"] & 0x02, "shift closed")

        state = self.fn_state()
        self.assertFalse(state["shift_open"])
        self.assertEqual(state["cash_in_drawer"], 100000)
        kinds = [d["type"] for d in state["documents"]]
        self.assertEqual(kinds, [2, 3, 5])
        receipt = next(d for d in state["documents"] if d["type"] == 3)
        self.assertEqual(receipt["total"], 30000)
        signed = bytes.fromhex(receipt["tlv"])
        self.assertIn(tlv_text(1008, "client@example.ru"), signed)
        self.assertIn(tlv(1081, (30000).to_bytes(2, "little")), signed)

    def test_refusals_carry_the_spec_codes(self):
        link = self.link
        self.assertEqual(link.command(request(0x9A, b"\x00"))[:2], b"\x55\x66", "open shift outside mode 1")
        self.assertEqual(link.command(request(0x56, b"\x01" + bcd(1234, 4)))[:2], b"\x55\x8c", "wrong password")
        ok(self, link.command(request(0x56, b"\x01" + bcd(30, 4))), "enter mode 1")
        self.assertEqual(link.command(request(0x92, b"\x00\x01"))[:2], b"\x55\xd4", "receipt with the shift closed")

    def test_sigusr1_loads_paper_and_says_so(self):
        # The same operator signal as the Shtrih simulator: awaited on its line, not slept for.
        self.sim.send_signal(signal.SIGUSR1)
        self.assertEqual(self.sim.stdout.readline().strip(), "kassa-sim paper loaded")
        self.status()  # still answering


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]])
