-- PostgreSQL's tables for events committed without a number (see its migration). SQLite has
-- one writer at a time, which numbers its events as it writes them: they stay as made here.
CREATE TABLE events_unnumbered (
    reseller_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (reseller_id, position)
);
CREATE TABLE event_numbering (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO event_numbering (id, checked_at) VALUES (1, CURRENT_TIMESTAMP);
