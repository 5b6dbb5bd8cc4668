-- The dashboard's per-user history, from one landed batch of the warehouse's events: each
-- user's newest $depth interactions in the batch (impressions left out: they are what was shown,
-- not what the user did), already encoded as the lines storage/dashboard-data.ts's
-- encodeHistoryEntry writes (13-digit epoch ms, event_type, movie_id, watch_seconds,
-- duration_seconds, rating, source, joined by the unit separator; numbers printed as JS prints
-- them). storage/dashboard-publish.ts streams the rows and merges each user's lines into the
-- user's bounded history in Redis. One aggregate pass over one part of the batch's users (split by
-- hash; a world's 40 M events go in parts of ≈ 4 M, so the per-user state stays under the worker's
-- DuckDB memory cap), one short row per user.
-- Params: $batch_id VARCHAR, $depth INTEGER, $part INTEGER, $parts INTEGER (0 ≤ $part < $parts).
-- Output: user_id, lines (the user's lines joined by '\n', newest first).
-- grain: user_id
-- not_null: user_id, lines
WITH batch AS (
  SELECT user_id, ts, event_type, movie_id, watch_seconds, duration_seconds, rating, source
  FROM events
  WHERE batch_id = $batch_id
    AND event_type <> 'impression'
    AND hash(user_id) % $parts = $part
),

-- Text fields lose the two separators (newline, unit separator); numbers print as JS prints them
-- (an integral value without ".0"). Plain replace and CASE: a regexp or a lambda per row cost
-- minutes over a 40 M-event world.
lines AS (
  SELECT
    user_id,
    concat_ws(chr(31),
      lpad(epoch_ms(ts)::VARCHAR, 13, '0'),
      replace(replace(event_type, chr(10), ' '), chr(31), ' '),
      replace(replace(movie_id, chr(10), ' '), chr(31), ' '),
      CASE WHEN watch_seconds IS NULL THEN '' WHEN watch_seconds = trunc(watch_seconds) AND abs(watch_seconds) < 1e15 THEN watch_seconds::BIGINT::VARCHAR ELSE watch_seconds::VARCHAR END,
      CASE WHEN duration_seconds IS NULL THEN '' WHEN duration_seconds = trunc(duration_seconds) AND abs(duration_seconds) < 1e15 THEN duration_seconds::BIGINT::VARCHAR ELSE duration_seconds::VARCHAR END,
      CASE WHEN rating IS NULL THEN '' WHEN rating = trunc(rating) AND abs(rating) < 1e15 THEN rating::BIGINT::VARCHAR ELSE rating::VARCHAR END,
      coalesce(replace(replace(source, chr(10), ' '), chr(31), ' '), '')) AS line
  FROM batch
),

-- A line starts with its fixed-width time, so the greatest lines are the newest (ties broken by
-- the rest of the line, as the Redis merge breaks them): max(line, n) keeps the top $depth per
-- user in one aggregate pass, without a window or an ordered aggregate over the whole batch.
final AS (
  SELECT user_id, array_to_string(max(line, $depth), chr(10)) AS lines
  FROM lines
  GROUP BY user_id
)

SELECT * FROM final
