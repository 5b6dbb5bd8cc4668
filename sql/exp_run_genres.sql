-- The run's genre vocabulary in index order. Output: genre_index, genre. Grain: genre.
SELECT genre_index, genre FROM run_genres ORDER BY genre_index;
