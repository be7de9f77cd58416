-- 001: the core of the ledger: who sells, through which registers, to whom, what, and the receipts
-- with the balance journal they cause once confirmed. Money is integer kopecks, quantities are
-- integer millionths (fiscal::Quantity::micro), times are Unix milliseconds (UTC).

CREATE TABLE legal_entities (
    inn        TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE registers (
    id         TEXT PRIMARY KEY NOT NULL,
    entity_inn TEXT NOT NULL REFERENCES legal_entities (inn),
    uri        TEXT NOT NULL DEFAULT '',
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
) STRICT;

CREATE TABLE customers (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    contact    TEXT NOT NULL DEFAULT ''  -- phone or e-mail: personal data, never logged unmasked
) STRICT;

CREATE TABLE orders (
    id         TEXT PRIMARY KEY NOT NULL,
    customer   TEXT NOT NULL REFERENCES customers (id),
    entity_inn TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'delivered', 'cancelled')),
    updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE order_lines (
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    qty_micro  INTEGER NOT NULL CHECK (qty_micro > 0),
    unit       INTEGER NOT NULL DEFAULT 0,
    price      INTEGER NOT NULL,
    vat_class  INTEGER NOT NULL,
    subject    INTEGER NOT NULL,
    PRIMARY KEY (order_id, position)
) STRICT;

CREATE TABLE receipts (
    id             INTEGER PRIMARY KEY,
    state          TEXT NOT NULL CHECK (state IN ('planned', 'sending', 'confirmed', 'failed', 'uncertain')),
    register_id    TEXT NOT NULL REFERENCES registers (id),
    sign           INTEGER NOT NULL CHECK (sign BETWEEN 1 AND 4),  -- tag 1054
    is_correction  INTEGER NOT NULL DEFAULT 0 CHECK (is_correction IN (0, 1)),
    customer       TEXT NOT NULL DEFAULT '',
    total          INTEGER NOT NULL,
    plan_json      TEXT NOT NULL,  -- the whole fiscal::PlannedReceipt, moves included
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    fd_number      INTEGER,        -- tag 1040
    fiscal_sign    INTEGER,        -- tag 1077
    fn_number      TEXT,           -- tag 1041
    shift          INTEGER,        -- tag 1038
    receipt_number INTEGER,        -- tag 1042
    fiscal_ms      INTEGER,        -- tag 1012
    qr             TEXT,
    error          TEXT
) STRICT;

CREATE INDEX receipts_by_state ON receipts (state, register_id);
CREATE INDEX receipts_by_register_time ON receipts (register_id, created_ms);
CREATE INDEX receipts_by_shift ON receipts (register_id, shift) WHERE shift IS NOT NULL;

CREATE TABLE receipt_orders (
    receipt_id INTEGER NOT NULL REFERENCES receipts (id),
    position   INTEGER NOT NULL,
    order_id   TEXT NOT NULL REFERENCES orders (id),
    PRIMARY KEY (receipt_id, position)
) STRICT;

CREATE INDEX receipt_orders_by_order ON receipt_orders (order_id);

-- Append-only: a balance is the sum of its entries; each entry names the confirmed receipt that
-- caused it. The triggers below refuse updates and deletes.
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipts (id),
    account    TEXT NOT NULL CHECK (account IN ('customer_advance', 'order_prepaid', 'order_credit')),
    owner      TEXT NOT NULL,  -- customer id for customer_advance, order id otherwise
    customer   TEXT NOT NULL,  -- the customer concerned, for histories
    delta      INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX journal_by_account ON journal (account, owner);
CREATE INDEX journal_by_customer ON journal (customer);
CREATE INDEX journal_by_receipt ON journal (receipt_id);

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

CREATE TABLE returns (
    id         INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipts (id),
    order_id   TEXT NOT NULL REFERENCES orders (id),
    sku        TEXT NOT NULL,
    qty_micro  INTEGER NOT NULL CHECK (qty_micro > 0)
) STRICT;

CREATE INDEX returns_by_order ON returns (order_id, sku);

CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY NOT NULL,
    request_hash TEXT NOT NULL,
    result       TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
) STRICT;
