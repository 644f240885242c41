-- What the book page and the health queue count, kept as the writes make it (#18): per client,
-- per connection that supplied a counted copy and per currency, the sum of the client's
-- de-duplicated positions (`store/queries/positions.rs` `each_client`, the live statement and
-- the tests' oracle), assets and liabilities apart as `reads::book::totals` splits them.
-- Recomputing the whole book's de-duplication took ≈ 80 % of those pages on a 5,000-client book.
--
-- The triggers only mark the clients whose count a change may move (never by `OR IGNORE`: an
-- outer statement's own conflict clause would override it); the store recounts each
-- marked client once, in the same transaction, just before it commits (`Store::write`), and at
-- open (which is how this migration's own marks fill the table for an existing book).
CREATE TABLE counted_totals (
    client_id          INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    connection_id      INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    currency           TEXT    NOT NULL,
    assets_minor       INTEGER NOT NULL,
    liabilities_minor  INTEGER NOT NULL,
    PRIMARY KEY (client_id, connection_id, currency)
) WITHOUT ROWID;

-- Clients to recount before the transaction commits; empty between transactions.
CREATE TABLE counted_totals_stale (
    client_id  INTEGER PRIMARY KEY
);

INSERT INTO counted_totals_stale (client_id) SELECT id FROM clients;

-- A connection's client, its freshness (which copy is counted) and whether its data is in the
-- book (`book_connections`).
CREATE TRIGGER counted_totals_connection_insert AFTER INSERT ON connections BEGIN
    INSERT INTO counted_totals_stale (client_id) SELECT new.client_id
        WHERE new.client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_connection_delete AFTER DELETE ON connections BEGIN
    INSERT INTO counted_totals_stale (client_id) SELECT old.client_id
        WHERE old.client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_connection_update
AFTER UPDATE OF client_id, data_as_of, last_success_at, holder_check ON connections BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT c FROM (SELECT old.client_id AS c UNION SELECT new.client_id)
        WHERE c NOT IN (SELECT client_id FROM counted_totals_stale);
END;

-- The rows counted: accounts, holdings (and through them which accounts are held), liabilities.
-- A row deleted with its connection finds no connection here; the connection's own trigger
-- has marked its client.
CREATE TRIGGER counted_totals_account_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT client_id FROM connections WHERE id = new.connection_id
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_account_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT client_id FROM connections WHERE id = old.connection_id
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_account_update
AFTER UPDATE OF connection_id, dedupe_key, kind, asset_class, currency, balance_minor, as_of,
                presence ON accounts BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT DISTINCT client_id FROM connections WHERE id IN (old.connection_id, new.connection_id)
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;

CREATE TRIGGER counted_totals_holding_insert AFTER INSERT ON holdings BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT client_id FROM connections WHERE id = new.connection_id
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_holding_delete AFTER DELETE ON holdings BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT client_id FROM connections WHERE id = old.connection_id
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_holding_update
AFTER UPDATE OF connection_id, account_id, dedupe_key, asset_class, currency, value_minor, as_of
ON holdings BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT DISTINCT client_id FROM connections WHERE id IN (old.connection_id, new.connection_id)
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;

CREATE TRIGGER counted_totals_liability_insert AFTER INSERT ON liabilities BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT client_id FROM connections WHERE id = new.connection_id
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_liability_delete AFTER DELETE ON liabilities BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT client_id FROM connections WHERE id = old.connection_id
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
CREATE TRIGGER counted_totals_liability_update
AFTER UPDATE OF connection_id, dedupe_key, currency, balance_minor, as_of ON liabilities BEGIN
    INSERT INTO counted_totals_stale (client_id)
        SELECT DISTINCT client_id FROM connections WHERE id IN (old.connection_id, new.connection_id)
            AND client_id NOT IN (SELECT client_id FROM counted_totals_stale);
END;
