-- 003: the receipt life enforced by the schema as well as by the code (defence in depth): a
-- balance entry or a return can only be written for a confirmed receipt, and a final receipt
-- (confirmed, failed) never changes state again.

CREATE TRIGGER journal_only_for_confirmed BEFORE INSERT ON journal
WHEN (SELECT state FROM receipts WHERE id = NEW.receipt_id) IS NOT 'confirmed'
BEGIN SELECT RAISE(ABORT, 'journal entry for a receipt that is not confirmed'); END;

CREATE TRIGGER returns_only_for_confirmed BEFORE INSERT ON returns
WHEN (SELECT state FROM receipts WHERE id = NEW.receipt_id) IS NOT 'confirmed'
BEGIN SELECT RAISE(ABORT, 'return for a receipt that is not confirmed'); END;

CREATE TRIGGER receipts_final_states_stay BEFORE UPDATE OF state ON receipts
WHEN OLD.state IN ('confirmed', 'failed') AND NEW.state IS NOT OLD.state
BEGIN SELECT RAISE(ABORT, 'a confirmed or failed receipt never changes state'); END;
