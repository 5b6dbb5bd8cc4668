-- The last $last_k distinct titles each user watched with completion ≥ $abandon as of a period, most
-- recent first (by the latest such watch; ties by index).
-- Params: $last_k INTEGER, $abandon DOUBLE. Input: feature_events.
-- Output: user_index, pos (0 = most recent), item_index sorted. Grain: (user_index, pos).
-- grain: user_index, pos
-- not_null: user_index, pos, item_index
-- range: pos 0..
WITH titles AS (
  SELECT user_index, item_index, max(ts) AS last_ts
  FROM feature_events
  WHERE event_type = 'watch' AND completion >= $abandon
  GROUP BY user_index, item_index
),
ranked AS (
  SELECT user_index, item_index, row_number() OVER (PARTITION BY user_index ORDER BY last_ts DESC, item_index) - 1 AS pos FROM titles
),
final AS (
  SELECT user_index, pos::INTEGER AS pos, item_index FROM ranked WHERE pos < $last_k
)
SELECT * FROM final ORDER BY user_index, pos;
