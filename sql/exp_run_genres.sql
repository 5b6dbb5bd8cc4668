-- The run's genre vocabulary in index order. Output: genre_index, genre. Grain: genre.
-- grain: genre_index
-- not_null: genre_index, genre
SELECT genre_index, genre FROM run_genres ORDER BY genre_index;
