-- MovieLens titles as the catalog sees them: the first row of each movie id (later repeats are
-- counted by get_ml_summary.sql), the trailing "(1995)" or "(1975-1979)" split off into year
-- (1870–2100 only, and only when text remains before it), genres as a list without the
-- "(no genres listed)" / "unknown" markers.
-- Input: stg_ml_titles. Output: int_ml_titles(movie_id, title, year INTEGER, genres VARCHAR[], row_no).
-- Grain: one row per movie_id.
-- table: int_ml_titles
-- grain: movie_id
-- not_null: movie_id, title
CREATE OR REPLACE TEMP TABLE int_ml_titles AS
WITH firsts AS (
  SELECT * FROM stg_ml_titles WHERE movie_id IS NOT NULL AND movie_id <> ''
  QUALIFY row_number() OVER (PARTITION BY movie_id ORDER BY row_no) = 1
),
split AS (
  SELECT f.*,
    regexp_extract(coalesce(raw_title, ''), '^(.*?)\s*\((\d{4})(?:\s*[-–]\s*(?:\d{4})?)?\)\s*$', ['name', 'year']) AS m
  FROM firsts f
),
final AS (
  SELECT
    movie_id,
    CASE WHEN has_year THEN trim(m.name) ELSE trim(coalesce(raw_title, '')) END AS title,
    CASE WHEN has_year THEN try_cast(m.year AS INTEGER) END AS year,
    list_filter(string_split(coalesce(genres, ''), '|'), g -> g <> '' AND g NOT IN ('(no genres listed)', 'unknown')) AS genres,
    row_no
  FROM (SELECT *, m.year <> '' AND trim(m.name) <> '' AND coalesce(try_cast(m.year AS INTEGER) BETWEEN 1870 AND 2100, false) AS has_year FROM split)
)
SELECT * FROM final;
