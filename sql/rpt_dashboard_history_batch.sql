-- The dashboard's per-user history, from one landed batch of the warehouse's events: each
-- user's newest $depth interactions in the batch (impressions left out: they are what was shown,
-- not what the user did). storage/dashboard-publish.ts merges them into the users' bounded
-- history sets in Redis, part by part (users split by hash into $parts parts).
-- Params: $batch_id VARCHAR, $depth INTEGER, $part INTEGER, $parts INTEGER (0 ≤ $part < $parts).
-- Output: user_id, ts_ms (epoch milliseconds), event_type, movie_id, watch_seconds,
--   duration_seconds, rating, source.
-- Grain: one row per event (newest $depth per user).
-- grain: none (one row per event; event_id is not an output column)
-- not_null: user_id, ts_ms, event_type, movie_id
-- range: rating 0.5..5
WITH batch AS (
  SELECT event_id, user_id, ts, event_type, movie_id, watch_seconds, duration_seconds, rating, source
  FROM events
  WHERE batch_id = $batch_id
    AND event_type <> 'impression'
    AND hash(user_id) % $parts = $part
),

final AS (
  SELECT
    user_id,
    epoch_ms(ts) AS ts_ms,
    event_type,
    movie_id,
    watch_seconds,
    duration_seconds,
    rating,
    source
  FROM batch
  QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts DESC, event_id DESC) <= $depth
)

SELECT * FROM final
ORDER BY user_id, ts_ms
