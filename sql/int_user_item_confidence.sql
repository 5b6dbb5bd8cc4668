-- Implicit confidence per (user, title) from each user's events strictly before the user's clock of
-- $period in run_clock (with the global time holdout: one instant for everyone).
--   confidence = w_watch·max_completion + w_repeat·(complete watches − 1)⁺ + w_rating·(rating − 3)/2
--                + w_search·ln(1 + searches) + w_browse·ln(1 + browses)
-- Early abandons (every watch below $abandon completion) and low ratings (≤ $low_rating) are weak
-- negatives: is_positive = false, so the model treats them like unobserved cells (pushed toward 0 by
-- the α0 term) and they are still excluded from the user's recommendations (is_seen).
-- Params: $period VARCHAR ('pre' | 'gate' | 'ship'), $w_watch, $w_repeat, $w_rating, $w_search, $w_browse DOUBLE,
--   $abandon DOUBLE (0–1), $low_rating DOUBLE.
-- Input: events, catalog, run_clock, run_users, run_items. Output: int_user_item_confidence(user_index,
--   item_index, confidence, is_positive, is_seen, n_watch, max_completion, rating, last_ts).
-- Grain: one row per (user_index, item_index) with at least one non-impression event.
-- table: int_user_item_confidence
-- grain: user_index, item_index
-- not_null: user_index, item_index, confidence, is_positive, is_seen, n_watch
-- range: max_completion 0..1, rating 0.5..5, n_watch 0..
CREATE OR REPLACE TEMP TABLE int_user_item_confidence AS
WITH ev AS (
  SELECT e.user_id, e.movie_id, e.event_type, e.ts, e.rating,
         CASE WHEN e.event_type = 'watch'
              THEN least(e.watch_seconds / coalesce(nullif(e.duration_seconds, 0), nullif(c.duration_seconds, 0), e.watch_seconds + 1e-9), 1.0)
         END AS completion
  FROM events e
  JOIN catalog c USING (movie_id)
  JOIN run_clock k USING (user_id)
  WHERE e.ts < CASE $period::VARCHAR WHEN 'pre' THEN k.pre_ts WHEN 'gate' THEN k.gate_ts ELSE k.ship_ts END
    AND e.event_type <> 'impression'
),
agg AS (
  SELECT user_id, movie_id,
    count(*) FILTER (WHERE event_type = 'watch') AS n_watch,
    coalesce(max(completion), 0) AS max_completion,
    count(*) FILTER (WHERE event_type = 'watch' AND completion >= $abandon) AS n_complete,
    arg_max(rating, ts) FILTER (WHERE rating IS NOT NULL) AS rating,
    count(*) FILTER (WHERE event_type = 'search') AS n_search,
    count(*) FILTER (WHERE event_type = 'browse') AS n_browse,
    max(ts) AS last_ts
  FROM ev
  GROUP BY user_id, movie_id
),
scored AS (
  SELECT *,
    $w_watch * max_completion
      + $w_repeat * greatest(n_complete - 1, 0)
      + $w_rating * coalesce((rating - 3) / 2, 0)
      + $w_search * ln(1 + n_search)
      + $w_browse * ln(1 + n_browse) AS raw_confidence,
    (n_watch > 0 AND max_completion < $abandon) OR (rating IS NOT NULL AND rating <= $low_rating) AS weak_negative
  FROM agg
),
final AS (
  SELECT u.user_index, i.item_index,
    greatest(s.raw_confidence, 0.01)::FLOAT AS confidence,
    NOT s.weak_negative AND s.raw_confidence > 0 AS is_positive,
    s.n_watch > 0 OR s.rating IS NOT NULL AS is_seen,
    s.n_watch, s.max_completion, s.rating, s.last_ts
  FROM scored s
  JOIN run_users u USING (user_id)
  JOIN run_items i USING (movie_id)
)
SELECT * FROM final;
