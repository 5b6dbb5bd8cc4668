-- The data's clock: the latest event time (the pipeline's "now"), and event counts.
-- Output: one row (max_ts TIMESTAMP, n_events BIGINT, n_titles BIGINT).
SELECT max(ts) AS max_ts, count(*) AS n_events, (SELECT count(*) FROM catalog) AS n_titles FROM events;
