-- Stage one events Parquet file (events.parquet of a world directory) as text, like
-- stg_events_raw.sql does for CSV, so both go through the same validation. Row numbers are the
-- file's own. Timestamps become ISO text with their zone: TIMESTAMPTZ prints its offset, and a
-- zone-less TIMESTAMP (another writer's file) is read as UTC.
-- Params: $path VARCHAR (a file the caller resolved; never user SQL); $lo, $hi BIGINT: the slice of
--   the file's rows to stage, row_no in ($lo, $hi] (storage/ingest.ts ingests a large file a slice
--   at a time, so staging and validation hold one slice, not 40 M rows).
-- Output: stg_events_raw(row_no, event_id, user_id, movie_id, event_type, ts, watch_seconds,
--   duration_seconds, rating, source), every column but row_no VARCHAR. Grain: one row per file row.
-- table: stg_events_raw
-- grain: row_no
-- not_null: row_no
-- range: row_no 1..
CREATE OR REPLACE TEMP TABLE stg_events_raw AS
WITH src AS (
  SELECT * FROM read_parquet($path, file_row_number = true)
  WHERE file_row_number >= $lo AND file_row_number < $hi
),
final AS (
  SELECT
    file_row_number + 1 AS row_no,
    event_id::VARCHAR AS event_id,
    user_id::VARCHAR AS user_id,
    movie_id::VARCHAR AS movie_id,
    event_type::VARCHAR AS event_type,
    CASE WHEN typeof(ts) IN ('TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS') THEN replace(ts::VARCHAR, ' ', 'T') || 'Z'
         ELSE ts::VARCHAR END AS ts,
    watch_seconds::VARCHAR AS watch_seconds,
    duration_seconds::VARCHAR AS duration_seconds,
    rating::VARCHAR AS rating,
    source::VARCHAR AS source
  FROM src
  ORDER BY file_row_number
)
SELECT * FROM final;
