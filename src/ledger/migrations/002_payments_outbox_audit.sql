-- 002: incoming payments and their allocations, the notification outbox and the audit log.

CREATE TABLE payments (
    id          TEXT PRIMARY KEY NOT NULL,
    customer    TEXT NOT NULL REFERENCES customers (id),
    cash        INTEGER NOT NULL DEFAULT 0,
    electronic  INTEGER NOT NULL DEFAULT 0,
    receipt_id  INTEGER REFERENCES receipts (id),  -- the receipt issued for it
    received_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE payment_allocations (
    payment_id TEXT NOT NULL REFERENCES payments (id),
    order_id   TEXT NOT NULL REFERENCES orders (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (payment_id, order_id)
) STRICT;

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    receipt_id    INTEGER REFERENCES receipts (id),
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    available_ms  INTEGER NOT NULL,  -- not handed out before this time (retry back-off, claim lease)
    last_error    TEXT NOT NULL DEFAULT '',
    created_ms    INTEGER NOT NULL
) STRICT;

CREATE INDEX outbox_ready ON outbox (state, available_ms);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at_ms      INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
