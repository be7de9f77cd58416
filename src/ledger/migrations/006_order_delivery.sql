-- 006: what a courier needs to deliver an order: who delivers it (a courier token's name), on which
-- day (YYYY-MM-DD, the shop's calendar day), where (used as 1009 for that settlement) and how to
-- reach the customer (phone or e-mail: personal data, never logged unmasked). All optional.

ALTER TABLE orders ADD COLUMN courier TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN delivery_date TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN delivery_address TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN customer_contact TEXT NOT NULL DEFAULT '';

-- A courier's list for a day.
CREATE INDEX orders_by_courier_date ON orders (courier, delivery_date) WHERE courier <> '';
