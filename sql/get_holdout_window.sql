-- The holdout's start (the cutoff), sized for statistical power rather than by the calendar. The window
-- ends at as-of and starts at $default_cutoff (as-of − EVAL_WINDOW_DAYS); when fewer than $min_users
-- users can be judged in it, it grows backwards to the latest cutoff c that gives $min_users such users,
-- but never past the instant after which $max_fraction of all eligible watches lie (cap_ts), so training
-- keeps most of the history. When no c in [cap_ts, $default_cutoff] reaches $min_users, the c there that
-- judges the most users wins (every eligible user, when fewer exist).
-- A user can be judged at c when they have a label-eligible watch before c (a history to personalise
-- from) and one at or after c (a held-out positive): first_ts < c ≤ last_ts. Their count at c is
-- #{last_ts ≥ c} − #{first_ts ≥ c}, so one sorted pass over the users' first and last watches finds it.
-- Candidate cutoffs are the users' last watches (the count only rises just at them) and $default_cutoff.
-- Label-eligible watch: event_type 'watch' with completion ≥ $label_completion (as in exp_period_labels.sql).
-- Params: $default_cutoff, $ship TIMESTAMP (ts < $ship ⇔ ts ≤ as-of), $min_users INTEGER,
--   $max_fraction DOUBLE (0–1), $label_completion DOUBLE.
-- Input: events, run_items. Output: one row: cutoff, cap_ts, eligible_users (users with a watch before
--   and after some instant: first_ts < last_ts), users_default (judged at $default_cutoff), users_chosen
--   (judged at cutoff), capped (true when the cap stopped the growth). Grain: one row.
-- grain: one row
-- not_null: cutoff, cap_ts, eligible_users, capped
WITH eligible AS (
  SELECT e.user_id, e.ts
  FROM events e
  JOIN run_items i USING (movie_id)
  WHERE e.event_type = 'watch' AND e.ts < $ship::TIMESTAMP
    AND e.watch_seconds / coalesce(nullif(e.duration_seconds, 0), nullif(i.duration_seconds, 0), e.watch_seconds + 1e-9) >= $label_completion
),
users AS (
  SELECT user_id, min(ts) AS first_ts, max(ts) AS last_ts FROM eligible GROUP BY user_id
),
cap AS (
  SELECT coalesce(quantile_disc(ts, 1 - $max_fraction::DOUBLE), $default_cutoff::TIMESTAMP) AS cap_ts FROM eligible
),
marks AS (
  -- a = 1 at a user's last watch, b = 1 at their first; c = 1 where a cutoff may go
  SELECT last_ts AS t, 1 AS a, 0 AS b, 1 AS c FROM users
  UNION ALL SELECT first_ts, 0, 1, 0 FROM users
  UNION ALL SELECT $default_cutoff::TIMESTAMP, 0, 0, 1
),
swept AS (
  -- ORDER BY t DESC with the default RANGE frame: sums over every mark at or after t
  SELECT t, c, sum(a) OVER w - sum(b) OVER w AS judged
  FROM marks
  WINDOW w AS (ORDER BY t DESC)
),
counted AS (
  SELECT t AS c, max(judged) AS judged
  FROM swept, cap
  WHERE swept.c = 1 AND t <= $default_cutoff::TIMESTAMP AND t >= cap.cap_ts
  GROUP BY t
),
best AS (
  SELECT
    (SELECT max(c) FROM counted WHERE judged >= $min_users) AS enough_ts,
    (SELECT c FROM counted ORDER BY judged DESC, c DESC LIMIT 1) AS most_ts
),
final AS (
  SELECT
    coalesce(b.enough_ts, b.most_ts, $default_cutoff::TIMESTAMP) AS cutoff,
    cap.cap_ts,
    (SELECT count(*) FROM users WHERE first_ts < last_ts) AS eligible_users,
    (SELECT judged FROM counted WHERE c = $default_cutoff::TIMESTAMP) AS users_default,
    (SELECT judged FROM counted WHERE c = coalesce(b.enough_ts, b.most_ts, $default_cutoff::TIMESTAMP)) AS users_chosen,
    b.enough_ts IS NULL AS capped
  FROM best b, cap
)
SELECT * FROM final;
