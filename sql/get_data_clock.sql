-- The data's clock: the latest event time (the pipeline's "now"), and event counts.
-- Output: one row (max_ts TIMESTAMP, n_events BIGINT, n_titles BIGINT).
-- grain: one row
-- not_null: n_events, n_titles
-- range: n_events 0.., n_titles 0..
SELECT max(ts) AS max_ts, count(*) AS n_events, (SELECT count(*) FROM catalog) AS n_titles FROM events;
