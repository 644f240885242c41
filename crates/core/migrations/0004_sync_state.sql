-- Sync engine state. `row_hash` (FNV-1a of every stored field) lets a sync skip rows whose
-- content did not change, so a second sync of unchanged data writes nothing. Accounts get a
-- presence flag like transactions: an account the provider stops returning is kept, marked.
ALTER TABLE accounts ADD COLUMN row_hash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN presence TEXT NOT NULL DEFAULT 'active';
ALTER TABLE holdings ADD COLUMN row_hash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN row_hash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE liabilities ADD COLUMN row_hash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN row_hash INTEGER NOT NULL DEFAULT 0;

-- Consecutive failed attempts: drives the backoff of `next_retry_at`; reset on success.
ALTER TABLE connections ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
-- Who must act for the connection to work again: 'nobody', 'client' or 'advisor'.
ALTER TABLE connections ADD COLUMN action_by TEXT NOT NULL DEFAULT 'nobody'
    CHECK (action_by IN ('nobody', 'client', 'advisor'));

-- Provider calls are read newest-first per provider when troubleshooting.
CREATE INDEX provider_calls_by_at ON provider_calls (at);
