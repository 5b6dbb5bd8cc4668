-- Analysts' copy of one ingested batch of events (Parquet; the worker's DuckDB stays private).
-- Params: $batch_id VARCHAR, $path VARCHAR (a file under DATA_DIR/analytics/events). Grain: event_id.
-- Rows in landing order (a world's file order, a stream batch's entry order), not re-sorted: a sort
-- of a 40 M-event world ran the worker's DuckDB out of its memory cap, and readers sort as they need.
-- grain: event_id
-- not_null: event_id, user_id, movie_id, event_type, ts
-- range: rating 0.5..5, watch_seconds 0.., duration_seconds 0..
COPY (SELECT * FROM events WHERE batch_id = $batch_id) TO $path (FORMAT parquet);
