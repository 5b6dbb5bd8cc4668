-- Stage movies.dat of ml-1m / ml-10m (MovieID::Title::Genres, Latin-1, no header, no quoting).
-- Unreadable rows go to reject_errors (get_ml_rejects.sql).
-- Params: $path VARCHAR.
-- Output: stg_ml_titles(row_no BIGINT, movie_id VARCHAR, raw_title VARCHAR, genres VARCHAR pipe-separated).
-- Grain: one row per file row, row_no in file order.
-- table: stg_ml_titles
-- grain: row_no
-- not_null: row_no, movie_id
CREATE OR REPLACE TEMP TABLE stg_ml_titles AS
WITH src AS (
  SELECT * FROM read_csv($path, delim = '::', header = false, quote = '', escape = '', encoding = 'latin-1',
    auto_detect = false, store_rejects = true,
    columns = {'movie_id': 'VARCHAR', 'raw_title': 'VARCHAR', 'genres': 'VARCHAR'})
),
final AS (
  SELECT row_number() OVER () AS row_no, trim(movie_id) AS movie_id, raw_title, genres FROM src
)
SELECT * FROM final;
