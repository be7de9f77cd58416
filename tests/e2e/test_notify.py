"""E-receipts from kassad's outbox to a real SMTP server (Debian's python3-aiosmtpd) and an HTTP
SMS gateway stub, both on loopback: delivered after confirmation, retried while the server is
down, never sent twice across a restart, and sent again on request."""

import asyncio
import email
import email.policy
import http.server
import json
import os
import queue
import socket
import sys
import threading
import time
import unittest

from aiosmtpd.smtp import SMTP

sys.path.insert(0, os.path.dirname(__file__))
from harness import TOKENS, Kassad, auth, temp_dir  # noqa: E402

import hashlib  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """An SMTP server on a fixed loopback port that can be stopped and started again."""

    def __init__(self, port):
        self.port = port
        self.messages = queue.Queue()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.put((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"

    def start(self):
        async def make():
            return await self.loop.create_server(lambda: SMTP(self), "127.0.0.1", self.port)
        self.server = asyncio.run_coroutine_threadsafe(make(), self.loop).result(10)

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)


class SmsStub(http.server.BaseHTTPRequestHandler):
    received = queue.Queue()

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        SmsStub.received.put((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Notify(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpServer(free_port())
        cls.smtp.start()
        cls.sms = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SmsStub)
        threading.Thread(target=cls.sms.serve_forever, daemon=True).start()
        digest = hashlib.sha256(TOKENS["cashier"][1].encode()).hexdigest()
        cls.config = (
            f'[notify]\nsmtp_url = "smtp://127.0.0.1:{cls.smtp.port}"\nsmtp_from = "kassa@example.com"\n'
            f'sms_url = "http://127.0.0.1:{cls.sms.server_address[1]}/send"\n'
            f'sms_body = \'{{"phone":"{{phone}}","text":"{{text}}","link":"{{link}}"}}\'\n'
            f'check_url = "https://check.example/?{{qr}}"\nretry_initial_seconds = 1\n'
            f'[[tokens]]\nname = "cashier"\nrole = "cashier"\nsha256 = "{digest}"\n')
        cls.data_dir = os.path.join(temp_dir("notify-"), "var")
        cls.k = Kassad(config_text=cls.config, data_dir=cls.data_dir)

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)
        cls.sms.shutdown()

    def pay(self, key, contact, cash=10000):
        status, answer, _ = self.k.request("POST", "/v1/payments?wait=30", headers={**auth("cashier"),
                                           "Idempotency-Key": key},
                                           body={"customer": "N-" + key, "cash": cash, "buyer_contact": contact})
        self.assertEqual(status, 200, answer)
        return answer["receipts"][0]

    def deliveries_until(self, rid, ready, timeout=30):
        """The receipt's deliveries once `ready` holds for them (the outbox has no event to await)."""
        deadline = time.monotonic() + timeout
        while True:
            _, r, _ = self.k.request("GET", f"/v1/receipts/{rid}", headers=auth("cashier"))
            if ready(r["deliveries"]) or time.monotonic() > deadline:
                return r["deliveries"]
            time.sleep(0.05)

    def test_1_email_after_confirmation_with_text_qr_and_link(self):
        receipt = self.pay("mail-1", "buyer@example.com", 12345)
        rcpt, msg = self.smtp.messages.get(timeout=30)
        self.assertEqual(rcpt, ["buyer@example.com"])
        self.assertIn(str(receipt["fiscal"]["fd_number"]), msg["Subject"])
        text = msg.get_body(("plain",)).get_content()
        self.assertIn("ИТОГ: 123.45", text)
        self.assertIn(f"ФП: {receipt['fiscal']['fiscal_sign']}", text)
        self.assertIn("https://check.example/?t%3D", text)
        images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
        self.assertEqual(len(images), 1)
        deliveries = self.deliveries_until(receipt["id"], lambda d: d and d[0]["state"] == "sent")
        self.assertEqual([(d["kind"], d["state"]) for d in deliveries], [("email", "sent")])

    def test_2_sms_through_the_gateway(self):
        self.pay("sms-1", "+79001234567", 5000)
        path, body = SmsStub.received.get(timeout=30)
        self.assertEqual(path, "/send")
        self.assertEqual(body["phone"], "+79001234567")
        self.assertIn("Чек 50.00", body["text"])
        self.assertTrue(body["link"].startswith("https://check.example/?t%3D"))

    def test_3_server_down_then_up_delivers_later(self):
        self.smtp.stop()
        try:
            receipt = self.pay("mail-late", "late@example.com")
            deliveries = self.deliveries_until(receipt["id"], lambda d: d and d[0]["attempts"] >= 1 and
                                               d[0]["state"] == "pending")
            self.assertEqual(deliveries[0]["state"], "pending", deliveries)
            self.assertTrue(deliveries[0]["last_error"])
        finally:
            self.smtp.start()
        rcpt, _ = self.smtp.messages.get(timeout=30)
        self.assertEqual(rcpt, ["late@example.com"])
        deliveries = self.deliveries_until(receipt["id"], lambda d: d[0]["state"] == "sent")
        self.assertGreaterEqual(deliveries[0]["attempts"], 2)

    def test_4_restart_sends_nothing_twice_and_resend_sends_again(self):
        self.assertEqual(self.k.stop(), 0)
        self.k.__exit__(None, None, None)
        type(self).k = Kassad(config_text=self.config, data_dir=self.data_dir)
        receipt = self.pay("mail-after", "after@example.com")
        rcpt, _ = self.smtp.messages.get(timeout=30)
        self.assertEqual(rcpt, ["after@example.com"], "an e-mail delivered before the restart went out again")
        status, answer, _ = self.k.request("POST", f"/v1/receipts/{receipt['id']}/resend", headers=auth("cashier"))
        self.assertEqual(status, 202, answer)
        rcpt, _ = self.smtp.messages.get(timeout=30)
        self.assertEqual(rcpt, ["after@example.com"])
        self.assertTrue(self.smtp.messages.empty())


if __name__ == "__main__":
    unittest.main(verbosity=2)
