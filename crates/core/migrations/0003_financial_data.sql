-- Cached provider data. Amounts are integer minor units with their currency; quantities are
-- exact decimal text. Every row keeps the provider's own id and a stable dedupe key.
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    connection_id   INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider_id     TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    number_masked   TEXT,
    currency        TEXT    NOT NULL,
    balance_minor   INTEGER NOT NULL,
    available_minor INTEGER,
    asset_class     TEXT,
    as_of           TEXT,
    UNIQUE (connection_id, dedupe_key)
);
CREATE INDEX accounts_by_dedupe ON accounts (dedupe_key);

CREATE TABLE account_owners (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    owner_name  TEXT    NOT NULL,
    PRIMARY KEY (account_id, owner_name)
);

CREATE TABLE holdings (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id     INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id    TEXT    NOT NULL,
    dedupe_key     TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    isin           TEXT,
    asset_class    TEXT    NOT NULL,
    units          TEXT,
    value_minor    INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    as_of          TEXT,
    UNIQUE (connection_id, dedupe_key)
);

CREATE TABLE transactions (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_id    TEXT    NOT NULL,
    dedupe_key     TEXT    NOT NULL,
    booking_date   TEXT    NOT NULL,
    value_date     TEXT,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    balance_minor  INTEGER,
    description    TEXT    NOT NULL DEFAULT '',
    category       TEXT,
    counterparty   TEXT,
    -- 'active', or 'missing' when the provider stopped returning it (kept, not deleted).
    presence       TEXT    NOT NULL DEFAULT 'active',
    first_seen_at  TEXT    NOT NULL,
    last_seen_at   TEXT    NOT NULL,
    UNIQUE (account_id, dedupe_key)
);
CREATE INDEX transactions_by_account_date ON transactions (account_id, booking_date DESC);
CREATE INDEX transactions_by_connection_date ON transactions (connection_id, booking_date DESC);

CREATE VIRTUAL TABLE transactions_fts USING fts5 (
    description, content = 'transactions', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER transactions_fts_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transactions_fts (rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER transactions_fts_delete AFTER DELETE ON transactions BEGIN
    INSERT INTO transactions_fts (transactions_fts, rowid, description) VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER transactions_fts_update AFTER UPDATE OF description ON transactions BEGIN
    INSERT INTO transactions_fts (transactions_fts, rowid, description) VALUES ('delete', old.id, old.description);
    INSERT INTO transactions_fts (rowid, description) VALUES (new.id, new.description);
END;

CREATE TABLE liabilities (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider_id    TEXT    NOT NULL,
    dedupe_key     TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    balance_minor  INTEGER NOT NULL,
    as_of          TEXT,
    UNIQUE (connection_id, dedupe_key)
);

CREATE TABLE cards (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider_id    TEXT    NOT NULL,
    dedupe_key     TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    pan_masked     TEXT,
    currency       TEXT,
    balance_minor  INTEGER,
    as_of          TEXT,
    UNIQUE (connection_id, dedupe_key)
);
