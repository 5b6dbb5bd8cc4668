-- Analysts' copy of a run's training labels: implicit confidence per (user, title) before the cutoff,
-- as built by int_user_item_confidence.sql (must be at the cutoff when this runs).
-- Params: $version, $path. Output columns: version, user_id, movie_id, confidence, is_positive,
--   is_seen, n_watch, max_completion, rating, last_ts. Grain: (user_id, movie_id).
-- grain: user_id, movie_id
-- not_null: version, user_id, movie_id, confidence, is_positive, is_seen
-- range: max_completion 0..1, rating 0.5..5, n_watch 0..
COPY (
  WITH final AS (
    SELECT $version AS version, u.user_id, i.movie_id, c.confidence, c.is_positive, c.is_seen, c.n_watch,
           c.max_completion, c.rating, c.last_ts
    FROM int_user_item_confidence c
    JOIN run_users u USING (user_index)
    JOIN run_items i USING (item_index)
  )
  SELECT * FROM final ORDER BY user_id, movie_id
) TO $path (FORMAT parquet);
