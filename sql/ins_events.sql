-- Append the good, new rows of stg_events_validated to events.
-- Params: $batch_id VARCHAR. Input: stg_events_validated. Output: events (+rows). Grain: event_id.
-- table: events
-- grain: event_id
-- not_null: event_id, user_id, movie_id, event_type, ts, batch_id
-- range: rating 0.5..5, watch_seconds 0.., duration_seconds 0..
INSERT INTO events
WITH final AS (
  SELECT event_id, user_id, movie_id, event_type, ts, watch_seconds, duration_seconds, rating, source,
         $batch_id AS batch_id
  FROM stg_events_validated
  WHERE reason IS NULL AND NOT is_duplicate
)
SELECT * FROM final;
