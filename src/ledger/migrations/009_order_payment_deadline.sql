-- 009: what the courier should expect at the door. The payment method the customer chose when
-- ordering ('' = not said), the delivery deadline as the shop promised it (a window "from – by" or
-- only "by", HH:MM on the order's delivery_date, the shop's local time; '' = none), and whether the
-- order may be settled on credit at the door (sale on credit: 1214 = 5 / 6 with 1216, fiscal-rules.md
-- §3.8); the [planner] credit_at_door policy decides what that flag means.

ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT ''
    CHECK (payment_method IN ('', 'cash', 'card', 'sbp', 'credit', 'prepaid'));
ALTER TABLE orders ADD COLUMN deliver_from TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN deliver_by TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN credit_allowed INTEGER NOT NULL DEFAULT 0 CHECK (credit_allowed IN (0, 1));
