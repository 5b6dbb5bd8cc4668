-- Add one title to the catalog (the addTitle workflow); an existing id is left as it is.
-- Params: $movie_id, $title VARCHAR, $year INTEGER, $genres VARCHAR (pipe-separated), $tags VARCHAR
--   (pipe-separated), $duration_seconds DOUBLE, $added_at TIMESTAMP, $now TIMESTAMP.
-- Output: catalog (+0 or 1 row). Grain: movie_id.
INSERT OR IGNORE INTO catalog
SELECT $movie_id, $title, $year::INTEGER,
       list_filter(string_split($genres, '|'), g -> g <> ''),
       list_filter(string_split($tags, '|'), t -> t <> ''),
       $duration_seconds::DOUBLE, $added_at::TIMESTAMP, $now::TIMESTAMP;
