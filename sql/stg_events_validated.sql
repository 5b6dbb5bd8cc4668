-- Validate staged events: parse types, attach the first failing rule as `reason` (NULL = good),
-- and flag rows whose event_id already exists (in the warehouse or earlier in the same file).
-- Built for files of tens of millions of rows: no raw JSON per row (the quarantine SQLs render it
-- from stg_events_raw for the bad rows only), and in-file repeats found by one hash aggregate
-- (the first good row of each event_id) rather than a window over the whole file
-- (bench/ingest-scale.ts measures each step).
-- Params: $now TIMESTAMP (wall clock; events later than now + 1 day are "future").
-- Input: stg_events_raw, catalog, events. Output: stg_events_validated. Grain: one row per file row.
-- table: stg_events_validated
-- grain: row_no
-- not_null: row_no, is_duplicate
-- range: row_no 1..
CREATE OR REPLACE TEMP TABLE stg_events_validated AS
WITH parsed AS (
  SELECT
    r.row_no,
    nullif(trim(r.event_id), '') AS event_id,
    nullif(trim(r.user_id), '') AS user_id,
    nullif(trim(r.movie_id), '') AS movie_id,
    lower(trim(r.event_type)) AS event_type,
    r.ts AS ts_raw,
    try_cast(r.ts AS TIMESTAMPTZ)::TIMESTAMP AS ts,   -- ISO-8601 with Z or offset → UTC
    r.watch_seconds AS watch_raw, try_cast(r.watch_seconds AS DOUBLE) AS watch_seconds,
    r.duration_seconds AS duration_raw, try_cast(r.duration_seconds AS DOUBLE) AS duration_seconds,
    r.rating AS rating_raw, try_cast(r.rating AS DOUBLE) AS rating,
    nullif(trim(r.source), '') AS source
  FROM stg_events_raw r
),
checked AS (
  SELECT p.*,
    CASE
      WHEN p.event_id IS NULL THEN 'missing_event_id'
      WHEN p.user_id IS NULL THEN 'missing_user_id'
      WHEN p.movie_id IS NULL THEN 'missing_movie_id'
      WHEN p.event_type IS NULL OR p.event_type NOT IN ('watch', 'rating', 'search', 'browse', 'impression') THEN 'unknown_event_type'
      WHEN p.ts IS NULL THEN 'unparseable_timestamp'
      WHEN p.ts > $now::TIMESTAMP + INTERVAL 1 DAY THEN 'future_timestamp'
      WHEN (nullif(trim(p.watch_raw), '') IS NOT NULL AND p.watch_seconds IS NULL)
        OR (nullif(trim(p.duration_raw), '') IS NOT NULL AND p.duration_seconds IS NULL)
        OR (nullif(trim(p.rating_raw), '') IS NOT NULL AND p.rating IS NULL) THEN 'unparseable_number'
      WHEN p.watch_seconds < 0 OR p.duration_seconds <= 0 THEN 'negative_duration'
      WHEN p.duration_seconds > 86400 OR p.watch_seconds > 1.1 * coalesce(p.duration_seconds, 86400) THEN 'impossible_duration'
      WHEN p.event_type = 'watch' AND p.watch_seconds IS NULL THEN 'missing_watch_seconds'
      WHEN p.rating IS NOT NULL AND (p.rating < 0.5 OR p.rating > 5) THEN 'rating_out_of_range'
      WHEN p.event_type = 'rating' AND p.rating IS NULL THEN 'missing_rating'
      WHEN c.movie_id IS NULL THEN 'unknown_title'
    END AS reason
  FROM parsed p
  LEFT JOIN catalog c ON c.movie_id = p.movie_id
),
firsts AS (
  SELECT event_id, min(row_no) AS first_row
  FROM checked
  WHERE reason IS NULL
  GROUP BY event_id
),
final AS (
  SELECT ch.*,
    ch.reason IS NULL AND (e.event_id IS NOT NULL OR f.first_row < ch.row_no) AS is_duplicate
  FROM checked ch
  LEFT JOIN firsts f ON f.event_id = ch.event_id
  LEFT JOIN events e ON e.event_id = ch.event_id
)
SELECT * FROM final;
