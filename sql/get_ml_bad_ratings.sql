-- Staged ratings that break the import's rules, with the reason: a missing id, a rating outside
-- 0.5–5 or not in steps of 0.5, a timestamp outside 0 … 2^32−1 (unix seconds).
-- Input: stg_ml_ratings. Output: row_no BIGINT, user_id, movie_id, rating, ts, reason VARCHAR.
-- Grain: one row per bad rating, at most 5, in file order.
-- grain: row_no
-- not_null: row_no, reason
WITH checked AS (
  SELECT *,
    CASE
      WHEN nullif(user_id, '') IS NULL THEN 'missing user id'
      WHEN nullif(movie_id, '') IS NULL THEN 'missing movie id'
      WHEN rating IS NULL OR rating < 0.5 OR rating > 5 OR rating * 2 <> round(rating * 2) THEN 'rating outside 0.5–5 in steps of 0.5'
      WHEN ts IS NULL OR ts < 0 OR ts > 4294967295 THEN 'timestamp outside 0 … 2^32−1 unix seconds'
    END AS reason
  FROM stg_ml_ratings
),
final AS (
  SELECT row_no, user_id, movie_id, rating, ts, reason FROM checked WHERE reason IS NOT NULL ORDER BY row_no LIMIT 5
)
SELECT * FROM final;
