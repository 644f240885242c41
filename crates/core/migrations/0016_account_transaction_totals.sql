-- Per account: how many transactions it holds (every presence, as the pages count them), kept
-- by triggers in the same statement as the change, like `transaction_months` (0013). A page's
-- transaction count then reads one row per account instead of one per month of its history.
CREATE TABLE account_transaction_totals (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    row_count   INTEGER NOT NULL
);

INSERT INTO account_transaction_totals (account_id, row_count)
SELECT account_id, count(*) FROM transactions GROUP BY account_id;

CREATE TRIGGER account_transaction_totals_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO account_transaction_totals (account_id, row_count) VALUES (new.account_id, 1)
    ON CONFLICT (account_id) DO UPDATE SET row_count = row_count + 1;
END;

CREATE TRIGGER account_transaction_totals_delete AFTER DELETE ON transactions BEGIN
    UPDATE account_transaction_totals SET row_count = row_count - 1
        WHERE account_id = old.account_id;
    DELETE FROM account_transaction_totals
        WHERE account_id = old.account_id AND row_count = 0;
END;

-- Only a move to another account changes a count (a changed amount or presence does not).
CREATE TRIGGER account_transaction_totals_move
AFTER UPDATE OF account_id ON transactions WHEN old.account_id IS NOT new.account_id BEGIN
    UPDATE account_transaction_totals SET row_count = row_count - 1
        WHERE account_id = old.account_id;
    DELETE FROM account_transaction_totals
        WHERE account_id = old.account_id AND row_count = 0;
    INSERT INTO account_transaction_totals (account_id, row_count) VALUES (new.account_id, 1)
    ON CONFLICT (account_id) DO UPDATE SET row_count = row_count + 1;
END;
