-- Moving solo books in, set up by the schema rather than by hand in `firm create`, so a firm
-- made by any path (the CLI, the app, a test's TestFirm) is the same.
--
-- Every book moving in is renumbered by the firm's identities (copy_in's renumbering): its
-- rows take fresh ids with `nextval`, which the members' USAGE on the sequences allows. So:
-- - no member ever moves an identity. `firm create` used to grant UPDATE on every sequence to
--   the advisors' group (a moved book kept its ids and `setval` moved each identity past
--   them); that right let an advisor rewind an identity under everyone's inserts, and is
--   taken back here from firms created before;
-- - the firm's own audit ids need no head start (`firm create` started them at 10^12 so that a
--   book's kept audit ids would never meet them); where it was set it stays, harmless.

DO $$
BEGIN
    EXECUTE format('REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM %I', firm_group('advisor'));
END $$;

-- The solo books moved in, by the installation id their file carries: a book whose own
-- "moved" mark was lost (or a copy of its folder) is refused by the firm all the same, now
-- that its rows no longer keep ids the firm would find taken.
CREATE TABLE moved_books (
    installation_id  text        PRIMARY KEY CHECK (length(installation_id) BETWEEN 1 AND 200),
    moved_by         text        NOT NULL DEFAULT current_user,
    moved_at         timestamptz NOT NULL DEFAULT now()
);
-- Seen by staff and by whoever moved the book; written by the mover, never changed.
SELECT firm_protect('moved_books', 'moved_by = current_user', 'moved_by = current_user',
                    'SELECT, INSERT');
