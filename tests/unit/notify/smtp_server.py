"""Loopback SMTP server for the notify tests (Debian's python3-aiosmtpd).

Usage: smtp_server.py OUT_DIR [--tls | --implicit-tls]

Listens on 127.0.0.1 on a free port and prints "READY <port>" once it accepts connections.
Each accepted message N (from 0) is written as OUT_DIR/N.eml (the bytes received), OUT_DIR/N.json
(envelope, AUTH login, TLS, and the message as Python's email parser reads it, headers decoded)
and OUT_DIR/N.partK (each leaf part's decoded payload). The files are complete before the server
answers 250, so the client's success means they exist. Recipients "reject@..." get 550,
"busy@..." get 451; AUTH accepts only kassa / s3cret.
With --tls the server offers STARTTLS with a self-signed certificate for 127.0.0.1 and requires
it; with --implicit-tls it speaks TLS from the first byte (smtps://). The certificate is written to
OUT_DIR/cert.pem for the client to trust; making it needs python3-cryptography, and without it
the server prints "SKIP <reason>" instead of READY and exits.
Stops when its standard input closes (the test closes the pipe).
"""

import asyncio
import datetime
import email
import email.policy
import json
import os
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

# aiosmtpd 1.4 warns about its own deprecated Session.login_data on every AUTH.
warnings.filterwarnings("ignore", message="Session.login_data")


class Handler:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject@"):
            return "550 5.1.1 No such user"
        if address.startswith("busy@"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        base = os.path.join(self.out_dir, str(self.count))
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            part_file = f"{base}.part{len(parts)}"
            with open(part_file, "wb") as f:
                f.write(payload)
            parts.append({
                "file": part_file,
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "disposition": part.get_content_disposition(),
                "filename": part.get_filename(),
                "content_id": part.get("Content-ID"),
            })
        login = session.auth_data.login.decode() if session.auth_data else None
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_login": login,
            "tls": server.transport.get_extra_info("ssl_object") is not None or session.ssl is not None,
            "subject": str(msg["Subject"]),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "date": str(msg["Date"]),
            "message_id": str(msg["Message-ID"]),
            "parts": parts,
            "defects": [type(d).__name__ for d in msg.defects],
        }
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(base + ".json.tmp", base + ".json")
        self.count += 1
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"kassa" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def make_tls_context(out_dir):
    import ssl
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(out_dir, "cert.pem")
    key_path = os.path.join(out_dir, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


async def main():
    out_dir = sys.argv[1]
    starttls = "--tls" in sys.argv[2:]
    implicit = "--implicit-tls" in sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    handler = Handler(out_dir)
    context = None
    if starttls or implicit:
        try:
            context = make_tls_context(out_dir)
        except ImportError:
            print("SKIP python3-cryptography is not installed (needed for the test certificate)", flush=True)
            return
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(handler, hostname="kassa-test", authenticator=authenticator, auth_require_tls=starttls,
                    tls_context=context if starttls else None, require_starttls=starttls)

    server = await loop.create_server(factory, host="127.0.0.1", port=0, ssl=context if implicit else None)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    stop = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.done() or (not os.read(sys.stdin.fileno(), 4096)
                                                                 and stop.set_result(None)))
    await stop
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
