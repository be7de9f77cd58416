"""kassad as a process: starts on the embedded default, answers /v1/health, refuses bad configs,
guards its connections, and stops cleanly on SIGTERM/SIGINT."""

import os
import signal
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Kassad, run_kassad_expecting_failure  # noqa: E402


class Skeleton(unittest.TestCase):
    def test_health_answers_json_with_version_uptime_and_registers(self):
        with Kassad() as k:
            status, body, res = k.request("GET", "/v1/health")
            self.assertEqual(status, 200)
            self.assertTrue(res.getheader("Content-Type").startswith("application/json"))
            self.assertEqual(body["status"], "ok")
            self.assertRegex(body["version"], r"^\d+\.\d+\.\d+$")
            self.assertIsInstance(body["uptime_seconds"], int)
            self.assertEqual([r["id"] for r in body["registers"]], ["sim-1"])
            self.assertIn("state", body["registers"][0])
            self.assertEqual(k.stop(), 0)

    def test_first_start_makes_a_private_admin_token_that_survives_restart(self):
        with Kassad() as k:
            path = os.path.join(k.dir, "var", "admin-token")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            with open(path) as f:
                token = f.read().strip()
            self.assertEqual(len(token), 64)
            self.assertEqual(k.stop(), 0)
            again = Kassad(data_dir=k.data_dir)
            try:
                with open(path) as f:
                    self.assertEqual(f.read().strip(), token)
                self.assertEqual(again.stop(), 0)
            finally:
                again.__exit__(None, None, None)

    def test_hash_token_prints_the_config_digest(self):
        import subprocess
        from harness import KASSAD
        out = subprocess.run([KASSAD, "--hash-token", "abc"], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out.strip(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

    def test_tls_serves_https_and_refuses_plain_http(self):
        import ssl
        import subprocess
        from harness import temp_dir
        d = temp_dir("tls-")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        with Kassad(config_text=f'[server]\ntls_cert = "{cert}"\ntls_key = "{key}"\n') as k:
            import http.client
            context = ssl.create_default_context(cafile=cert)
            conn = http.client.HTTPSConnection(k.host, k.port, timeout=10, context=context)
            conn.request("GET", "/v1/health")
            res = conn.getresponse()
            self.assertEqual(res.status, 200)
            self.assertIn(b'"status":"ok"', res.read())
            conn.close()
            with self.assertRaises((OSError, http.client.HTTPException)):
                k.request("GET", "/v1/health", timeout=5)  # plain HTTP to a TLS port gets no answer
            self.assertEqual(k.stop(), 0)

    def test_tls_needs_both_files_and_readable_ones(self):
        code, err = run_kassad_expecting_failure([], config_text='[server]\ntls_cert = "/nonexistent.pem"\n')
        self.assertNotEqual(code, 0)
        self.assertIn("tls_key", err)
        code, err = run_kassad_expecting_failure(
            [], config_text='[server]\ntls_cert = "/nonexistent.pem"\ntls_key = "/nonexistent.key"\n')
        self.assertNotEqual(code, 0)
        self.assertIn("TLS certificate", err)

    def test_unknown_config_key_fails_start_naming_key_and_line(self):
        code, err = run_kassad_expecting_failure([], config_text='[server]\nlisten = "127.0.0.1:0"\nlisen = 1\n')
        self.assertNotEqual(code, 0)
        self.assertIn("server.lisen", err)
        self.assertIn("kassa.toml:3", err)

    def test_bad_flag_values_fail_start(self):
        code, err = run_kassad_expecting_failure(["--log-level", "loud"])
        self.assertNotEqual(code, 0)
        self.assertIn("log.level", err)

    def test_config_file_registers_replace_the_default(self):
        cfg = '[[registers]]\nid = "front"\nuri = "tcp://127.0.0.1:7778"\nentity_inn = "7701234567"\n'
        with Kassad(config_text=cfg) as k:
            _, body, _ = k.request("GET", "/v1/health")
            self.assertEqual([r["id"] for r in body["registers"]], ["front"])

    def test_errors_are_json_with_codes(self):
        with Kassad() as k:
            status, body, _ = k.request("GET", "/v1/nothing-here")
            self.assertEqual((status, body["code"]), (404, "not_found"))
            status, body, res = k.request("DELETE", "/v1/health")
            self.assertEqual((status, body["code"]), (405, "method_not_allowed"))
            self.assertEqual(res.getheader("Allow"), "GET")

    def test_body_over_the_limit_is_413(self):
        with Kassad(config_text="[server]\nbody_limit_bytes = 1024\n") as k:
            status, body, _ = k.request("POST", "/v1/health", body="x" * 5000)
            self.assertEqual((status, body["code"]), (413, "payload_too_large"))

    def test_garbage_request_is_400_and_the_server_survives(self):
        with Kassad() as k:
            with socket.create_connection((k.host, k.port), timeout=10) as s:
                s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
                reply = s.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply)
            status, _, _ = k.request("GET", "/v1/health")
            self.assertEqual(status, 200)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        with Kassad() as k:
            conn = k.connection()
            for _ in range(3):
                conn.request("GET", "/v1/health")
                res = conn.getresponse()
                res.read()
                self.assertEqual(res.status, 200)
            conn.close()

    def test_sigint_stops_cleanly_and_closes_idle_connections(self):
        with Kassad() as k:
            # An idle keep-alive connection: it has been served once and waits for more. (A socket
            # still in the listen backlog would be reset by the kernel when the listener closes.)
            idle = socket.create_connection((k.host, k.port), timeout=10)
            idle.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = idle.recv(4096)
                self.assertTrue(chunk, "the server closed a keep-alive connection early")
                reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"))
            self.assertEqual(k.stop(signal.SIGINT), 0)
            self.assertEqual(idle.recv(1), b"")  # closed by the server, not left hanging
            idle.close()
            with self.assertRaises(OSError):
                socket.create_connection((k.host, k.port), timeout=2).close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
