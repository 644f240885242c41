-- Per account, month and currency: how many transactions there are and the sum of the active
-- ones, kept by triggers in the same statement as the change. A page's history and its
-- transaction count read a few rows per account here instead of every transaction, so a
-- household's page costs about what its members' accounts cost, not what their years of
-- transactions cost.
CREATE TABLE transaction_months (
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- `YYYY-MM` of the booking date.
    month         TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    row_count     INTEGER NOT NULL,
    active_minor  INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, currency)
) WITHOUT ROWID;

INSERT INTO transaction_months (account_id, month, currency, row_count, active_minor)
SELECT account_id, substr(booking_date, 1, 7), currency, count(*),
       sum(CASE WHEN presence = 'active' THEN amount_minor ELSE 0 END)
FROM transactions GROUP BY 1, 2, 3;

CREATE TRIGGER transaction_months_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transaction_months (account_id, month, currency, row_count, active_minor)
    VALUES (new.account_id, substr(new.booking_date, 1, 7), new.currency, 1,
            CASE WHEN new.presence = 'active' THEN new.amount_minor ELSE 0 END)
    ON CONFLICT (account_id, month, currency) DO UPDATE
        SET row_count = row_count + 1, active_minor = active_minor + excluded.active_minor;
END;

CREATE TRIGGER transaction_months_delete AFTER DELETE ON transactions BEGIN
    UPDATE transaction_months
        SET row_count = row_count - 1,
            active_minor = active_minor
                - CASE WHEN old.presence = 'active' THEN old.amount_minor ELSE 0 END
        WHERE account_id = old.account_id AND month = substr(old.booking_date, 1, 7)
          AND currency = old.currency;
    DELETE FROM transaction_months
        WHERE account_id = old.account_id AND month = substr(old.booking_date, 1, 7)
          AND currency = old.currency AND row_count = 0;
END;

CREATE TRIGGER transaction_months_update
AFTER UPDATE OF account_id, booking_date, currency, amount_minor, presence ON transactions BEGIN
    UPDATE transaction_months
        SET row_count = row_count - 1,
            active_minor = active_minor
                - CASE WHEN old.presence = 'active' THEN old.amount_minor ELSE 0 END
        WHERE account_id = old.account_id AND month = substr(old.booking_date, 1, 7)
          AND currency = old.currency;
    DELETE FROM transaction_months
        WHERE account_id = old.account_id AND month = substr(old.booking_date, 1, 7)
          AND currency = old.currency AND row_count = 0;
    INSERT INTO transaction_months (account_id, month, currency, row_count, active_minor)
    VALUES (new.account_id, substr(new.booking_date, 1, 7), new.currency, 1,
            CASE WHEN new.presence = 'active' THEN new.amount_minor ELSE 0 END)
    ON CONFLICT (account_id, month, currency) DO UPDATE
        SET row_count = row_count + 1, active_minor = active_minor + excluded.active_minor;
END;
