-- Global time holdout: titles each user watched (completion ≥ $label_completion) in
-- [$cutoff, $as_of], minus titles the user had already seen before $cutoff.
-- Params: $cutoff, $as_of TIMESTAMP, $label_completion DOUBLE.
-- Input: events, catalog, run_users, run_items, int_user_item_confidence (built at $cutoff).
-- Output: user_index, item_index, 1.0 sorted. Grain: (user_index, item_index).
WITH label_watches AS (
  SELECT DISTINCT e.user_id, e.movie_id
  FROM events e
  JOIN catalog c USING (movie_id)
  WHERE e.event_type = 'watch'
    AND e.ts >= $cutoff::TIMESTAMP AND e.ts <= $as_of::TIMESTAMP
    AND e.watch_seconds / coalesce(nullif(e.duration_seconds, 0), nullif(c.duration_seconds, 0), e.watch_seconds + 1e-9) >= $label_completion
),
final AS (
  SELECT u.user_index, i.item_index, 1.0::FLOAT AS one
  FROM label_watches l
  JOIN run_users u USING (user_id)
  JOIN run_items i USING (movie_id)
  ANTI JOIN int_user_item_confidence s ON s.user_index = u.user_index AND s.item_index = i.item_index AND (s.is_seen OR s.is_positive)
)
SELECT * FROM final ORDER BY user_index, item_index;
