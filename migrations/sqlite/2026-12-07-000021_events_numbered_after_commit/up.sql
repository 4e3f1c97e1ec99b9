-- PostgreSQL's table of events committed without a number (see its migration). SQLite has
-- one writer at a time, which numbers its events as it writes them: this stays empty.
CREATE TABLE events_unnumbered (
    reseller_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (reseller_id, position)
);
