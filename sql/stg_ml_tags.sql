-- Stage the tags file of a MovieLens release (tags.csv or tags.dat). Unreadable rows go to
-- reject_errors (get_ml_rejects.sql).
-- Params: $path, $delim, $header, $encoding, $quote as in stg_ml_ratings.sql.
-- Output: stg_ml_tags(movie_id VARCHAR, tag VARCHAR): the tag lowercased and trimmed, empty tags
-- left out. Grain: one row per tag application.
-- table: stg_ml_tags
-- grain: none (a title gets the same tag from many users)
-- not_null: movie_id, tag
CREATE OR REPLACE TEMP TABLE stg_ml_tags AS
WITH src AS (
  SELECT * FROM read_csv($path, delim = $delim, header = $header, encoding = $encoding, quote = $quote,
    escape = $quote, auto_detect = false, store_rejects = true,
    columns = {'user_id': 'VARCHAR', 'movie_id': 'VARCHAR', 'tag': 'VARCHAR', 'ts': 'VARCHAR'})
),
final AS (
  SELECT trim(movie_id) AS movie_id, lower(trim(tag)) AS tag FROM src WHERE nullif(trim(tag), '') IS NOT NULL
)
SELECT * FROM final;
