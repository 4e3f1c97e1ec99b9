-- PostgreSQL's migration of this version keeps VACUUM from truncating the delivery queue;
-- SQLite frees a deleted row's space as it goes and has nothing to change. Kept so both
-- backends run the same list of versions.
SELECT 1;
