-- Genre intent: each user's searches and browses in the $intent_days before the user's clock, each event
-- spreading weight 1 over the title's genres (item_genres), normalised to sum 1 per user.
-- Params: $intent_days INTEGER. Input: feature_events, item_genres.
-- Output: user_index, genre_index, share sorted. Grain: (user_index, genre_index), non-zero shares only.
-- grain: user_index, genre_index
-- not_null: user_index, genre_index, share
-- range: share 0..1
WITH intents AS (
  SELECT user_index, item_index
  FROM feature_events
  WHERE event_type IN ('search', 'browse') AND ts >= clock_ts - to_days(CAST($intent_days AS INTEGER))
),
weights AS (
  SELECT t.user_index, g.genre_index, sum(g.weight) AS w
  FROM intents t
  JOIN item_genres g USING (item_index)
  GROUP BY t.user_index, g.genre_index
),
final AS (
  SELECT user_index, genre_index, (w / sum(w) OVER (PARTITION BY user_index))::FLOAT AS share FROM weights
)
SELECT * FROM final ORDER BY user_index, genre_index;
