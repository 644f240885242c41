-- Who sees what, enforced by the database itself (no server of ours in between).
--
-- Three group roles per firm database, named after it (roles are shared by every database of a
-- server, so two firms on one server never share them): <db>_admin (reads and writes all, adds
-- and removes members), <db>_compliance (reads all, writes nothing), <db>_advisor (reads and
-- writes the clients assigned or shared to them and everything hanging from those clients).
-- Each person is a login role in one group (create_advisor below). The role that runs the
-- migrations owns the tables and is the firm's first admin; FORCE ROW LEVEL SECURITY holds the
-- owner to the same policies (a superuser or a BYPASSRLS role is never held: do not use one).

CREATE FUNCTION firm_group(kind text) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT current_database() || '_' || kind $$;

DO $$
DECLARE
    kind text;
BEGIN
    -- Role names stop at 63 bytes: a longer one would be cut and could meet another firm's.
    IF octet_length(firm_group('compliance')) > 63 THEN
        RAISE EXCEPTION 'the firm database''s name is too long for its role names (at most 52 bytes)';
    END IF;
    FOREACH kind IN ARRAY ARRAY['admin', 'compliance', 'advisor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = firm_group(kind)) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', firm_group(kind));
        END IF;
    END LOOP;
    EXECUTE format('GRANT %I TO %I', firm_group('admin'), current_user);
END $$;

-- The caller's standing. current_user in a policy is the role running the query.
CREATE FUNCTION firm_is_admin() RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT pg_has_role(current_user, firm_group('admin'), 'USAGE') $$;
CREATE FUNCTION firm_is_staff() RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT firm_is_admin() OR pg_has_role(current_user, firm_group('compliance'), 'USAGE') $$;
CREATE FUNCTION firm_may_write() RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT firm_is_admin() OR pg_has_role(current_user, firm_group('advisor'), 'USAGE') $$;

-- What hangs from a client the caller serves. The subqueries run under the caller's own
-- policies, and client_assignments' policy does not call back here (no recursion).
CREATE FUNCTION firm_sees_client(client bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT firm_is_staff() OR EXISTS (
        SELECT 1 FROM client_assignments a
        WHERE a.client_id = client AND a.advisor_role = current_user)
$$;
CREATE FUNCTION firm_sees_connection(connection bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT firm_is_staff() OR EXISTS (
        SELECT 1 FROM connections c
        JOIN client_assignments a ON a.client_id = c.client_id
        WHERE c.id = connection AND a.advisor_role = current_user)
$$;
CREATE FUNCTION firm_sees_account(account bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT firm_is_staff() OR EXISTS (
        SELECT 1 FROM accounts ac
        JOIN connections c ON c.id = ac.connection_id
        JOIN client_assignments a ON a.client_id = c.client_id
        WHERE ac.id = account AND a.advisor_role = current_user)
$$;

-- A client or household its creator is still setting up: no one is assigned yet (clients) or
-- it has no member yet (households). Answered as the owner, because the caller must not see
-- other advisors' assignments; it only ever says yes or no about one id.
CREATE FUNCTION firm_client_is_assigned(client bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS
    $$ SELECT EXISTS (SELECT 1 FROM client_assignments WHERE client_id = client) $$;
CREATE FUNCTION firm_household_has_members(household bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS
    $$ SELECT EXISTS (SELECT 1 FROM household_members WHERE household_id = household) $$;

-- Whether `member_role` may put a client into a household: one they are setting up, or one with a
-- member they serve. As the owner, because asking it through the households policy would recurse
-- through household_members.
CREATE FUNCTION firm_household_open_to(household bigint, member_role text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
    SELECT EXISTS (
        SELECT 1 FROM households h
        WHERE h.id = household
          AND ((h.created_by = member_role
                AND NOT EXISTS (SELECT 1 FROM household_members m WHERE m.household_id = h.id))
               OR EXISTS (SELECT 1 FROM household_members m
                          JOIN client_assignments a ON a.client_id = m.client_id
                          WHERE m.household_id = h.id AND a.advisor_role = member_role)))
$$;

-- An advisor's new client is assigned to them in the same statement.
CREATE FUNCTION clients_assign_creator() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    INSERT INTO client_assignments (client_id, advisor_role, kind)
    SELECT NEW.id, a.role_name, 'assigned' FROM advisors a
    WHERE a.role_name = NEW.created_by AND NOT a.is_admin AND NOT a.is_compliance;
    RETURN NULL;
END $$;
CREATE TRIGGER clients_assign_creator AFTER INSERT ON clients
    FOR EACH ROW EXECUTE FUNCTION clients_assign_creator();

-- Puts a table under the firm's rules: row-level security forced on the owner too, staff read
-- every row and the admin writes every row; advisors read the rows `visible` lets through and
-- write those `writable` lets through (with the privileges `advisor_privileges` grants);
-- compliance only ever gets SELECT. Every table of the firm schema goes through here (a test
-- lists the tables and fails on one without policies).
CREATE FUNCTION firm_protect(tbl regclass, visible text, writable text, advisor_privileges text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', tbl);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', tbl, firm_group('admin'));
    EXECUTE format('GRANT SELECT ON %s TO %I', tbl, firm_group('compliance'));
    EXECUTE format('GRANT %s ON %s TO %I', advisor_privileges, tbl, firm_group('advisor'));
    EXECUTE format('CREATE POLICY firm_read ON %s FOR SELECT USING (firm_is_staff() OR (%s))',
                   tbl, visible);
    EXECUTE format('CREATE POLICY firm_insert ON %s FOR INSERT
                    WITH CHECK (firm_may_write() AND (firm_is_admin() OR (%s)))', tbl, writable);
    EXECUTE format('CREATE POLICY firm_update ON %s FOR UPDATE
                    USING (firm_may_write() AND (firm_is_admin() OR (%s)))
                    WITH CHECK (firm_may_write() AND (firm_is_admin() OR (%s)))',
                   tbl, writable, writable);
    EXECUTE format('CREATE POLICY firm_delete ON %s FOR DELETE
                    USING (firm_may_write() AND (firm_is_admin() OR (%s)))', tbl, writable);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I, %I',
                   firm_group('admin'), firm_group('advisor'));
END $$;

DO $$
DECLARE
    crud constant text := 'SELECT, INSERT, UPDATE, DELETE';
    new_client constant text :=
        'firm_sees_client(id) OR (created_by = current_user AND NOT firm_client_is_assigned(id))';
    new_household constant text :=
        'EXISTS (SELECT 1 FROM household_members m WHERE m.household_id = households.id)
         OR (created_by = current_user AND NOT firm_household_has_members(id))';
    by_client constant text := 'firm_sees_client(client_id)';
    by_connection constant text := 'firm_sees_connection(connection_id)';
    by_account constant text := 'firm_sees_account(account_id)';
BEGIN
    PERFORM firm_protect('clients', new_client, new_client, crud);
    -- An advisor sees their own assignments and may share a client they serve; changing or
    -- removing assignments is the admin's.
    PERFORM firm_protect('client_assignments', 'advisor_role = current_user', by_client,
                         'SELECT, INSERT');
    PERFORM firm_protect('households', new_household, new_household, crud);
    PERFORM firm_protect('household_members', by_client,
        'firm_sees_client(client_id) AND firm_household_open_to(household_id, current_user)', crud);
    PERFORM firm_protect('connections', by_client, by_client, crud);
    -- A row naming two parents (a session's client and connection, a holding's connection and
    -- account) may be written only when the writer serves both: no pointing into another's data.
    PERFORM firm_protect('link_sessions', by_client,
        'firm_sees_client(client_id) AND (connection_id IS NULL OR firm_sees_connection(connection_id))',
        crud);
    PERFORM firm_protect('accounts', by_connection, by_connection, crud);
    PERFORM firm_protect('holdings', by_connection,
        'firm_sees_connection(connection_id) AND (account_id IS NULL OR firm_sees_account(account_id))',
        crud);
    PERFORM firm_protect('transactions', by_connection,
        'firm_sees_connection(connection_id) AND firm_sees_account(account_id)', crud);
    PERFORM firm_protect('liabilities', by_connection, by_connection, crud);
    PERFORM firm_protect('cards', by_connection, by_connection, crud);
    PERFORM firm_protect('account_owners', by_account, by_account, crud);
    PERFORM firm_protect('transaction_months', by_account, by_account, crud);
    -- Runs and calls without a connection belong to whoever made them.
    PERFORM firm_protect('sync_runs',
        'CASE WHEN connection_id IS NULL THEN run_by = current_user ELSE firm_sees_connection(connection_id) END',
        'CASE WHEN connection_id IS NULL THEN run_by = current_user ELSE firm_sees_connection(connection_id) END',
        crud);
    PERFORM firm_protect('provider_calls',
        'CASE WHEN connection_id IS NULL THEN called_by = current_user ELSE firm_sees_connection(connection_id) END',
        'CASE WHEN connection_id IS NULL THEN called_by = current_user ELSE firm_sees_connection(connection_id) END',
        'SELECT, INSERT, DELETE');
    -- Append-only (the triggers refuse UPDATE/DELETE even to the admin); an entry about a client
    -- or connection is seen with it, one about neither by its writer.
    PERFORM firm_protect('audit_log',
        'firm_sees_client(client_id) OR firm_sees_connection(connection_id)
         OR (client_id IS NULL AND connection_id IS NULL AND actor_role = current_user)',
        'actor_role = current_user
         AND (client_id IS NULL OR firm_sees_client(client_id))
         AND (connection_id IS NULL OR firm_sees_connection(connection_id))',
        'SELECT, INSERT');
    -- A connection's sealed credentials go with the connection; firm-wide secrets (provider API
    -- keys) are read by every member (every desktop refreshes) and written by the admin.
    PERFORM firm_protect('sealed_secrets',
        'connection_id IS NULL OR firm_sees_connection(connection_id)',
        'connection_id IS NOT NULL AND firm_sees_connection(connection_id)', crud);
    -- Firm-wide: read by all, written by the admin (advisors get SELECT only).
    PERFORM firm_protect('firm_settings', 'true', 'false', 'SELECT');
    PERFORM firm_protect('advisors', 'true', 'false', 'SELECT');
    PERFORM firm_protect('firm_schema_migrations', 'true', 'false', 'SELECT');
    -- Public reference data, cached once for the firm.
    PERFORM firm_protect('reference_rates', 'true', 'true', crud);
    PERFORM firm_protect('rate_fetches', 'true', 'true', crud);
END $$;

-- Adding and removing a member: the admin calls these; they run as the owner, who may create
-- roles. The password arrives as a SCRAM-SHA-256 verifier computed by the desktop, so the
-- password itself never reaches the server (nor its statement log).
CREATE FUNCTION create_advisor(new_role text, password_verifier text, name text,
                               member_kind text DEFAULT 'advisor')
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF member_kind NOT IN ('advisor', 'compliance', 'admin') THEN
        RAISE EXCEPTION 'a firm member is an advisor, compliance or admin, not %', member_kind;
    END IF;
    IF new_role !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'a role name is lower-case letters, digits and _ (at most 63)';
    END IF;
    IF password_verifier !~ '^SCRAM-SHA-256\$' THEN
        RAISE EXCEPTION 'create_advisor takes a SCRAM-SHA-256 verifier, never a password';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', new_role, password_verifier);
    EXECUTE format('GRANT %I TO %I', firm_group(member_kind), new_role);
    INSERT INTO advisors (role_name, display_name, is_admin, is_compliance)
    VALUES (new_role, name, member_kind = 'admin', member_kind = 'compliance');
END $$;

-- Drops the member's role; their assignments go with their advisors row. Their clients stay.
CREATE FUNCTION remove_advisor(old_role text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    DELETE FROM advisors WHERE role_name = old_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no firm member has the role %', old_role;
    END IF;
    EXECUTE format('DROP ROLE %I', old_role);
END $$;

DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON FUNCTION create_advisor(text, text, text, text), remove_advisor(text) FROM PUBLIC');
    EXECUTE format('GRANT EXECUTE ON FUNCTION create_advisor(text, text, text, text), remove_advisor(text) TO %I',
                   firm_group('admin'));
    EXECUTE format('REVOKE ALL ON FUNCTION firm_client_is_assigned(bigint), firm_household_has_members(bigint), firm_household_open_to(bigint, text), clients_assign_creator() FROM PUBLIC');
    EXECUTE format('GRANT EXECUTE ON FUNCTION firm_client_is_assigned(bigint), firm_household_has_members(bigint),
                        firm_household_open_to(bigint, text) TO %I, %I, %I',
                   firm_group('admin'), firm_group('compliance'), firm_group('advisor'));
END $$;
