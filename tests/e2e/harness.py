"""Test support for end-to-end tests: starts the real kassad on loopback with a temporary data
dir under the build tree, waits for its ready line on stdout (never sleeps), and talks HTTP."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

BINARY_DIR = os.environ["KASSA_BINARY_DIR"]
KASSAD = os.path.join(BINARY_DIR, "src", "app", "kassad")
TMP_ROOT = os.path.join(BINARY_DIR, "test-tmp")

READY = re.compile(r"listening on https?://([0-9.]+):(\d+)")


def temp_dir(prefix):
    os.makedirs(TMP_ROOT, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=TMP_ROOT)


class Kassad:
    """A kassad process. Use as a context manager; stop() sends SIGTERM and returns the exit code."""

    def __init__(self, args=(), config_text=None, data_dir=None, ready_timeout=30, wrapper=()):
        """`wrapper` runs kassad through another command, e.g. ("prlimit", "--nofile=64")."""
        self.dir = temp_dir("kassad-")
        self.data_dir = data_dir or os.path.join(self.dir, "var")
        cmd = list(wrapper) + [KASSAD, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if config_text is not None:
            path = os.path.join(self.dir, "kassa.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(config_text)
            cmd += ["--config", path]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.stdout_lines = []  # what kassad printed on stdout (the start-up lines)
        self._stdout_cond = threading.Condition()
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()
        self.host, self.port = self._await_ready(ready_timeout)

    def _drain_stdout(self):
        for line in self.proc.stdout:
            with self._stdout_cond:
                self.stdout_lines.append(line)
                self._stdout_cond.notify_all()
        with self._stdout_cond:
            self._stdout_cond.notify_all()

    def await_stdout(self, text, timeout=30):
        """All stdout lines so far once one of them contains `text` (kassad prints its start-up
        lines after the ready line); raises after `timeout` seconds or when kassad has exited."""
        with self._stdout_cond:
            found = self._stdout_cond.wait_for(
                lambda: any(text in line for line in self.stdout_lines) or self.proc.poll() is not None, timeout)
            if not found or not any(text in line for line in self.stdout_lines):
                raise AssertionError(f"kassad never printed {text!r}: {''.join(self.stdout_lines)}")
            return "".join(self.stdout_lines)

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def _await_ready(self, timeout):
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            for line in self.proc.stdout:
                self.stdout_lines.append(line)
                m = READY.search(line)
                if m:
                    threading.Thread(target=self._drain_stdout, daemon=True).start()
                    return m.group(1), int(m.group(2))
        finally:
            timer.cancel()
        self.proc.wait()
        raise RuntimeError("kassad exited before it was ready:\n" + "".join(self.stderr_lines))

    def connection(self, timeout=30):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = self.connection(timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=body, headers=headers or {})
            res = conn.getresponse()
            data = res.read()
            parsed = None
            if res.getheader("Content-Type", "").startswith("application/json") and data:
                parsed = json.loads(data)
            return res.status, parsed, res
        finally:
            conn.close()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_kassad_expecting_failure(args, config_text=None, timeout=30):
    """Runs kassad that should refuse to start; returns (exit code, stderr)."""
    d = temp_dir("kassad-bad-")
    cmd = [KASSAD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(d, "var")]
    if config_text is not None:
        path = os.path.join(d, "kassa.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config_text)
        cmd += ["--config", path]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout)
    shutil.rmtree(d, ignore_errors=True)
    return proc.returncode, proc.stderr


# ---- a two-entity office: the configuration the end-to-end tests share ------------------------

import hashlib  # noqa: E402

ENTITY_A = "7701234567"
ENTITY_B = "7709876543"
TOKENS = {
    "admin": ("admin", "admin-token-0123456789abcdef0123456789"),
    "cashier": ("cashier", "cashier-token-0123456789abcdef01234567"),
    "courier-1": ("courier", "courier1-token-0123456789abcdef0123456"),
    "courier-2": ("courier", "courier2-token-0123456789abcdef0123456"),
}


def office_config(extra=""):
    """Two legal entities with two simulated registers each, one on a pty and one on TCP; entity B's
    TCP register is an ATOL one, so every scenario runs on both families."""
    parts = []
    for inn, name in ((ENTITY_A, "ООО «Альфа»"), (ENTITY_B, "ООО «Бета»")):
        parts.append(f'[[entities]]\ninn = "{inn}"\nname = "{name}"\ncashier = "Кассир Иванов"\n'
                     f'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n')
    for rid, inn, family, uri in (("a-tcp", ENTITY_A, "shtrih", "sim://embedded"),
                                  ("a-pty", ENTITY_A, "shtrih", "sim://embedded?endpoint=pty"),
                                  ("b-tcp", ENTITY_B, "atol", "sim://atol"),
                                  ("b-pty", ENTITY_B, "shtrih", "sim://embedded?endpoint=pty")):
        parts.append(f'[[registers]]\nid = "{rid}"\nfamily = "{family}"\nuri = "{uri}"\nentity_inn = "{inn}"\n')
    for name, (role, token) in TOKENS.items():
        digest = hashlib.sha256(token.encode()).hexdigest()
        parts.append(f'[[tokens]]\nname = "{name}"\nrole = "{role}"\nsha256 = "{digest}"\n')
    return "\n".join(parts) + extra


class SharedKassad(unittest.TestCase):
    """A test case whose tests share one kassad on office_config(CONFIG_EXTRA)."""

    CONFIG_EXTRA = ""

    @classmethod
    def setUpClass(cls):
        cls.k = Kassad(config_text=office_config(cls.CONFIG_EXTRA))

    @classmethod
    def tearDownClass(cls):
        cls.k.__exit__(None, None, None)


def auth(name):
    return {"Authorization": "Bearer " + TOKENS[name][1]}


def sim_archives(data_dir):
    """The simulated registers' fiscal storage, read from their state files: {fn_serial: state}."""
    out = {}
    for entry in os.listdir(data_dir):
        if entry.startswith("sim-") and entry.endswith(".fn"):
            with open(os.path.join(data_dir, entry), encoding="utf-8") as f:
                state = json.load(f)
            out[state["fn_serial"]] = state
    return out
