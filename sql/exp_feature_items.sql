-- Title aggregates as of a period (feature_events; windows end at the period's reference instant, the
-- latest user clock): distinct watchers over all time / the last $long_days / the last $short_days,
-- and the smoothed mean completion (Σ completion + $prior_weight·$prior_completion) / (watches + $prior_weight).
-- Params: $long_days, $short_days INTEGER, $prior_weight, $prior_completion DOUBLE (model/features.ts).
-- Input: feature_events, feature_clock, run_items.
-- Output: item_index, pop_all, pop_long, pop_short, completion_rate, added_at_s (epoch seconds).
-- Grain: one row per run title, in index order.
-- grain: item_index
-- not_null: item_index, pop_all, pop_long, pop_short, completion_rate, added_at_s
-- range: pop_all 0.., pop_long 0.., pop_short 0.., completion_rate 0..1
WITH ref AS (
  SELECT max(clock_ts) AS ref_ts FROM feature_clock
),
watches AS (
  SELECT item_index, user_index, ts, completion FROM feature_events WHERE event_type = 'watch'
),
agg AS (
  SELECT w.item_index,
    count(DISTINCT w.user_index) AS pop_all,
    count(DISTINCT w.user_index) FILTER (WHERE w.ts >= r.ref_ts - to_days(CAST($long_days AS INTEGER))) AS pop_long,
    count(DISTINCT w.user_index) FILTER (WHERE w.ts >= r.ref_ts - to_days(CAST($short_days AS INTEGER))) AS pop_short,
    count(*) AS n_watch,
    sum(w.completion) AS sum_completion
  FROM watches w
  CROSS JOIN ref r
  GROUP BY w.item_index
),
final AS (
  SELECT i.item_index,
    coalesce(a.pop_all, 0)::DOUBLE AS pop_all,
    coalesce(a.pop_long, 0)::DOUBLE AS pop_long,
    coalesce(a.pop_short, 0)::DOUBLE AS pop_short,
    (coalesce(a.sum_completion, 0) + $prior_weight * $prior_completion) / (coalesce(a.n_watch, 0) + $prior_weight) AS completion_rate,
    epoch(i.added_at) AS added_at_s
  FROM run_items i
  LEFT JOIN agg a USING (item_index)
)
SELECT * FROM final ORDER BY item_index;
