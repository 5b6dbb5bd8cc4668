-- Add the good, new titles of stg_titles_validated to the catalog (existing ids are kept as they are).
-- Params: $now TIMESTAMP. Output: catalog (+rows). Grain: movie_id.
-- table: catalog
-- grain: movie_id
-- not_null: movie_id, title, genres, tags, added_at, ingested_at
-- range: year 1870..2100, duration_seconds 0..86400
INSERT INTO catalog
WITH final AS (
  SELECT movie_id, title, year, genres, tags, duration_seconds, added_at, $now::TIMESTAMP AS ingested_at
  FROM stg_titles_validated
  WHERE reason IS NULL AND NOT is_duplicate
)
SELECT * FROM final;
