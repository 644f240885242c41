-- The household page's counted rows, kept as the writes make them: per household, what its page
-- derives from its members' stored rows alone (totals, allocation, the accounts and holdings it
-- lists, the monthly flows behind its history, the transaction count, each member's own totals),
-- as JSON. Nothing in it depends on the time of reading (staleness and the history's months are
-- applied when the page is read).
--
-- A row is only ever correct or absent: every change to what it was derived from deletes it in
-- the same statement (the triggers below), and the store's writer derives the missing rows again
-- before the transaction commits (`households::counted_rows::refresh`). A household without a row
-- (a file this migration just moved, a write that did not go through the store) is read the
-- long way, from its members' rows.
CREATE TABLE household_pages (
    household_id  INTEGER PRIMARY KEY REFERENCES households (id) ON DELETE CASCADE,
    rows          TEXT    NOT NULL
);

-- The household of each connection's client (none for a client in no household).
CREATE VIEW connection_households AS
    SELECT c.id AS connection_id, m.household_id
    FROM connections c JOIN household_members m ON m.client_id = c.client_id;

-- Membership: the household a client joins, leaves or moves between.
CREATE TRIGGER household_pages_member_insert AFTER INSERT ON household_members BEGIN
    DELETE FROM household_pages WHERE household_id = new.household_id;
END;
CREATE TRIGGER household_pages_member_delete AFTER DELETE ON household_members BEGIN
    DELETE FROM household_pages WHERE household_id = old.household_id;
END;
CREATE TRIGGER household_pages_member_update AFTER UPDATE ON household_members BEGIN
    DELETE FROM household_pages WHERE household_id IN (old.household_id, new.household_id);
END;

-- A member's connections: what ranks their copies (data dates), labels them (institution),
-- keeps them out of the book (holder check), or moves them to another client. Status changes
-- of a sync do not count here: staleness and health are read live.
CREATE TRIGGER household_pages_connection_insert AFTER INSERT ON connections BEGIN
    DELETE FROM household_pages WHERE household_id =
        (SELECT household_id FROM household_members WHERE client_id = new.client_id);
END;
CREATE TRIGGER household_pages_connection_delete AFTER DELETE ON connections BEGIN
    DELETE FROM household_pages WHERE household_id =
        (SELECT household_id FROM household_members WHERE client_id = old.client_id);
END;
CREATE TRIGGER household_pages_connection_update
AFTER UPDATE OF client_id, provider, institution_id, institution_name, last_success_at,
                data_as_of, holder_check ON connections BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM household_members WHERE client_id IN (old.client_id, new.client_id));
END;

-- The stored copies a page counts, and the transactions behind its flows and count.
CREATE TRIGGER household_pages_account_insert AFTER INSERT ON accounts BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = new.connection_id);
END;
CREATE TRIGGER household_pages_account_update AFTER UPDATE ON accounts BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id IN (old.connection_id, new.connection_id));
END;
CREATE TRIGGER household_pages_account_delete AFTER DELETE ON accounts BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = old.connection_id);
END;

CREATE TRIGGER household_pages_owner_insert AFTER INSERT ON account_owners BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id = (SELECT connection_id FROM accounts WHERE id = new.account_id));
END;
CREATE TRIGGER household_pages_owner_delete AFTER DELETE ON account_owners BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id = (SELECT connection_id FROM accounts WHERE id = old.account_id));
END;
CREATE TRIGGER household_pages_owner_update AFTER UPDATE ON account_owners BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id IN (SELECT connection_id FROM accounts
                                 WHERE id IN (old.account_id, new.account_id)));
END;

CREATE TRIGGER household_pages_holding_insert AFTER INSERT ON holdings BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = new.connection_id);
END;
CREATE TRIGGER household_pages_holding_update AFTER UPDATE ON holdings BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id IN (old.connection_id, new.connection_id));
END;
CREATE TRIGGER household_pages_holding_delete AFTER DELETE ON holdings BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = old.connection_id);
END;

CREATE TRIGGER household_pages_liability_insert AFTER INSERT ON liabilities BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = new.connection_id);
END;
CREATE TRIGGER household_pages_liability_update AFTER UPDATE ON liabilities BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id IN (old.connection_id, new.connection_id));
END;
CREATE TRIGGER household_pages_liability_delete AFTER DELETE ON liabilities BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = old.connection_id);
END;

-- Only what the flows and the count read: a re-sync's unchanged rows write nothing.
CREATE TRIGGER household_pages_transaction_insert AFTER INSERT ON transactions BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = new.connection_id);
END;
CREATE TRIGGER household_pages_transaction_update
AFTER UPDATE OF connection_id, account_id, booking_date, currency, amount_minor, presence
ON transactions BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households
         WHERE connection_id IN (old.connection_id, new.connection_id));
END;
CREATE TRIGGER household_pages_transaction_delete AFTER DELETE ON transactions BEGIN
    DELETE FROM household_pages WHERE household_id IN
        (SELECT household_id FROM connection_households WHERE connection_id = old.connection_id);
END;
