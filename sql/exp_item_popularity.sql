-- Baseline signals per title before $cutoff: all-time positive users (popularity) and positive
-- users in the last $trend_days days (trending). Params: $cutoff TIMESTAMP, $trend_days DOUBLE.
-- Input: int_user_item_confidence, run_items. Output: item_index, popularity, trending (one row per title).
-- grain: item_index
-- not_null: item_index, popularity, trending
-- range: popularity 0.., trending 0..
WITH final AS (
  SELECT i.item_index,
    count(c.user_index) FILTER (WHERE c.is_positive)::DOUBLE AS popularity,
    count(c.user_index) FILTER (WHERE c.is_positive AND c.last_ts >= $cutoff::TIMESTAMP - to_days(CAST(ceil($trend_days) AS INTEGER)))::DOUBLE AS trending
  FROM run_items i
  LEFT JOIN int_user_item_confidence c USING (item_index)
  GROUP BY i.item_index
)
SELECT * FROM final ORDER BY item_index;
