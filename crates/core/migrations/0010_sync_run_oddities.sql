-- Each sync run counts the odd fields decoding worked around (a record kept, what was unknown
-- left unknown), beside the records it had to skip: a provider's new shape shows up here.
ALTER TABLE sync_runs ADD COLUMN rows_odd INTEGER NOT NULL DEFAULT 0;
