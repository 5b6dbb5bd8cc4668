-- Each run title's genres as indices, weight 1/|genres of the title| (a title's weights sum to 1).
-- Input: run_items, run_genres. Output: item_genres(item_index, genre_index, weight).
-- Grain: (item_index, genre_index); titles without genres have no rows.
-- table: item_genres
-- grain: item_index, genre_index
-- not_null: item_index, genre_index, weight
-- range: weight 0..1
CREATE OR REPLACE TEMP TABLE item_genres AS
WITH pairs AS (
  SELECT DISTINCT i.item_index, g.genre_index
  FROM (SELECT item_index, unnest(genres) AS genre FROM run_items) i
  JOIN run_genres g USING (genre)
),
final AS (
  SELECT item_index, genre_index, (1.0 / count(*) OVER (PARTITION BY item_index))::FLOAT AS weight FROM pairs
)
SELECT * FROM final;
