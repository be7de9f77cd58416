#!/usr/bin/env python3
"""Chaos run (issue 18): kassad in front of four registers of both families (kassa-sim processes on
loopback TCP: Shtrih and ATOL v3 for entity A, Shtrih and ATOL v2 for entity B), each with the
cut_link fault (the simulator drops the connection mid-chunk, at random, seeded). Client threads
make advance payments and whole order flows (order, prepayment, delivery with the prepayment
offset), each request under its Idempotency-Key, retrying it after a lost answer, a 202, a 409
busy or a 503. Meanwhile kassad is killed with SIGKILL at random moments and started again on the
same data dir (the registers keep running, as real ones do).

At the end, on a live kassad: every key answers with the same, confirmed receipts; the ledger holds
exactly those receipts, none planned, sending, uncertain or failed; each simulator's FN archive
holds exactly the ledger's documents (FN serial and document number, and the totals); every
customer's advance balance is what was paid, every order is delivered and owes nothing; every
register is online.

    python3 tests/chaos/run.py            the short seeded run of `make test` (~100 receipts)
    python3 tests/chaos/run.py --long     ≥ 1000 receipts, ≥ 20 SIGKILLs, ≥ 100 link cuts
    options: --seed N, --receipts N, --clients N, --cut-permille N, --kill-every MIN MAX (seconds)
KASSA_BINARY_DIR defaults to ./build. Exit status 0 when every check holds."""

import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("KASSA_BINARY_DIR", os.path.join(os.path.dirname(os.path.dirname(HERE)), "build"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from harness import BINARY_DIR, ENTITY_A, ENTITY_B, TOKENS, Kassad, auth, temp_dir  # noqa: E402

KASSA_SIM = os.path.join(BINARY_DIR, "simulators", "shtrih", "kassa-sim")
RETRYABLE = (OSError, http.client.HTTPException)


class Sim:
    """A kassa-sim process on loopback TCP with the cut_link fault; counts the cuts it reports."""

    def __init__(self, root, rid, family, link, inn, fn_serial, permille, seed, port=0):
        self.rid, self.family, self.inn = rid, family, inn
        self.state = os.path.join(root, rid + ".fn")
        faults = os.path.join(root, rid + ".faults")
        with open(faults, "w", encoding="utf-8") as f:
            f.write(f"cut_link {permille} {seed}\n" if permille else "")
        cmd = [KASSA_SIM, "--family", family, "--tcp", f"127.0.0.1:{port}", "--state", self.state, "--faults",
               faults, "--inn", inn, "--fn-serial", fn_serial]
        if link:
            cmd += ["--protocol", link]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("kassa-sim ready tcp "):
            raise RuntimeError(f"kassa-sim {rid} did not start: {line}{self.proc.stderr.read()}")
        self.address = line.split()[-1]
        self.uri = "tcp://" + self.address + (f"?link={link}" if link else "")
        self.cuts = 0
        self.errors = []
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self):
        for line in self.proc.stderr:
            if "link cut after" in line:
                self.cuts += 1
            else:
                self.errors.append(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self._drain.join(10)
        return code

    def documents(self):
        with open(self.state, encoding="utf-8") as f:
            state = json.load(f)
        return state["fn_serial"], [d for d in state["documents"] if d["type"] in (3, 31)]


def config(sims):
    parts = []
    for inn, name in ((ENTITY_A, "ООО «Альфа»"), (ENTITY_B, "ООО «Бета»")):
        parts.append(f'[[entities]]\ninn = "{inn}"\nname = "{name}"\ncashier = "Кассир Иванов"\n'
                     f'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n')
    for s in sims:
        parts.append(f'[[registers]]\nid = "{s.rid}"\nfamily = "{s.family}"\nuri = "{s.uri}"\n'
                     f'entity_inn = "{s.inn}"\n')
    for name, (role, token) in TOKENS.items():
        parts.append(f'[[tokens]]\nname = "{name}"\nrole = "{role}"\n'
                     f'sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n')
    return "\n".join(parts)


class Service:
    """The kassad of the moment: the killer replaces it; clients wait for the next one."""

    def __init__(self, config_text, data_dir):
        self.config_text, self.data_dir = config_text, data_dir
        self.cond = threading.Condition()
        self.generation = 0
        self.k = Kassad(config_text=config_text, data_dir=data_dir)
        self.kills = 0

    def current(self):
        with self.cond:
            return self.generation, self.k

    def await_next(self, generation):
        """Returns once a kassad newer than `generation` is up (at once when one already is)."""
        with self.cond:
            self.cond.wait_for(lambda: self.generation != generation, timeout=120)

    def kill_and_restart(self):
        with self.cond:
            old = self.k
        old.proc.send_signal(signal.SIGKILL)
        old.proc.wait(30)
        old.__exit__(None, None, None)
        new = Kassad(config_text=self.config_text, data_dir=self.data_dir, ready_timeout=60)
        with self.cond:
            self.k = new
            self.generation += 1
            self.kills += 1
            self.cond.notify_all()

    def close(self):
        with self.cond:
            k = self.k
        code = k.stop()
        k.__exit__(None, None, None)
        return code


class Client(threading.Thread):
    """Makes its own customers' payments and order flows until the shared budget of receipts is
    spent; every request is retried under its key until it is answered with confirmed receipts."""

    def __init__(self, run, index):
        super().__init__(daemon=True)
        self.run_, self.index = run, index
        self.rng = random.Random(run.seed * 1000 + index)
        self.retries = 0
        self.failures = []

    def call(self, method, path, body, key=None):
        headers = {**auth("cashier")}
        if key:
            headers["Idempotency-Key"] = key
            path += "?wait=20"
        while True:
            generation, k = self.run_.service.current()
            try:
                status, answer, res = k.request(method, path, body=body, headers=headers, timeout=60)
            except RETRYABLE:
                self.retries += 1
                if k.proc.poll() is not None:
                    self.run_.service.await_next(generation)
                continue
            if status == 200 and (not key or all(r["state"] == "confirmed" for r in answer["receipts"])):
                return answer
            if status == 200:  # settled, but not every receipt was confirmed
                raise AssertionError(f"{key}: {answer}")
            if status in (202, 503) or (status == 409 and answer and answer.get("code") == "busy"):
                self.retries += 1
                if status != 202:  # Retry-After: the receipts it names are still printing
                    self.run_.stop.wait(min(float(res.getheader("Retry-After", "1")), 0.25))
                continue
            raise AssertionError(f"{method} {path} ({key}): {status} {answer}")

    def run(self):
        try:
            n = 0
            while True:
                advance = self.rng.random() < 0.34  # one receipt; an order flow makes two
                if not self.run_.take_budget(1 if advance else 2):
                    break
                n += 1
                entity = ENTITY_A if self.rng.random() < 0.5 else ENTITY_B
                prefix = f"c{self.run_.seed}-{self.index}-{n}"
                if advance:
                    self.advance(prefix, entity)
                else:
                    self.order(prefix, entity)
        except Exception as e:  # noqa: BLE001: reported with the run's figures
            self.failures.append(f"client {self.index}: {e!r}")

    def advance(self, prefix, entity):
        customer = "A-" + prefix
        cash = self.rng.randint(100, 500_000)
        body = {"customer": customer, "cash": cash, "entity_inn": entity}
        key = "pay-" + prefix
        answer = self.call("POST", "/v1/payments", body, key)
        self.run_.record(key, "POST", "/v1/payments", body, answer, 1)
        self.run_.advances[customer] = cash

    def order(self, prefix, entity):
        customer, order = "O-" + prefix, "ord-" + prefix
        qty = self.rng.randint(1, 3)
        price = self.rng.randint(1000, 300_000)
        total = qty * price
        lines = [{"sku": "S1", "name": "Товар", "qty": str(qty), "price": price, "vat": "vat22"}]
        self.call("PUT", f"/v1/orders/{order}", {"customer": customer, "entity_inn": entity, "lines": lines})
        prepaid = self.rng.randint(1, total - 1)
        pay = {"customer": customer, "electronic": prepaid, "allocate": [{"order": order, "amount": prepaid}],
               "entity_inn": entity}
        answer = self.call("POST", "/v1/payments", pay, "pre-" + prefix)
        self.run_.record("pre-" + prefix, "POST", "/v1/payments", pay, answer, 1)
        delivery = {"cash": total - prepaid, "cashier": "Курьер Петров"}
        answer = self.call("POST", f"/v1/orders/{order}/delivery", delivery, "dlv-" + prefix)
        self.run_.record("dlv-" + prefix, "POST", f"/v1/orders/{order}/delivery", delivery, answer, 1)
        self.run_.orders[order] = (customer, total, prepaid)


class Run:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.progress = threading.Condition(self.lock)  # notified as clients take receipts
        self.budget = args.receipts
        self.keys = {}  # key → (method, path, body, receipt ids)
        self.advances = {}
        self.orders = {}

    def take_budget(self, receipts):
        with self.lock:
            if self.budget <= 0 or self.stop.is_set():
                return False
            self.budget -= receipts
            self.progress.notify_all()
            return True

    def record(self, key, method, path, body, answer, expected):
        ids = [r["id"] for r in answer["receipts"]]
        if len(ids) != expected:
            raise AssertionError(f"{key}: {len(ids)} receipts, expected {expected}: {answer}")
        with self.lock:
            self.keys[key] = (method, path, body, ids)

    def killer(self):
        """SIGKILLs at random moments (every kill_every seconds) and, besides, at the required number
        of random points of the receipt budget: a fast machine that does the whole workload in a few
        seconds still sees its kills in the middle of the run."""
        rng = random.Random(self.seed)
        lo, hi = self.args.kill_every
        total = self.args.receipts
        points = sorted(rng.uniform(0.05, 0.9) * total for _ in range(self.args.require[1] if self.args.require else 0))
        deadline = time.monotonic() + rng.uniform(lo, hi)
        while True:
            with self.progress:
                def due():
                    return (self.stop.is_set() or (points and total - self.budget >= points[0])
                            or time.monotonic() >= deadline)
                self.progress.wait_for(due, timeout=max(0.0, deadline - time.monotonic()))
                if self.stop.is_set():
                    return
                if points and total - self.budget >= points[0]:
                    points.pop(0)
                else:
                    deadline = time.monotonic() + rng.uniform(lo, hi)
            self.service.kill_and_restart()

    def execute(self):
        started = time.monotonic()
        root = temp_dir("chaos-")
        cut = self.args.cut_permille
        layout = (("a-shtrih", "shtrih", None, ENTITY_A), ("a-atol", "atol", "v3", ENTITY_A),
                  ("b-shtrih", "shtrih", None, ENTITY_B), ("b-atol", "atol", "v2", ENTITY_B))
        self.sims = [Sim(root, rid, family, link, inn, f"99990789000010{i + 1:02d}", cut, self.seed * 10 + i)
                     for i, (rid, family, link, inn) in enumerate(layout)]
        data_dir = os.path.join(root, "var")
        problems = []
        try:
            self.service = Service(config(self.sims), data_dir)
            clients = [Client(self, i) for i in range(self.args.clients)]
            killer = threading.Thread(target=self.killer, daemon=True)
            killer.start()
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            with self.progress:
                self.stop.set()
                self.progress.notify_all()
            killer.join()
            for c in clients:
                problems += c.failures
            workload_s = time.monotonic() - started
            if not problems:
                problems += self.verify()
            ledger_receipts = self.receipt_count
            code = self.service.close()
            if code != 0:
                problems.append(f"kassad exited {code} on SIGTERM")
        finally:
            self.stop.set()
            for s in self.sims:
                s.stop()
        if not problems:
            problems += self.verify_archives()
        figures = {
            "seed": self.seed,
            "receipts": len([i for v in self.keys.values() for i in v[3]]),
            "keys": len(self.keys),
            "sigkills": self.service.kills,
            "link_cuts": sum(s.cuts for s in self.sims),
            "cuts_by_register": {s.rid: s.cuts for s in self.sims},
            "client_retries": sum(c.retries for c in clients),
            "workload_seconds": round(workload_s, 1),
            "total_seconds": round(time.monotonic() - started, 1),
        }
        print("chaos:", json.dumps(figures, ensure_ascii=False))
        if problems:
            print("chaos: FAILED\n  " + "\n  ".join(problems[:30]))
            return 1
        minimum = self.args.require
        if minimum:
            need = {"receipts": minimum[0], "sigkills": minimum[1], "link_cuts": minimum[2]}
            short = [f"{k} {figures[k]} < {v}" for k, v in need.items() if figures[k] < v]
            if short:
                print("chaos: FAILED: the run was too tame: " + ", ".join(short))
                return 1
        print(f"chaos: ok: {ledger_receipts} receipts, each key confirmed exactly once, FN archives = ledger")
        return 0

    def verify(self):
        problems = []
        _, k = self.service.current()
        admin = auth("admin")
        # Every key again: the same receipts, all confirmed, and a replay (nothing new planned).
        for key, (method, path, body, ids) in sorted(self.keys.items()):
            status, answer, _ = k.request(method, path + "?wait=30", body=body,
                                          headers={**auth("cashier"), "Idempotency-Key": key}, timeout=60)
            if status != 200 or [r["id"] for r in answer["receipts"]] != ids or not answer.get("replayed"):
                problems.append(f"{key}: replay gave {status} {answer}")
            elif any(r["state"] != "confirmed" for r in answer["receipts"]):
                problems.append(f"{key}: not confirmed: {answer}")
        # GET /v1/receipts answers at most 1000 receipts (the ledger's query limit): one register at
        # a time, and every state that is not final on its own.
        receipts = []
        for s in self.sims:
            _, listing, _ = k.request("GET", f"/v1/receipts?register={s.rid}", headers=admin, timeout=60)
            receipts += listing["receipts"]
            if len(listing["receipts"]) >= 1000:
                problems.append(f"register {s.rid}: 1000 receipts or more, the listing is cut: run fewer")
        for state in ("planned", "sending", "uncertain", "failed"):
            _, listing, _ = k.request("GET", f"/v1/receipts?state={state}", headers=admin, timeout=60)
            problems += [f"receipt {r['id']} is {state}" for r in listing["receipts"]]
        self.receipt_count = len(receipts)
        self.ledger = {}
        expected = {i for v in self.keys.values() for i in v[3]}
        for r in receipts:
            if r["state"] != "confirmed":
                problems.append(f"receipt {r['id']} is {r['state']}: stuck or failed")
            elif r["id"] in expected:
                self.ledger[(r["fiscal"]["fn_number"], r["fiscal"]["fd_number"])] = r["receipt"]["total"]
        extra = {r["id"] for r in receipts} - expected
        if extra:
            problems.append(f"receipts no key answered with (planned twice?): {sorted(extra)[:10]}")
        if len(self.ledger) != len(expected):
            problems.append(f"{len(expected)} receipts answered, {len(self.ledger)} distinct fiscal documents")
        for customer, cash in self.advances.items():
            _, view, _ = k.request("GET", f"/v1/customers/{customer}", headers=admin)
            if view["advance_balance"] != cash:
                problems.append(f"customer {customer}: balance {view['advance_balance']}, paid {cash}")
        for order, (customer, total, prepaid) in self.orders.items():
            _, view, _ = k.request("GET", f"/v1/orders/{order}", headers=admin)
            if (view["state"], view["total"], view["delivered"], view["owed"]) != ("delivered", total, total, 0):
                problems.append(f"order {order} of {total}: {view['state']}, delivered {view['delivered']}, "
                                f"owed {view['owed']}")
            _, c, _ = k.request("GET", f"/v1/customers/{customer}", headers=admin)
            if c["advance_balance"] != 0:
                problems.append(f"customer {customer}: advance {c['advance_balance']} left by an order flow")
        _, registers, _ = k.request("GET", "/v1/registers", headers=admin)
        for r in registers["registers"]:
            # A cut a moment ago may leave one reconnecting; stuck is work left or an operator needed.
            if r["queue_depth"] != 0 or r["state"] in ("needs_operator", "device_stopped", "stopped"):
                problems.append(f"register {r['id']} is {r['state']} with {r['queue_depth']} queued: {r.get('detail')}")
        return problems

    def verify_archives(self):
        archive = {}
        for s in self.sims:
            fn, docs = s.documents()
            for d in docs:
                if (fn, d["number"]) in archive:
                    return [f"FN {fn} document {d['number']} twice"]
                archive[(fn, d["number"])] = d["total"]
            if s.errors:
                return [f"kassa-sim {s.rid}: {''.join(s.errors[:5])}"]
        problems = []
        if set(archive) != set(self.ledger):
            only_fn = sorted(set(archive) - set(self.ledger))[:10]
            only_ledger = sorted(set(self.ledger) - set(archive))[:10]
            problems.append(f"FN archives and ledger differ: FN only {only_fn}, ledger only {only_ledger}")
        elif archive != self.ledger:
            problems.append("a document's total differs between its FN and the ledger")
        return problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--long", action="store_true")
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--receipts", type=int)
    p.add_argument("--clients", type=int)
    p.add_argument("--cut-permille", type=int)
    p.add_argument("--kill-every", type=float, nargs=2)
    args = p.parse_args()
    if args.long:
        defaults = dict(receipts=1100, clients=8, cut_permille=6, kill_every=(1.0, 3.0))
        args.require = (1000, 20, 100)
    else:
        defaults = dict(receipts=100, clients=4, cut_permille=8, kill_every=(2.0, 5.0))
        args.require = (90, 3, 5)
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return Run(args).execute()


if __name__ == "__main__":
    sys.exit(main())
