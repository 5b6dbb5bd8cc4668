-- Dense title indices of one run: titles added up to $as_of, by movie_id, numbered from 0.
-- Params: $as_of TIMESTAMP. Output: run_items(item_index, movie_id, title, year, genres, tags,
--   duration_seconds, added_at). Grain: one row per title.
-- table: run_items
-- grain: item_index
-- not_null: item_index, movie_id, title, added_at
CREATE OR REPLACE TEMP TABLE run_items AS
WITH titles AS (
  SELECT movie_id, title, year, genres, tags, duration_seconds, added_at FROM catalog WHERE added_at <= $as_of::TIMESTAMP
),
final AS (
  SELECT (row_number() OVER (ORDER BY movie_id) - 1)::INTEGER AS item_index, * FROM titles
)
SELECT * FROM final;
