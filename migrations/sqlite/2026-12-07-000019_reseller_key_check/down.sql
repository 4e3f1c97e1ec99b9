-- Nothing changed (see up.sql).
SELECT 1;
