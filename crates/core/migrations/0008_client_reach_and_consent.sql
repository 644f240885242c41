-- Reaching clients who are not in the room, and consent that never expires by surprise.
-- `clients.language`: the language of the messages sent to the client (en / es / fr).
-- `connections.consent_renewed_at`: when the client last completed SCA (Flanks: creation, an
-- SCA or reset reauthorization) or a live connection (Flinks); NULL means "at creation".
ALTER TABLE clients ADD COLUMN language TEXT NOT NULL DEFAULT 'en'
    CHECK (language IN ('en', 'es', 'fr'));
ALTER TABLE connections ADD COLUMN consent_renewed_at TEXT;
-- Books upgraded from an earlier version: the newest reauthorization each connection had.
UPDATE connections SET consent_renewed_at = (
    SELECT max(s.completed_at) FROM link_sessions s
    WHERE s.connection_id = connections.id
      AND s.outcome = 'reauthorized'
      AND s.purpose IN ('sca', 'reset', 'mfa')
);
