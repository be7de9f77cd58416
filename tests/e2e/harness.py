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

BINARY_DIR = os.environ["KASSA_BINARY_DIR"]
KASSAD = os.path.join(BINARY_DIR, "src", "app", "kassad")
TMP_ROOT = os.path.join(BINARY_DIR, "test-tmp")

READY = re.compile(r"listening on http://([0-9.]+):(\d+)")


def temp_dir(prefix):
    os.makedirs(TMP_ROOT, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=TMP_ROOT)


class Kassad:
    """A kassad process. Use as a context manager; stop() sends SIGTERM and returns the exit code."""

    def __init__(self, args=(), config_text=None, data_dir=None, ready_timeout=30):
        self.dir = temp_dir("kassad-")
        self.data_dir = data_dir or os.path.join(self.dir, "var")
        cmd = [KASSAD, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if config_text is not None:
            path = os.path.join(self.dir, "kassa.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(config_text)
            cmd += ["--config", path]
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()
        self.host, self.port = self._await_ready(ready_timeout)

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def _await_ready(self, timeout):
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            for line in self.proc.stdout:
                m = READY.search(line)
                if m:
                    threading.Thread(target=self.proc.stdout.read, daemon=True).start()
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
