-- Intent: searches and browses of each title by each user in the $intent_days before the user's clock.
-- Params: $intent_days INTEGER. Input: feature_events.
-- Output: user_index, item_index, n (events) sorted. Grain: (user_index, item_index).
-- grain: user_index, item_index
-- not_null: user_index, item_index, n
-- range: n 1..
WITH final AS (
  SELECT user_index, item_index, count(*)::FLOAT AS n
  FROM feature_events
  WHERE event_type IN ('search', 'browse') AND ts >= clock_ts - to_days(CAST($intent_days AS INTEGER))
  GROUP BY user_index, item_index
)
SELECT * FROM final ORDER BY user_index, item_index;
