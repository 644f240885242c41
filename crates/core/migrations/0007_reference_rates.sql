-- Central-bank reference rates, cached with their publication date, exactly as published
-- (decimal text): the ECB's are units of the currency per euro, the Bank of Canada's are
-- Canadian dollars per unit of the currency. `rate_fetches` keeps the last attempt per feed
-- so a feed is fetched at most once a day.
CREATE TABLE reference_rates (
    source      TEXT NOT NULL CHECK (source IN ('ecb', 'bank_of_canada')),
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    rate_date   TEXT NOT NULL,
    rate        TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    PRIMARY KEY (source, currency, rate_date)
) WITHOUT ROWID;

CREATE TABLE rate_fetches (
    source           TEXT PRIMARY KEY CHECK (source IN ('ecb', 'bank_of_canada')),
    last_attempt_at  TEXT NOT NULL,
    last_success_at  TEXT,
    last_outcome     TEXT NOT NULL
);
