-- Households: a named group of clients (a couple, their children, a parent). A household is its
-- own entity, not a client row: a client keeps its own page and connections and may belong to
-- at most one household (the member table's primary key is the client). A client whose own
-- kind is 'household' (an older way to record a family as one client) is already a group and
-- cannot be a member.
CREATE TABLE households (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE TABLE household_members (
    client_id     INTEGER PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    household_id  INTEGER NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    joined_at     TEXT    NOT NULL
);
CREATE INDEX household_members_by_household ON household_members (household_id);

CREATE TRIGGER household_members_are_people_insert BEFORE INSERT ON household_members
WHEN (SELECT kind FROM clients WHERE id = NEW.client_id) = 'household'
BEGIN SELECT RAISE(ABORT, 'a household client cannot be a household member'); END;
CREATE TRIGGER household_members_are_people_update BEFORE UPDATE OF client_id ON household_members
WHEN (SELECT kind FROM clients WHERE id = NEW.client_id) = 'household'
BEGIN SELECT RAISE(ABORT, 'a household client cannot be a household member'); END;
