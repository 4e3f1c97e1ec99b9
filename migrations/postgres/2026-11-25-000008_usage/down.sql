DROP TABLE usage_subjects;
DROP TABLE usage_counters;
