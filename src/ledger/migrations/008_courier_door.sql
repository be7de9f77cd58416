-- 008: what happens at the customer's door and after it. Goods refused at the door (never sold, so
-- never returned); the card terminal's reference (RRN) of a payment taken on the courier's own
-- terminal; each receipt's cash (1031) as a column, so a courier's cash is a sum, not a walk through
-- every plan; and the cash a courier hands over to the office, declared by the courier and
-- confirmed by a cashier.

CREATE TABLE refusals (
    id         INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipts (id),  -- the settlement that recorded it
    order_id   TEXT NOT NULL REFERENCES orders (id),
    sku        TEXT NOT NULL,
    qty_micro  INTEGER NOT NULL CHECK (qty_micro > 0)
) STRICT;

CREATE INDEX refusals_by_order ON refusals (order_id, sku);

CREATE TRIGGER refusals_only_for_confirmed BEFORE INSERT ON refusals
WHEN (SELECT state FROM receipts WHERE id = NEW.receipt_id) IS NOT 'confirmed'
BEGIN SELECT RAISE(ABORT, 'refusal for a receipt that is not confirmed'); END;

ALTER TABLE receipts ADD COLUMN cash INTEGER NOT NULL DEFAULT 0;      -- tag 1031 of the plan
ALTER TABLE receipts ADD COLUMN card_reference TEXT NOT NULL DEFAULT '';  -- RRN of the card payment
UPDATE receipts SET cash = COALESCE(json_extract(plan_json, '$.receipt.cash'), 0) WHERE json_valid(plan_json);

-- A courier's receipts by who made them is already indexed (receipts_by_creator).

CREATE TABLE handovers (
    id           INTEGER PRIMARY KEY,
    courier      TEXT NOT NULL,                 -- the courier token's name
    entity_inn   TEXT NOT NULL,                 -- whose cash (the FN that took it)
    amount       INTEGER NOT NULL CHECK (amount > 0),
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed')),
    declared_ms  INTEGER NOT NULL,
    confirmed_by TEXT NOT NULL DEFAULT '',
    confirmed_ms INTEGER
) STRICT;

CREATE INDEX handovers_by_state ON handovers (state, entity_inn);
CREATE INDEX handovers_by_courier ON handovers (courier, entity_inn);

CREATE TRIGGER handovers_confirmed_stay BEFORE UPDATE ON handovers
WHEN OLD.state = 'confirmed'
BEGIN SELECT RAISE(ABORT, 'a confirmed handover never changes'); END;
CREATE TRIGGER handovers_no_delete BEFORE DELETE ON handovers
BEGIN SELECT RAISE(ABORT, 'handovers are kept'); END;

-- Late settlements: an action queued on a phone without signal carries the phone's time of the
-- settlement (settled_ms). One printed too long after it is a late settlement: planned as a correction
-- receipt (late = 'corrected'), or printed as it is and listed for the office (late = 'listed') until a
-- cashier confirms it (late = 'confirmed').
ALTER TABLE receipts ADD COLUMN settled_ms INTEGER;
ALTER TABLE receipts ADD COLUMN late TEXT NOT NULL DEFAULT '' CHECK (late IN ('', 'corrected', 'listed', 'confirmed'));
ALTER TABLE receipts ADD COLUMN late_confirmed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN late_confirmed_ms INTEGER;

CREATE INDEX receipts_late ON receipts (late, id) WHERE late <> '';
