-- The solo book's 0014 (holder check) and 0015 (sent links) on PostgreSQL, so a solo book's
-- connections and link sessions move in whole and the firm's read models show what the solo
-- book's show.

-- "Is it the right person?" (the core's domain/holders.rs): the states as in SQLite.
ALTER TABLE connections ADD COLUMN holder_check text NOT NULL DEFAULT 'unchecked'
    CHECK (holder_check IN ('unchecked', 'pending', 'matched', 'no_holders', 'confirmed',
                            'before_check'));
-- The holder names the bank returned, joined by U+001F, as compared.
ALTER TABLE connections ADD COLUMN holder_names text;
UPDATE connections SET holder_check = 'before_check' WHERE last_success_at IS NOT NULL;

-- The connections whose data is in the book (held-back data left out in one place), as
-- SQLite's view. security_invoker: the view reads as the caller, so row-level security on
-- connections still decides which rows an advisor sees through it.
CREATE VIEW book_connections WITH (security_invoker = true) AS
    SELECT * FROM connections WHERE holder_check <> 'pending';
REVOKE ALL ON book_connections FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT SELECT ON book_connections TO %I, %I, %I',
                   firm_group('admin'), firm_group('compliance'), firm_group('advisor'));
END $$;

-- A link made to be sent to the client, or opened in the app's own window.
ALTER TABLE link_sessions ADD COLUMN delivery text NOT NULL DEFAULT 'window'
    CHECK (delivery IN ('window', 'sent'));
CREATE INDEX link_sessions_by_connection ON link_sessions (connection_id, id);
