-- Stage one titles file (movies.csv of a world directory) as text with row numbers.
-- Params: $path VARCHAR. Output: stg_titles_raw, every column VARCHAR. Grain: one row per file row.
-- table: stg_titles_raw
-- grain: row_no
-- not_null: row_no
-- range: row_no 1..
CREATE OR REPLACE TEMP TABLE stg_titles_raw AS
WITH src AS (
  SELECT * FROM read_csv($path, header = true, all_varchar = true, auto_detect = false,
    columns = {'movie_id': 'VARCHAR', 'title': 'VARCHAR', 'year': 'VARCHAR', 'genres': 'VARCHAR',
               'tags': 'VARCHAR', 'duration_seconds': 'VARCHAR', 'added_at': 'VARCHAR'},
    null_padding = true, strict_mode = false)
),
final AS (
  SELECT row_number() OVER () AS row_no, * FROM src
)
SELECT * FROM final;
