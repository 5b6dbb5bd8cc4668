-- movies.csv of a synthetic world: m1…mN in index order; year 0, empty genres or tags = null.
-- Params: $path VARCHAR. Input: gen_titles (stg_world_gen.sql).
-- Output: movie_id,title,year,genres,tags,duration_seconds,added_at with a header. Grain: one row per title.
-- grain: movie_id
-- not_null: movie_id, title, added_at
COPY (
  WITH final AS (
    SELECT
      'm' || (idx + 1) AS movie_id,
      title,
      nullif(year, 0) AS year,
      nullif(genres, '') AS genres,
      nullif(tags, '') AS tags,
      duration_seconds,
      strftime(make_timestamp(floor(added_unix)::BIGINT * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS added_at
    FROM gen_titles
    ORDER BY idx
  )
  SELECT * FROM final
) TO $path (FORMAT csv, HEADER true);
