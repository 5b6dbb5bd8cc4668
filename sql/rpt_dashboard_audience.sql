-- The audience a published version predicts for each title: how many users' top-20 snapshot
-- (analysts' recommendations view) holds it, and the best-ranked $limit of them. The worker
-- publishes it to Redis at publish time (storage/dashboard-publish.ts) for the dashboard.
-- Params: $version VARCHAR, $limit INTEGER.
-- Output: movie_id, audience (users in the whole audience), users (list of {user_id, rank,
--   score}, best rank first, at most $limit).
-- Grain: movie_id.
-- grain: movie_id
-- not_null: movie_id, audience, users
-- range: audience 1..
WITH snapshot AS (
  SELECT movie_id, user_id, CAST(rank AS INTEGER) AS rank, CAST(score AS DOUBLE) AS score
  FROM recommendations
  WHERE version = $version
),

final AS (
  SELECT
    movie_id,
    CAST(count(*) AS INTEGER) AS audience,
    list({'user_id': user_id, 'rank': rank, 'score': score} ORDER BY rank, score DESC, user_id)[1:$limit] AS users
  FROM snapshot
  GROUP BY movie_id
)

SELECT * FROM final
ORDER BY movie_id
