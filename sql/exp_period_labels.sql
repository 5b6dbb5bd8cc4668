-- Labels of a period: titles each user watched with completion ≥ $label_completion in the user's window
-- [clock($from), clock($to)) of run_clock, minus titles the user had already seen before clock($from).
-- ($from, $to) = ('pre', 'gate'): the gate ranker's labels; ('gate', 'ship'): the holdout (ranker labels
-- of the shipped ranker, and the evaluation's relevant titles). With the global time holdout the gate
-- window is [cutoff, as-of].
-- Params: $from, $to VARCHAR ('pre' | 'gate' | 'ship'), $label_completion DOUBLE.
-- Input: events, run_clock, run_items, int_user_item_confidence (built at period $from).
-- Output: user_index, item_index, t = seconds from the window's start to the first labelled watch + 1 (> 0;
-- evaluation keeps the labels after an instant with it, e.g. the live version's data clock), sorted.
-- Grain: (user_index, item_index).
-- grain: user_index, item_index
-- not_null: user_index, item_index, t
WITH clock AS (
  SELECT user_id, user_index,
    CASE $from::VARCHAR WHEN 'pre' THEN pre_ts WHEN 'gate' THEN gate_ts ELSE ship_ts END AS from_ts,
    CASE $to::VARCHAR WHEN 'pre' THEN pre_ts WHEN 'gate' THEN gate_ts ELSE ship_ts END AS to_ts
  FROM run_clock
),
label_watches AS (
  SELECT k.user_index, i.item_index, epoch(min(e.ts)) - epoch(any_value(k.from_ts)) + 1 AS t
  FROM events e
  JOIN clock k USING (user_id)
  JOIN run_items i USING (movie_id)
  WHERE e.event_type = 'watch'
    AND e.ts >= k.from_ts AND e.ts < k.to_ts
    AND e.watch_seconds / coalesce(nullif(e.duration_seconds, 0), nullif(i.duration_seconds, 0), e.watch_seconds + 1e-9) >= $label_completion
  GROUP BY k.user_index, i.item_index
),
final AS (
  SELECT l.user_index, l.item_index, l.t::FLOAT AS t
  FROM label_watches l
  ANTI JOIN int_user_item_confidence s ON s.user_index = l.user_index AND s.item_index = l.item_index AND (s.is_seen OR s.is_positive)
)
SELECT * FROM final ORDER BY user_index, item_index;
