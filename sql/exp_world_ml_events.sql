-- events.parquet of an imported MovieLens world: each rating becomes one fully watched watch
-- event carrying the rating; event_id = ml-{user}-{movie}-{unix ts} (a user rates a title once,
-- so it is unique and stable). Ratings of ids missing from the titles file are kept: ingest
-- quarantines them as unknown titles. Sorted by time, ties in file order.
-- Params: $path VARCHAR, $duration_seconds INTEGER. Input: stg_ml_ratings.
-- Output: the world events columns (data/world-dir.ts). Grain: one row per rating.
-- grain: event_id
-- not_null: event_id, user_id, movie_id, event_type, ts
-- range: rating 0.5..5
COPY (
  WITH final AS (
    SELECT
      'ml-' || user_id || '-' || movie_id || '-' || ts AS event_id,
      user_id, movie_id,
      'watch' AS event_type,
      to_timestamp(ts) AS ts,
      $duration_seconds::INTEGER AS watch_seconds,
      $duration_seconds::INTEGER AS duration_seconds,
      rating,
      NULL::VARCHAR AS source
    FROM stg_ml_ratings
    ORDER BY stg_ml_ratings.ts, row_no
  )
  SELECT * FROM final
) TO $path (FORMAT parquet);
