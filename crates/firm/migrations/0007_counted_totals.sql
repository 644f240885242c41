-- The solo book's 0017 on PostgreSQL: what the book page and the health queue count, kept as the
-- writes make it (#18). Per client, per connection that supplied a counted copy and per
-- currency, the sum of the client's de-duplicated positions (`queries/positions.rs`
-- EACH_CLIENT, kept as the live statement and the tests' oracle), assets and liabilities apart.
--
-- Every write path of the firm (snapshots, refresh rounds, book writes, links, copy-in, move-in)
-- is covered by triggers rather than by Rust call sites: a change marks its client in
-- `counted_totals_stale` under the writing transaction's id, and a deferred constraint trigger
-- recounts each marked client once, at commit.
--
-- Also (below): every row-security policy's standing checks evaluated once per statement, which
-- the book page's reads of whole tables needed as much as the kept counts.
CREATE TABLE counted_totals (
    client_id          bigint NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    connection_id      bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    currency           text   NOT NULL,
    assets_minor       bigint NOT NULL,
    liabilities_minor  bigint NOT NULL,
    PRIMARY KEY (client_id, connection_id, currency)
);

-- Clients to recount at the commit of transaction `xact`; empty between transactions. Keyed by
-- the transaction, so two desktops marking one client never wait on each other's mark.
CREATE TABLE counted_totals_stale (
    xact       xid8   NOT NULL DEFAULT pg_current_xact_id(),
    client_id  bigint NOT NULL,
    PRIMARY KEY (xact, client_id)
);

-- Row-level security's standing checks once per statement, not once per row: every policy's
-- `firm_is_staff()`, `firm_is_admin()` and `firm_may_write()` (stable: one answer per statement)
-- becomes a scalar subquery, which PostgreSQL runs once (an InitPlan), so a staff member's read
-- of a whole table no longer asks pg_has_role for each row. The same expressions, evaluated
-- once; `firm_protect` keeps its rules and now ends with this for each table it protects.
CREATE FUNCTION firm_policies_once(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT policyname, qual, with_check FROM pg_policies
             WHERE schemaname = 'public'
               AND tablename = (SELECT relname FROM pg_class WHERE oid = tbl) LOOP
        IF p.qual IS NOT NULL THEN
            EXECUTE format('ALTER POLICY %I ON %s USING (%s)', p.policyname, tbl,
                           firm_once(p.qual));
        END IF;
        IF p.with_check IS NOT NULL THEN
            EXECUTE format('ALTER POLICY %I ON %s WITH CHECK (%s)', p.policyname, tbl,
                           firm_once(p.with_check));
        END IF;
    END LOOP;
END $$;
CREATE FUNCTION firm_once(expression text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(expression,
        'firm_is_staff()', '(SELECT firm_is_staff())'),
        'firm_is_admin()', '(SELECT firm_is_admin())'),
        'firm_may_write()', '(SELECT firm_may_write())')
$$;
ALTER FUNCTION firm_protect(regclass, text, text, text) RENAME TO firm_protect_rules;
CREATE FUNCTION firm_protect(tbl regclass, visible text, writable text, advisor_privileges text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM firm_protect_rules(tbl, visible, writable, advisor_privileges);
    PERFORM firm_policies_once(tbl);
END $$;
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = 'public' LOOP
        PERFORM firm_policies_once(format('public.%I', name)::regclass);
    END LOOP;
END $$;

DO $$
BEGIN
    -- Everyone reads the rows of the clients they see; only the triggers below (as the owner)
    -- write them, so no member is granted more than SELECT.
    PERFORM firm_protect('counted_totals', 'firm_sees_client(client_id)', 'false', 'SELECT');
    PERFORM firm_protect('counted_totals_stale', 'false', 'false', 'SELECT');
END $$;

-- One client's rows again, from the live statement narrowed to its connections. As the owner
-- (an admin: every connection of the client), whoever wrote. The advisory lock makes two
-- transactions recounting one client take turns; under READ COMMITTED (the firm's writes) the
-- second then reads what the first committed.
CREATE FUNCTION counted_totals_recount(client bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1094927444, (client % 2147483647)::integer); -- "ADCT"
    DELETE FROM counted_totals WHERE client_id = client;
    INSERT INTO counted_totals (client_id, connection_id, currency, assets_minor, liabilities_minor)
    WITH conns AS (
        SELECT id, client_id, client_id AS grp, coalesce(data_as_of, last_success_at) AS fresh
        FROM book_connections WHERE client_id = client),
    ca AS (
        SELECT a.connection_id, a.dedupe_key, a.kind, a.asset_class, a.currency,
               a.balance_minor, c.client_id, c.grp,
               row_number() OVER (PARTITION BY c.grp, a.dedupe_key
                                  ORDER BY coalesce(a.as_of, c.fresh) DESC NULLS LAST, a.id)
                   AS rn
        FROM accounts a JOIN conns c ON c.id = a.connection_id
        WHERE a.presence = 'active'),
    held AS (
        SELECT DISTINCT c.grp, a.dedupe_key
        FROM holdings h JOIN accounts a ON a.id = h.account_id
                        JOIN conns c ON c.id = h.connection_id),
    ch AS (
        SELECT h.connection_id, h.asset_class, h.currency, h.value_minor, c.client_id,
               row_number() OVER (PARTITION BY c.grp, h.dedupe_key
                                  ORDER BY coalesce(h.as_of, c.fresh) DESC NULLS LAST, h.id)
                   AS rn
        FROM holdings h JOIN conns c ON c.id = h.connection_id),
    cl AS (
        SELECT l.connection_id, l.currency, l.balance_minor, c.client_id,
               row_number() OVER (PARTITION BY c.grp, l.dedupe_key
                                  ORDER BY coalesce(l.as_of, c.fresh) DESC NULLS LAST, l.id)
                   AS rn
        FROM liabilities l JOIN conns c ON c.id = l.connection_id),
    counted AS (
        SELECT client_id, connection_id,
               coalesce(asset_class, CASE kind WHEN 'current' THEN 'cash'
                   WHEN 'savings' THEN 'cash' WHEN 'credit_card' THEN 'debt'
                   WHEN 'loan' THEN 'debt' ELSE 'other' END) AS class,
               currency, balance_minor AS v
            FROM ca WHERE rn = 1
              AND NOT EXISTS (SELECT 1 FROM held
                              WHERE held.grp = ca.grp AND held.dedupe_key = ca.dedupe_key)
        UNION ALL
        SELECT client_id, connection_id, asset_class, currency, value_minor
            FROM ch WHERE rn = 1
        UNION ALL
        SELECT client_id, connection_id, 'debt', currency, -balance_minor
            FROM cl WHERE rn = 1)
    -- Assets and liabilities split as the core's `reads::book::totals` splits positions.
    SELECT client_id, connection_id, currency,
           sum(CASE WHEN class = 'debt' OR v < 0 THEN 0 ELSE v END),
           sum(CASE WHEN class = 'debt' OR v < 0 THEN -v ELSE 0 END)
    FROM counted GROUP BY client_id, connection_id, currency;
END $$;

CREATE FUNCTION counted_totals_recount_marked() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    PERFORM counted_totals_recount(NEW.client_id);
    DELETE FROM counted_totals_stale WHERE xact = NEW.xact AND client_id = NEW.client_id;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER counted_totals_recount AFTER INSERT ON counted_totals_stale
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION counted_totals_recount_marked();

-- A connection's client, its freshness (which copy is counted) and whether its data is in the
-- book (`book_connections`).
CREATE FUNCTION counted_totals_mark_connection() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO counted_totals_stale (client_id) VALUES (OLD.client_id)
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO counted_totals_stale (client_id) VALUES (NEW.client_id)
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER counted_totals_mark
    AFTER INSERT OR DELETE OR UPDATE OF client_id, data_as_of, last_success_at, holder_check
    ON connections FOR EACH ROW EXECUTE FUNCTION counted_totals_mark_connection();

-- The rows counted (accounts, holdings, liabilities): once per statement, so a snapshot or a
-- copy-in writing hundreds of rows marks each client once. Rows deleted with their connection
-- find no connection here; the connection's own trigger marked its client.
CREATE FUNCTION counted_totals_mark_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO counted_totals_stale (client_id)
            SELECT DISTINCT c.client_id FROM new_rows r JOIN connections c ON c.id = r.connection_id
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO counted_totals_stale (client_id)
            SELECT DISTINCT c.client_id FROM old_rows r JOIN connections c ON c.id = r.connection_id
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['accounts', 'holdings', 'liabilities'] LOOP
        EXECUTE format('CREATE TRIGGER counted_totals_mark_insert AFTER INSERT ON %I
                        REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION counted_totals_mark_rows()', tbl);
        EXECUTE format('CREATE TRIGGER counted_totals_mark_update AFTER UPDATE ON %I
                        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION counted_totals_mark_rows()', tbl);
        EXECUTE format('CREATE TRIGGER counted_totals_mark_delete AFTER DELETE ON %I
                        REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION counted_totals_mark_rows()', tbl);
    END LOOP;
END $$;

REVOKE ALL ON FUNCTION counted_totals_recount(bigint), counted_totals_recount_marked(),
    counted_totals_mark_connection(), counted_totals_mark_rows() FROM PUBLIC;

-- The book already in the firm: every client marked, recounted as this migration commits.
INSERT INTO counted_totals_stale (client_id) SELECT id FROM clients;
