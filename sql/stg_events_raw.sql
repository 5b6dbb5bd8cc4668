-- Stage one events file as text, untouched, with its 1-based row number.
-- Params: $path VARCHAR (a file the caller resolved; never user SQL).
-- Output: stg_events_raw(row_no, event_id, user_id, movie_id, event_type, ts, watch_seconds,
--   duration_seconds, rating, source), every column VARCHAR. Grain: one row per file row.
-- table: stg_events_raw
-- grain: row_no
-- not_null: row_no
-- range: row_no 1..
CREATE OR REPLACE TEMP TABLE stg_events_raw AS
WITH src AS (
  SELECT * FROM read_csv($path, header = true, all_varchar = true, auto_detect = false,
    columns = {'event_id': 'VARCHAR', 'user_id': 'VARCHAR', 'movie_id': 'VARCHAR', 'event_type': 'VARCHAR',
               'ts': 'VARCHAR', 'watch_seconds': 'VARCHAR', 'duration_seconds': 'VARCHAR', 'rating': 'VARCHAR',
               'source': 'VARCHAR'},
    null_padding = true, strict_mode = false)
),
final AS (
  SELECT row_number() OVER () AS row_no, * FROM src
)
SELECT * FROM final;
