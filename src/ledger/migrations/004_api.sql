-- 004: what the HTTP API needs. Who made each receipt (a courier sees only its own); the payment
-- method (1214) of an order's settlement, which its returns repeat; and one fiscal document can
-- confirm at most one receipt (reconciliation after a lost link must never claim it twice).

ALTER TABLE receipts ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN settlement_method INTEGER NOT NULL DEFAULT 4 CHECK (settlement_method BETWEEN 1 AND 7);

CREATE INDEX receipts_by_creator ON receipts (created_by, id);
CREATE UNIQUE INDEX receipts_by_document ON receipts (fn_number, fd_number) WHERE fd_number IS NOT NULL;
