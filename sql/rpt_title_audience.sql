-- The audience a version predicts for a title: users whose published top-20 snapshot
-- (analysts' recommendations view) contains it, best rank first.
-- Params: $version VARCHAR, $movie_id VARCHAR, $limit INTEGER.
-- Output: user_id, rank, score, audience (users in the whole audience, on every row).
-- Grain: user_id.
-- grain: user_id
-- not_null: user_id, rank, audience
-- range: rank 1..20, audience 1..
WITH audience AS (
  SELECT user_id, rank, score
  FROM recommendations
  WHERE version = $version AND movie_id = $movie_id
),

final AS (
  SELECT
    user_id,
    CAST(rank AS INTEGER) AS rank,
    CAST(score AS DOUBLE) AS score,
    CAST(count(*) OVER () AS INTEGER) AS audience
  FROM audience
)

SELECT * FROM final
ORDER BY rank, score DESC, user_id
LIMIT $limit
