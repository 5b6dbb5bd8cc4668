-- Add one title to the catalog (the addTitle workflow); an existing id is left as it is.
-- Params: $movie_id, $title VARCHAR, $year INTEGER, $genres VARCHAR (pipe-separated), $tags VARCHAR
--   (pipe-separated), $duration_seconds DOUBLE, $added_at TIMESTAMP, $now TIMESTAMP.
-- Output: catalog (+0 or 1 row). Grain: movie_id.
-- table: catalog
-- grain: movie_id
-- not_null: movie_id, title, genres, tags, added_at, ingested_at
-- range: year 1870..2100, duration_seconds 0..86400
INSERT OR IGNORE INTO catalog
SELECT $movie_id, $title, $year::INTEGER,
       list_filter(string_split($genres, '|'), g -> g <> ''),
       list_filter(string_split($tags, '|'), t -> t <> ''),
       $duration_seconds::DOUBLE, $added_at::TIMESTAMP, $now::TIMESTAMP;
