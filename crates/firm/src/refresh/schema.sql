-- One refresh per connection across the firm: rounds, leases (claims with an expiry and a
-- fencing token) and each connection's outcome per round. Becomes migration 0005 at merge.
--
-- connection_id is the book's connection id (connections.id, a bigint identity). The integrator
-- adds `references connections (id) on delete cascade` to refresh_leases.connection_id and
-- refresh_outcomes.connection_id when these tables meet the firm schema's migrations.

-- A round: which connections were due when it started. At most one round is open at a time, so
-- two desktops starting a round at once join the same one.
create table if not exists refresh_rounds (
    id           bigint generated always as identity primary key,
    started_at   timestamptz not null default now(),
    started_by   text        not null,
    due          bigint[]    not null,
    finished_at  timestamptz
);
create unique index if not exists refresh_rounds_one_open
    on refresh_rounds ((true)) where finished_at is null;

-- The lease table, one row per connection: which round it is due in, who holds it until when,
-- and its generation. `token` grows at every claim; a completion or renewal names the token it
-- was given, so a desktop whose lease expired and was taken by another is refused (fencing).
create table if not exists refresh_leases (
    connection_id  bigint      primary key,
    round_id       bigint      not null references refresh_rounds (id) on delete cascade,
    token          bigint      not null default 0,
    holder         text,
    expires_at     timestamptz,
    completed_at   timestamptz
);
create index if not exists refresh_leases_open
    on refresh_leases (round_id, expires_at) where completed_at is null;

-- What each connection's refresh gave in a round; written in the same transaction as the
-- connection's snapshot. The key makes a second outcome for the same round impossible.
create table if not exists refresh_outcomes (
    round_id       bigint      not null references refresh_rounds (id) on delete cascade,
    connection_id  bigint      not null,
    desktop        text        not null,
    lease_token    bigint      not null,
    outcome        text        not null check (outcome in ('refreshed', 'failed')),
    -- Non-secret facts only (counts, a failure code): never a token, never row contents.
    detail         jsonb       not null default '{}'::jsonb,
    completed_at   timestamptz not null default now(),
    primary key (round_id, connection_id)
);
