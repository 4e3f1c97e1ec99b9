DROP TABLE event_numbering;
DROP TABLE events_unnumbered;
