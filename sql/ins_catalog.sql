-- Add the good, new titles of stg_titles_validated to the catalog (existing ids are kept as they are).
-- Params: $now TIMESTAMP. Output: catalog (+rows). Grain: movie_id.
INSERT INTO catalog
WITH final AS (
  SELECT movie_id, title, year, genres, tags, duration_seconds, added_at, $now::TIMESTAMP AS ingested_at
  FROM stg_titles_validated
  WHERE reason IS NULL AND NOT is_duplicate
)
SELECT * FROM final;
