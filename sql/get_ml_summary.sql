-- What an import is about to write: titles, repeated title ids, rated ids missing from the
-- titles file, ratings, users, and the time range (ISO-8601 UTC).
-- Input: stg_ml_titles, int_ml_titles, stg_ml_ratings. Grain: one row.
-- grain: one row
-- not_null: titles, events, users
WITH ratings AS (
  SELECT count(*) AS events, count(DISTINCT user_id) AS users, min(ts) AS min_ts, max(ts) AS max_ts FROM stg_ml_ratings
),
final AS (
  SELECT
    (SELECT count(*) FROM int_ml_titles) AS titles,
    (SELECT count(*) FROM stg_ml_titles WHERE movie_id IS NOT NULL AND movie_id <> '') - (SELECT count(*) FROM int_ml_titles) AS duplicate_titles,
    (SELECT count(DISTINCT r.movie_id) FROM stg_ml_ratings r ANTI JOIN int_ml_titles t USING (movie_id)) AS unknown_titles,
    events, users,
    strftime(make_timestamp(min_ts * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS start,
    strftime(make_timestamp(max_ts * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS "end"
  FROM ratings
)
SELECT * FROM final;
