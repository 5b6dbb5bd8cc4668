-- A user's most recent interactions from the analysts' events view (impressions left out: they
-- are what was shown, not what the user did). Titles are joined by the caller.
-- Params: $user_id VARCHAR, $limit INTEGER.
-- Output: ts (ISO-8601 UTC text), event_type, movie_id, watch_seconds, duration_seconds, rating, source.
-- Grain: event_id (newest first).
-- grain: none (one row per event; event_id is not an output column)
-- not_null: ts, event_type, movie_id
-- range: rating 0.5..5
WITH final AS (
  SELECT
    event_id,
    ts,
    event_type,
    movie_id,
    watch_seconds,
    duration_seconds,
    rating,
    source
  FROM events
  WHERE user_id = $user_id AND event_type <> 'impression'
  ORDER BY ts DESC, event_id DESC
  LIMIT $limit
)

SELECT
  strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts,
  event_type,
  movie_id,
  watch_seconds,
  duration_seconds,
  rating,
  source
FROM final
ORDER BY final.ts DESC, event_id DESC
