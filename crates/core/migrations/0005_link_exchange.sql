-- Write-ahead link exchange. `token_hash` is the SHA-256 of the credentials_token / loginId an
-- exchange produced (never the token): with it a resumed exchange finds the keychain entry it
-- wrote before a crash. `check_attempts` drives the backoff of `next_check_at` for delayed
-- codes and remote completions; `institution` is what the provider reported, when it did.
ALTER TABLE link_sessions ADD COLUMN token_hash TEXT;
ALTER TABLE link_sessions ADD COLUMN check_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE link_sessions ADD COLUMN institution TEXT;
CREATE INDEX link_sessions_by_step ON link_sessions (exchange_step);
