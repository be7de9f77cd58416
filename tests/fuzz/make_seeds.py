#!/usr/bin/env python3
"""Writes the starting seeds of tests/fuzz/corpus/<target>/ (small, valid inputs of each format; the
fuzzers mutate from there). Re-run after a format changes; inputs that once crashed a target are
kept beside these under names starting with "crash-" and are never rewritten here."""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- Shtrih (protocols.md §1.3): STX LEN body LRC; the first input byte picks the chunk size ----
def shtrih(body):
    lrc = len(body)
    for b in body:
        lrc ^= b
    return bytes([0x02, len(body)]) + bytes(body) + bytes([lrc])


password = [0x1E, 0, 0, 0]
put("fuzz_shtrih_frame", "short-status-request", bytes([0]) + shtrih([0x10] + password))
put("fuzz_shtrih_frame", "short-status-answer", bytes([3]) + bytes([0x06]) +
    shtrih([0x10, 0x00, 0x1E] + [0] * 13) + bytes([0x06, 0xFF]))
put("fuzz_shtrih_frame", "fn-status-answer", bytes([15]) + shtrih([0xFF, 0x01, 0x00, 0x03, 0x00, 0x04, 0x00, 24, 1, 2,
                                                                     10, 30] + list(b"9999078900000001") +
                                                                    [5, 0, 0, 0]))
put("fuzz_shtrih_frame", "enq-ack-nak-noise", bytes([1, 0x05, 0x06, 0x15, 0x55, 0xFF]) + shtrih([0x11] + password))
put("fuzz_shtrih_frame", "bad-lrc", bytes([7]) + shtrih([0x10] + password)[:-1] + bytes([0x00]))


# ---- ATOL v2 (§2.3): STX, DLE-stuffed data, ETX, XOR CRC over the stuffed bytes ----
def atol_v2(data):
    out, crc = [0x02], 0
    for b in data:
        if b in (0x10, 0x03):
            out.append(0x10)
            crc ^= 0x10
        out.append(b)
        crc ^= b
    out.append(0x03)
    crc ^= 0x03
    return bytes(out + [crc])


put("fuzz_atol_v2_frame", "status-request", bytes([0]) + atol_v2([0x00, 0x00, 0x3F]))
put("fuzz_atol_v2_frame", "status-answer", bytes([4, 0x05]) + atol_v2([0x44, 0x10, 0x03] + [0] * 28) + bytes([0x04]))
put("fuzz_atol_v2_frame", "error-answer", bytes([2]) + atol_v2([0x55, 0x00, 0x00, 0x01, 0x02]))


# ---- ATOL v3 (§2.4): FE, length (7 + 7 bits), id, stuffed data and CRC8 ----
def crc8(id_, data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = ((c << 1) ^ 0x31) if c & 0x80 else (c << 1)
        table.append(c & 0xFF)
    crc = table[0xFF ^ id_]
    for b in data:
        crc = table[crc ^ b]
    return crc


def atol_v3(id_, data):
    out = [0xFE, len(data) & 0x7F, len(data) >> 7, id_]
    for b in list(data) + [crc8(id_, data)]:
        out += [0xFD, 0xEE] if b == 0xFE else [0xFD, 0xED] if b == 0xFD else [b]
    return bytes(out)


put("fuzz_atol_v3_frame", "add-status", bytes([0]) + atol_v3(0x01, [0xC1, 0x01, 0x05, 0x00, 0x00, 0x3F]))
put("fuzz_atol_v3_frame", "pending-then-async", bytes([5]) + atol_v3(0x01, [0xA1]) +
    atol_v3(0xF0, [0xA6, 0x05, 0x44] + [0] * 28))
put("fuzz_atol_v3_frame", "req-result", bytes([9]) + atol_v3(0x02, [0xA3, 0x55, 0x00, 0x00]) +
    atol_v3(0x03, [0xFE, 0xFD]))

# ---- TLV (FFD): tag, length (little endian), value ----
def tlv(tag, value):
    return tag.to_bytes(2, "little") + len(value).to_bytes(2, "little") + value


line = (tlv(1030, "Товар".encode("cp866")) + tlv(1079, (15000).to_bytes(2, "little")) +
        tlv(1023, bytes([0, 1])) + tlv(1043, (15000).to_bytes(2, "little")) + tlv(1199, bytes([1])) +
        tlv(1214, bytes([4])) + tlv(1212, bytes([1])) + tlv(2108, bytes([0])))
doc = (tlv(1059, line) + tlv(1054, bytes([1])) + tlv(1055, bytes([1])) + tlv(1021, "Кассир".encode("cp866")) +
       tlv(1031, (15000).to_bytes(2, "little")) + tlv(1081, b"") + tlv(1020, (15000).to_bytes(2, "little")))
put("fuzz_tlv", "one-line-receipt", doc)
put("fuzz_tlv", "fvln-quantity", tlv(1023, bytes([3, 0xE8, 0x03])))
put("fuzz_tlv", "truncated", tlv(1059, line)[:-3])

# ---- config (TOML) ----
put("fuzz_config", "minimal", '[server]\nlisten = "127.0.0.1:8080"\n')
put("fuzz_config", "office",
    '[server]\nlisten = "127.0.0.1:0"\nbody_limit_bytes = 65536\n[ledger]\ndata_dir = "./var"\n[log]\nlevel = "info"\n'
    '[[entities]]\ninn = "7701234567"\nname = "ООО «Альфа»"\ntax_system = "osn"\ncashier = "Иванов"\n'
    '[[registers]]\nid = "a-1"\nfamily = "shtrih"\nuri = "tcp://127.0.0.1:7778"\nentity_inn = "7701234567"\n'
    'shift_rotate_at = "04:30"\n'
    '[[registers]]\nid = "b-1"\nfamily = "atol"\nuri = "sim://atol"\nentity_inn = "7701234567"\n'
    '[[tokens]]\nname = "c"\nrole = "cashier"\nsha256 = "' + "ab" * 32 + '"\nentities = ["7701234567"]\n')
packaged = os.path.join(ROOT, "packaging", "kassa.toml")
if os.path.exists(packaged):
    with open(packaged, "rb") as f:
        put("fuzz_config", "packaged", f.read())

# ---- router: which, flags, route index, then "param/param/...?query" line, then the body ----
# flags: token 2 (cashier) | 0x08 idempotency key | 0x40 JSON content type.
bodies = [
    b"",
    json.dumps({"customer": "C1", "cash": 10000}).encode(),
    json.dumps({"customer": "C1", "lines": [{"sku": "A", "name": "Товар", "qty": "1", "price": 10000,
                                              "vat": "vat22"}]}, ensure_ascii=False).encode(),
    json.dumps({"cash": 10000, "cashier": "Курьер"}, ensure_ascii=False).encode(),
    json.dumps({"customer": "C1", "electronic": 5000, "allocate": [{"order": "1", "amount": 5000}],
                "buyer_contact": "+79001234567"}).encode(),
]
for i in range(64):
    put("fuzz_router", f"route-{i:02d}", bytes([0, 0x4A, i]) + b"1/2\n" + bodies[i % len(bodies)])
put("fuzz_router", "raw-path", bytes([0x08, 0x01, 0xF5]) + b"/v1/receipts?limit=5&since=2020-01-01\n")
put("fuzz_router", "kkm-execute", bytes([6, 0x4A, 0]) + b"\n" +
    json.dumps({"Command": "GetDataKKT", "NumDevice": 0}).encode())
put("fuzz_router", "atol-request", bytes([7, 0x4A, 0]) + b"\n" +
    json.dumps({"uuid": "u-1", "request": [{"type": "getDeviceStatus"}]}).encode())
