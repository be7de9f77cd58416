"""GET /metrics: Prometheus text format that python3-prometheus-client's parser reads; open to
loopback callers; the receipt and HTTP counters move when a receipt is printed."""

import os
import sys
import unittest

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(__file__))
from harness import ENTITY_A, TOKENS, Kassad, auth, sim_archives  # noqa: E402


def scrape(k):
    conn = k.connection()
    try:
        conn.request("GET", "/metrics")  # no token: the harness talks from 127.0.0.1
        res = conn.getresponse()
        text = res.read().decode()
        assert res.status == 200, (res.status, text)
        assert res.getheader("Content-Type").startswith("text/plain; version=0.0.4"), res.getheader("Content-Type")
    finally:
        conn.close()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


class Metrics(unittest.TestCase):
    def test_counters_move_when_a_receipt_is_printed(self):
        with Kassad() as k:
            with open(os.path.join(k.data_dir, "admin-token")) as f:
                token = f.read().strip()
            auth = {"Authorization": "Bearer " + token}
            before = scrape(k)
            self.assertEqual(value(before, "kassa_register_state", register="sim-1", state="idle")
                             + value(before, "kassa_register_state", register="sim-1", state="connecting"), 1)
            confirmed = value(before, "kassa_receipts", register="sim-1", state="confirmed")

            put_status, order, _ = k.request("PUT", "/v1/orders/M1", {"customer": "C1", "lines": [
                {"sku": "A", "name": "Товар", "qty": "1", "price": 10000, "vat": "vat22"}]}, headers=auth)
            self.assertIn(put_status, (200, 201), order)
            payment = {"customer": "C1", "cash": 10000, "allocate": [{"order": "M1", "amount": 10000}]}
            status, paid, _ = k.request("POST", "/v1/payments?wait=30", payment,
                                        headers={**auth, "Idempotency-Key": "m1"})
            self.assertEqual(status, 200, paid)
            # A second event (an advance), and the first one repeated: a replay is not planned again.
            status, advance, _ = k.request("POST", "/v1/payments?wait=30", {"customer": "C1", "cash": 5000},
                                           headers={**auth, "Idempotency-Key": "m2"})
            self.assertEqual(status, 200, advance)
            status, again, _ = k.request("POST", "/v1/payments?wait=30", payment,
                                         headers={**auth, "Idempotency-Key": "m1"})
            self.assertEqual(status, 200, again)
            events_planned = 2

            after = scrape(k)
            self.assertEqual(value(after, "kassa_receipts", register="sim-1", state="confirmed"), confirmed + 2)
            self.assertEqual(value(after, "kassa_http_requests_total",
                                   method="POST", route="/v1/payments", status="200"), 3)
            self.assertEqual(value(after, "kassa_http_requests_total",
                                   method="PUT", route="/v1/orders/{id}", status=str(put_status)), 1)
            # The first scrape is counted by route pattern too.
            self.assertGreaterEqual(value(after, "kassa_http_requests_total",
                                          method="GET", route="/metrics", status="200"), 1)
            # The register's status has been read: the FN's days left and the shift flag are exported;
            # the shift the receipt opened shows at once (issue 16: the status follows the commands).
            self.assertEqual(value(after, "kassa_register_shift_open", register="sim-1"), 1)
            self.assertGreater(value(after, "kassa_register_fn_days_left", register="sim-1"), 0)
            self.assertIn(("kassa_register_ofd_unsent_documents", (("register", "sim-1"),)), after)
            self.assertEqual(value(after, "kassa_register_queue_depth", register="sim-1"), 0)
            # Device call latency (histogram per register and call): one more receipt fiscalised,
            # every call within its buckets, the +Inf bucket equal to the count.
            def count(samples, command):
                return value(samples, "kassa_device_command_seconds_count", register="sim-1", command=command)
            self.assertEqual(count(after, "fiscalise"), count(before, "fiscalise") + 2)
            self.assertGreater(count(after, "status"), 0)
            self.assertGreater(value(after, "kassa_device_command_seconds_sum", register="sim-1",
                                     command="fiscalise"), 0)
            for command in ("fiscalise", "status"):
                self.assertEqual(value(after, "kassa_device_command_seconds_bucket", register="sim-1",
                                       command=command, le="+Inf"), count(after, command))
                self.assertLessEqual(value(after, "kassa_device_command_seconds_bucket", register="sim-1",
                                           command=command, le="0.01"), count(after, command))
            self.assertGreater(value(after, "kassa_ledger_write_ops_total"),
                               value(before, "kassa_ledger_write_ops_total"))

            # Planning and commit latency (issue 16): one planning per event posted, none for the
            # replay; every committed write timed to durability; one transaction per group commit.
            def moved(name):
                return value(after, name) - value(before, name)
            self.assertEqual(moved("kassa_planning_seconds_count"), events_planned)
            self.assertGreater(moved("kassa_planning_seconds_sum"), 0)
            # Each event's plan is stored in a write of its own, then each receipt is marked
            # sending and confirmed: at least three committed writes per event.
            self.assertGreaterEqual(moved("kassa_ledger_commit_seconds_count"), 3 * events_planned)
            self.assertGreater(moved("kassa_ledger_commit_seconds_sum"), 0)
            for s in (before, after):
                batches = value(s, "kassa_ledger_write_batches_total")
                self.assertEqual(value(s, "kassa_ledger_transaction_seconds_count"), batches)
                self.assertEqual(value(s, "kassa_ledger_sync_seconds_count"), batches)
                # The COMMIT is part of its transaction.
                self.assertLessEqual(value(s, "kassa_ledger_sync_seconds_sum"),
                                     value(s, "kassa_ledger_transaction_seconds_sum"))
                self.assertEqual(value(s, "kassa_ledger_batch_size_count"), batches)
                # Writes in committed batches: at most every write run, at least every one committed.
                self.assertLessEqual(value(s, "kassa_ledger_batch_size_sum"), value(s, "kassa_ledger_write_ops_total"))
                self.assertGreaterEqual(value(s, "kassa_ledger_batch_size_sum"),
                                        value(s, "kassa_ledger_commit_seconds_count"))
            # Histograms are cumulative and end in +Inf = count.
            for name in ("kassa_planning_seconds", "kassa_ledger_commit_seconds", "kassa_ledger_transaction_seconds",
                         "kassa_ledger_sync_seconds", "kassa_ledger_batch_size"):
                buckets = sorted(((float(dict(labels)["le"]), v) for (n, labels), v in after.items()
                                  if n == name + "_bucket"))
                self.assertGreater(len(buckets), 2, name)
                self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets), name)
                self.assertEqual(buckets[-1], (float("inf"), value(after, name + "_count")), name)

            # WAL checkpoints, by the thread and by the writer: both series exported, +Inf = count.
            for by in ("thread", "writer"):
                self.assertIn(("kassa_ledger_checkpoint_seconds_count", (("by", by),)), after)
                self.assertEqual(value(after, "kassa_ledger_checkpoint_seconds_bucket", by=by, le="+Inf"),
                                 value(after, "kassa_ledger_checkpoint_seconds_count", by=by))
            # The pages the thread wrote back at a pace: a counter that never goes back.
            self.assertIn(("kassa_ledger_checkpoint_paced_pages_total", ()), after)
            self.assertGreaterEqual(value(after, "kassa_ledger_checkpoint_paced_pages_total"),
                                    value(before, "kassa_ledger_checkpoint_paced_pages_total"))

            # Request latency by route: the three payments, each answered (?wait=30) only after its
            # receipt was fiscalised, so together they took at least the two fiscalisations.
            pay = {"method": "POST", "route": "/v1/payments"}
            self.assertEqual(value(after, "kassa_http_request_seconds_count", **pay), 3)
            self.assertEqual(value(after, "kassa_http_request_seconds_bucket", le="+Inf", **pay), 3)
            self.assertGreaterEqual(value(after, "kassa_http_request_seconds_sum", **pay),
                                    value(after, "kassa_device_command_seconds_sum", register="sim-1",
                                          command="fiscalise")
                                    - value(before, "kassa_device_command_seconds_sum", register="sim-1",
                                            command="fiscalise"))

            # A token, when sent from loopback, is still checked.
            status, answer, _ = k.request("GET", "/metrics", headers={"Authorization": "Bearer nope"})
            self.assertEqual(status, 401, answer)
            self.assertEqual(k.stop(), 0)

    def test_the_ofd_backlog_follows_the_simulated_ofd(self):
        """Two registers of one entity's simulator kind: one whose OFD acknowledges at once
        (sim://…?ofd_ack_ms=0) and one with no OFD. After two receipts on each, the exported backlog
        of the first is only the receipt printed since its last status read, the second's every
        document its FN holds."""
        digest = __import__("hashlib").sha256(TOKENS["admin"][1].encode()).hexdigest()
        config = (f'[[entities]]\ninn = "{ENTITY_A}"\nname = "ООО «Альфа»"\ncashier = "Кассир"\n'
                  'settlement_address = "г. Москва"\nsettlement_place = "Офис"\n')
        for rid, uri in (("acked", "sim://embedded?ofd_ack_ms=0"), ("offline-ofd", "sim://embedded")):
            config += f'[[registers]]\nid = "{rid}"\nuri = "{uri}"\nentity_inn = "{ENTITY_A}"\n'
        config += f'[[tokens]]\nname = "admin"\nrole = "admin"\nsha256 = "{digest}"\n'
        with Kassad(config_text=config) as k:
            fn_of = {}
            for rid in ("acked", "offline-ofd"):
                for n in range(2):
                    status, paid, _ = k.request("POST", "/v1/payments?wait=30",
                                                {"customer": "C", "cash": 1000 + n, "register": rid},
                                                headers={**auth("admin"), "Idempotency-Key": f"{rid}-{n}"})
                    self.assertEqual(status, 200, paid)
                    self.assertEqual([r["register"] for r in paid["receipts"]], [rid], paid)
                    fn_of[rid] = paid["receipts"][0]["fiscal"]["fn_number"]
            samples = scrape(k)
            archives = {st["fn_serial"]: st["documents"] for st in sim_archives(k.data_dir).values()}
            documents = {rid: len(archives[fn_of[rid]]) for rid in fn_of}
            self.assertGreaterEqual(documents["acked"], 3, "the shift's opening and two receipts")
            self.assertEqual(value(samples, "kassa_register_ofd_unsent_documents", register="offline-ofd"),
                             documents["offline-ofd"])
            self.assertEqual(value(samples, "kassa_register_ofd_unsent_documents", register="acked"), 1)
            self.assertEqual(k.stop(), 0)


if __name__ == "__main__":
    unittest.main()
