DROP TABLE events_unnumbered;
