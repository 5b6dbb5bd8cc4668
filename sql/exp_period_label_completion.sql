-- Completion of each label of a period: the same (user, title) rows as exp_period_labels (every
-- title watched with completion ≥ $label_completion in the user's window [clock($from), clock($to)),
-- minus titles seen before clock($from)), valued by the best completion among those watches, capped at 1.
-- Stored beside the labels (pre_labels_completion.csr, holdout_completion.csr): the expected-completion
-- model learns from it (pipeline/ranking.ts) and evaluation sums it over hits (expected watch time@10).
-- Params: $from, $to VARCHAR ('pre' | 'gate' | 'ship'), $label_completion DOUBLE.
-- Input: events, run_clock, run_items, int_user_item_confidence (built at period $from).
-- Output: user_index, item_index, completion = min(1, max watch_seconds / duration) in (0, 1], sorted.
-- Grain: (user_index, item_index).
-- grain: user_index, item_index
-- not_null: user_index, item_index, completion
-- range: completion 0..1
WITH clock AS (
  SELECT user_id, user_index,
    CASE $from::VARCHAR WHEN 'pre' THEN pre_ts WHEN 'gate' THEN gate_ts ELSE ship_ts END AS from_ts,
    CASE $to::VARCHAR WHEN 'pre' THEN pre_ts WHEN 'gate' THEN gate_ts ELSE ship_ts END AS to_ts
  FROM run_clock
),
watch_completion AS (
  SELECT k.user_index, i.item_index,
    e.watch_seconds / coalesce(nullif(e.duration_seconds, 0), nullif(i.duration_seconds, 0), e.watch_seconds + 1e-9) AS completion
  FROM events e
  JOIN clock k USING (user_id)
  JOIN run_items i USING (movie_id)
  WHERE e.event_type = 'watch'
    AND e.ts >= k.from_ts AND e.ts < k.to_ts
),
label_completion AS (
  SELECT user_index, item_index, least(1.0, max(completion)) AS completion
  FROM watch_completion
  WHERE completion >= $label_completion
  GROUP BY user_index, item_index
),
final AS (
  SELECT l.user_index, l.item_index, l.completion::FLOAT AS completion
  FROM label_completion l
  ANTI JOIN int_user_item_confidence s ON s.user_index = l.user_index AND s.item_index = l.item_index AND (s.is_seen OR s.is_positive)
)
SELECT * FROM final ORDER BY user_index, item_index;
