-- "Is it the right person?" (domain/holders.rs). A new connection's first data is compared
-- with the client's (and the household's) names; when no holder shares a name, its data is
-- held back until the advisor confirms.
--   unchecked     no data yet: the first snapshot runs the check
--   pending       held back: the advisor confirms or answers "Not this client"
--   matched       a holder is the client or a household member
--   no_holders    the bank named no holder: nothing to compare
--   confirmed     the advisor confirmed a login whose holders differed
--   before_check  in the book before the check existed: never asked
ALTER TABLE connections ADD COLUMN holder_check TEXT NOT NULL DEFAULT 'unchecked'
    CHECK (holder_check IN ('unchecked', 'pending', 'matched', 'no_holders', 'confirmed',
                            'before_check'));
-- The holder names the bank returned, joined by U+001F, as compared (shown in the prompt).
ALTER TABLE connections ADD COLUMN holder_names TEXT;

UPDATE connections SET holder_check = 'before_check' WHERE last_success_at IS NOT NULL;

-- The connections whose data is in the book. Every read model that shows or counts a
-- connection's data (client and household pages, book totals, health risk, exports, report)
-- reads connections through this view, so held-back data is left out in one place.
CREATE VIEW book_connections AS
    SELECT * FROM connections WHERE holder_check <> 'pending';
