-- Provider credentials mapped to clients, link sessions, sync runs, provider call log and
-- non-secret settings. Secrets themselves are in the OS keychain: `secret_ref` names the
-- keychain entry and `token_hash` (SHA-256 of the credentials_token / loginId) lets a
-- provider's credential list be matched without storing the token.
CREATE TABLE connections (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    provider          TEXT    NOT NULL CHECK (provider IN ('flanks', 'flinks')),
    flow              TEXT    NOT NULL CHECK (flow IN ('flanks_link', 'flanks_connect_v2', 'flinks_connect')),
    institution_id    TEXT,
    institution_name  TEXT,
    status            TEXT    NOT NULL DEFAULT 'pending',
    provider_code     TEXT,
    provider_message  TEXT,
    last_attempt_at   TEXT,
    last_success_at   TEXT,
    data_as_of        TEXT,
    next_retry_at     TEXT,
    secret_ref        TEXT    NOT NULL UNIQUE,
    token_hash        TEXT    NOT NULL UNIQUE,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
);
CREATE INDEX connections_by_client ON connections (client_id);
CREATE INDEX connections_by_status ON connections (status);

CREATE TABLE link_sessions (
    id                   INTEGER PRIMARY KEY,
    -- SHA-256 of the one-time state value; the value itself only travels in the link URL.
    state_hash           TEXT    NOT NULL UNIQUE,
    client_id            INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    connection_id        INTEGER REFERENCES connections (id) ON DELETE CASCADE,
    provider             TEXT    NOT NULL CHECK (provider IN ('flanks', 'flinks')),
    flow                 TEXT    NOT NULL,
    purpose              TEXT    NOT NULL CHECK (purpose IN ('new', 'sca', 'reset', 'mfa')),
    provider_session_id  TEXT,
    created_at           TEXT    NOT NULL,
    expires_at           TEXT    NOT NULL,
    completed_at         TEXT,
    outcome              TEXT,
    outcome_detail       TEXT,
    -- Write-ahead progress of the code exchange, so a crash can be resumed.
    exchange_step        TEXT,
    next_check_at        TEXT
);
CREATE INDEX link_sessions_open ON link_sessions (completed_at, expires_at);

CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY,
    connection_id   INTEGER REFERENCES connections (id) ON DELETE CASCADE,
    trigger         TEXT    NOT NULL,
    started_at      TEXT    NOT NULL,
    finished_at     TEXT,
    outcome         TEXT,
    error_code      TEXT,
    rows_inserted   INTEGER NOT NULL DEFAULT 0,
    rows_updated    INTEGER NOT NULL DEFAULT 0,
    rows_unchanged  INTEGER NOT NULL DEFAULT 0,
    rows_skipped    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_runs_by_connection ON sync_runs (connection_id, started_at);

-- Troubleshooting log of provider calls: never a body, never a secret.
CREATE TABLE provider_calls (
    id           INTEGER PRIMARY KEY,
    at           TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    endpoint     TEXT    NOT NULL,
    status       INTEGER,
    duration_ms  INTEGER NOT NULL,
    request_id   TEXT,
    outcome      TEXT    NOT NULL
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
