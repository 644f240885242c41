-- Live changes: a row changed in one of the tables that desktops show sends a notice on the
-- channel advisor_desk_changes, so the other desktops re-read it. Becomes migration 0006.
--
-- The notice says which table, which row id and which operation: never a secret, never the
-- row's contents. NOTIFY is not subject to row-level security (every listener on the database
-- receives every notice), so ids are all it may carry; a desktop re-reads the row through its
-- own policies and finds nothing when the row is not one it may see.

-- Generic over the table: the trigger's argument names the column that identifies the row.
create or replace function advisor_desk_notify_change() returns trigger
language plpgsql as $$
declare
    changed jsonb;
begin
    if tg_op = 'DELETE' then
        changed := to_jsonb(old);
    else
        changed := to_jsonb(new);
    end if;
    perform pg_notify('advisor_desk_changes', json_build_object(
        'table', tg_table_name,
        'id', changed ->> tg_argv[0],
        'op', lower(tg_op))::text);
    return null;
end $$;

-- Installed on whichever of the watched tables exist (with their id column).
do $$
declare
    watched text[] := array[
        ['clients', 'id'],
        ['households', 'id'],
        ['household_members', 'client_id'],
        ['connections', 'id'],
        ['link_sessions', 'id'],
        ['refresh_rounds', 'id'],
        ['refresh_outcomes', 'connection_id']];
    pair text[];
begin
    foreach pair slice 1 in array watched loop
        if exists (select 1 from pg_attribute
                   where attrelid = to_regclass(pair[1]) and attname = pair[2]
                     and not attisdropped) then
            execute format(
                'create or replace trigger advisor_desk_live
                 after insert or update or delete on %I
                 for each row execute function advisor_desk_notify_change(%L)',
                pair[1], pair[2]);
        end if;
    end loop;
end $$;
