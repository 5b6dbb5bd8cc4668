-- User aggregates as of a period (feature_events, each user's own clock): watches over all time and in
-- the last $long_days, days since the latest event ($no_history_days when there is none), smoothed mean
-- completion (as for titles), and the clock itself.
-- Params: $long_days INTEGER, $no_history_days, $prior_weight, $prior_completion DOUBLE (model/features.ts).
-- Input: feature_events, feature_clock.
-- Output: user_index, clock_s (epoch seconds), n_watch, n_watch_long, days_since_last, completion_rate.
-- Grain: one row per run user, in index order.
-- grain: user_index
-- not_null: user_index, clock_s, n_watch, n_watch_long, days_since_last, completion_rate
-- range: n_watch 0.., n_watch_long 0.., days_since_last 0.., completion_rate 0..1
WITH agg AS (
  SELECT user_index,
    count(*) FILTER (WHERE event_type = 'watch') AS n_watch,
    count(*) FILTER (WHERE event_type = 'watch' AND ts >= clock_ts - to_days(CAST($long_days AS INTEGER))) AS n_watch_long,
    max(ts) AS last_ts,
    sum(completion) AS sum_completion
  FROM feature_events
  GROUP BY user_index
),
final AS (
  SELECT k.user_index,
    epoch(k.clock_ts) AS clock_s,
    coalesce(a.n_watch, 0)::DOUBLE AS n_watch,
    coalesce(a.n_watch_long, 0)::DOUBLE AS n_watch_long,
    coalesce((epoch(k.clock_ts) - epoch(a.last_ts)) / 86400, $no_history_days) AS days_since_last,
    (coalesce(a.sum_completion, 0) + $prior_weight * $prior_completion) / (coalesce(a.n_watch, 0) + $prior_weight) AS completion_rate
  FROM feature_clock k
  LEFT JOIN agg a USING (user_index)
)
SELECT * FROM final ORDER BY user_index;
