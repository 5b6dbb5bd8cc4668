-- The dashboard's per-user history, from one landed batch of the warehouse's events: each
-- user's newest $depth interactions in the batch (impressions left out: they are what was shown,
-- not what the user did), already encoded as the lines storage/dashboard-data.ts's
-- encodeHistoryEntry writes (13-digit epoch ms, event_type, movie_id, watch_seconds,
-- duration_seconds, rating, source, joined by the unit separator; numbers printed as JS prints
-- them). storage/dashboard-publish.ts streams the rows and merges each user's lines into the
-- user's bounded history in Redis. One pass over the batch, however large (a world's 40 M events
-- included), and one short row per user.
-- Params: $batch_id VARCHAR, $depth INTEGER.
-- Output: user_id, lines (the user's lines joined by '\n', newest first).
-- grain: user_id
-- not_null: user_id, lines
WITH batch AS (
  SELECT user_id, ts, event_type, movie_id, watch_seconds, duration_seconds, rating, source
  FROM events
  WHERE batch_id = $batch_id
    AND event_type <> 'impression'
),

fields AS (
  SELECT user_id,
    lpad(epoch_ms(ts)::VARCHAR, 13, '0') AS f_ts,
    regexp_replace(event_type, '[\n\x1f]', ' ', 'g') AS f_type,
    regexp_replace(movie_id, '[\n\x1f]', ' ', 'g') AS f_movie,
    list_transform([watch_seconds, duration_seconds, rating],
      x -> CASE WHEN x IS NULL THEN '' WHEN x = trunc(x) AND abs(x) < 1e15 THEN x::BIGINT::VARCHAR ELSE x::VARCHAR END) AS f_nums,
    coalesce(regexp_replace(source, '[\n\x1f]', ' ', 'g'), '') AS f_source
  FROM batch
),

lines AS (
  SELECT user_id, concat_ws(chr(31), f_ts, f_type, f_movie, f_nums[1], f_nums[2], f_nums[3], f_source) AS line
  FROM fields
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
