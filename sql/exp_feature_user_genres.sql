-- Genre histogram of each user's history as of a period: over the distinct titles the user watched with
-- completion ≥ $abandon (early abandons say little about taste), each title spreading weight 1 over
-- its genres (item_genres), normalised to sum 1 per user.
-- Params: $abandon DOUBLE. Input: feature_events, item_genres.
-- Output: user_index, genre_index, share sorted. Grain: (user_index, genre_index), non-zero shares only.
-- grain: user_index, genre_index
-- not_null: user_index, genre_index, share
-- range: share 0..1
WITH titles AS (
  SELECT DISTINCT user_index, item_index FROM feature_events WHERE event_type = 'watch' AND completion >= $abandon
),
weights AS (
  SELECT t.user_index, g.genre_index, sum(g.weight) AS w
  FROM titles t
  JOIN item_genres g USING (item_index)
  GROUP BY t.user_index, g.genre_index
),
final AS (
  SELECT user_index, genre_index, (w / sum(w) OVER (PARTITION BY user_index))::FLOAT AS share FROM weights
)
SELECT * FROM final ORDER BY user_index, genre_index;
