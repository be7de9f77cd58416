-- 005: advance balances per (customer, legal entity). Money an entity's FN received is never
-- offset on another entity's receipt, so every journal entry names the legal entity whose register
-- printed the receipt that caused it. Existing entries take the entity of their receipt's register.

DROP TRIGGER journal_no_update;
ALTER TABLE journal ADD COLUMN entity_inn TEXT NOT NULL DEFAULT '';
UPDATE journal SET entity_inn = COALESCE(
    (SELECT g.entity_inn FROM receipts r JOIN registers g ON g.id = r.register_id WHERE r.id = journal.receipt_id), '');
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

CREATE INDEX journal_by_account_entity ON journal (account, owner, entity_inn);

-- Planning asks for a customer's receipts still in flight on every event: without this index it
-- walked every in-flight receipt of every customer.
CREATE INDEX receipts_by_customer ON receipts (customer, state);
