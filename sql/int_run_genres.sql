-- Genre vocabulary of one run: every genre carried by a run title, numbered in name order from 0.
-- Input: run_items. Output: run_genres(genre_index, genre). Grain: one row per genre.
-- table: run_genres
-- grain: genre_index
-- not_null: genre_index, genre
CREATE OR REPLACE TEMP TABLE run_genres AS
WITH genres AS (
  SELECT DISTINCT unnest(genres) AS genre FROM run_items
),
final AS (
  SELECT (row_number() OVER (ORDER BY genre) - 1)::INTEGER AS genre_index, genre FROM genres
)
SELECT * FROM final;
