-- Stage the ratings file of a MovieLens release (ratings.csv, ratings.dat or u.data), typed by
-- DuckDB's CSV reader. Rows the reader cannot split into four fields or cast (a rating that is
-- not a number, a timestamp that is not an integer) land in reject_errors with their line and
-- reason (get_ml_rejects.sql); nothing is dropped unseen.
-- Params: $path VARCHAR (resolved by the importer), $delim VARCHAR (',', '::' or tab),
--   $header BOOLEAN, $encoding VARCHAR ('utf-8' | 'latin-1'), $quote VARCHAR ('"' or '' for none).
-- Output: stg_ml_ratings(row_no BIGINT, user_id VARCHAR, movie_id VARCHAR, rating DOUBLE, ts BIGINT).
-- Grain: one row per readable data row, row_no in file order.
-- table: stg_ml_ratings
-- grain: row_no
-- not_null: row_no
CREATE OR REPLACE TEMP TABLE stg_ml_ratings AS
WITH src AS (
  SELECT * FROM read_csv($path, delim = $delim, header = $header, encoding = $encoding, quote = $quote,
    escape = $quote, auto_detect = false, store_rejects = true,
    columns = {'user_id': 'VARCHAR', 'movie_id': 'VARCHAR', 'rating': 'DOUBLE', 'ts': 'BIGINT'})
),
final AS (
  SELECT row_number() OVER () AS row_no, trim(user_id) AS user_id, trim(movie_id) AS movie_id, rating, ts FROM src
)
SELECT * FROM final;
