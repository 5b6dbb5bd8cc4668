-- Titles of the run in index order, with metadata for the serving catalog.
-- Output: item_index, movie_id, title, year, genres, tags, duration_seconds, added_at.
-- grain: item_index
-- not_null: item_index, movie_id, title, genres, tags, added_at
SELECT item_index, movie_id, title, year, genres, tags, duration_seconds, strftime(added_at, '%Y-%m-%dT%H:%M:%SZ') AS added_at
FROM run_items ORDER BY item_index;
