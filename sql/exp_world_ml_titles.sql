-- movies.csv of an imported MovieLens world. Every title runs $duration_seconds (MovieLens has
-- no running times); added_at = its first rating, or the first rating of the file for titles
-- nobody rated; tags = the most often given ones (at most $max_tags, ties by text), '|' inside a
-- tag written as '/'. Titles keep the titles file's order.
-- Params: $path VARCHAR, $duration_seconds INTEGER, $max_tags INTEGER.
-- Input: int_ml_titles, stg_ml_ratings, stg_ml_tags (empty when the release has no tags).
-- Output: movie_id,title,year,genres,tags,duration_seconds,added_at with a header; empty = null.
-- Grain: one row per movie_id.
-- grain: movie_id
-- not_null: movie_id, title, added_at
COPY (
  WITH first_rating AS (
    SELECT movie_id, min(ts) AS ts FROM stg_ml_ratings GROUP BY movie_id
  ),
  tag_counts AS (
    SELECT movie_id, tag, count(*) AS n FROM stg_ml_tags GROUP BY movie_id, tag
  ),
  top_tags AS (
    SELECT movie_id, string_agg(replace(tag, '|', '/'), '|' ORDER BY n DESC, tag) AS tags
    FROM (SELECT * FROM tag_counts QUALIFY row_number() OVER (PARTITION BY movie_id ORDER BY n DESC, tag) <= $max_tags)
    GROUP BY movie_id
  ),
  final AS (
    SELECT
      t.movie_id, t.title, t.year,
      nullif(array_to_string(t.genres, '|'), '') AS genres,
      g.tags,
      $duration_seconds::INTEGER AS duration_seconds,
      strftime(make_timestamp(coalesce(f.ts, (SELECT min(ts) FROM stg_ml_ratings)) * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS added_at
    FROM int_ml_titles t
    LEFT JOIN first_rating f USING (movie_id)
    LEFT JOIN top_tags g USING (movie_id)
    ORDER BY t.row_no
  )
  SELECT * FROM final
) TO $path (FORMAT csv, HEADER true);
