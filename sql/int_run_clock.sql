-- Per-user clocks of one run: the instants that split each user's events into periods.
--   pre_ts   the gate ranker's examples are built as of here; [pre_ts, gate_ts) is their label window
--   gate_ts  the cutoff: the gate model trains on events before it; [gate_ts, ship_ts) is the holdout
--   ship_ts  just after as-of: the shipped models train on events before it
-- $holdout = 'global_time': every user shares pre_ts = $pre_cutoff, gate_ts = $cutoff, ship_ts = $ship.
-- $holdout = 'per_user': a user's non-impression events before $ship, by time (ties by event_id): gate_ts is
--   the time of the first of the last ⌊$fraction·n⌋ of them (ship_ts when that is none); pre_ts is the same
--   rule applied to the user's events before gate_ts (gate_ts when none).
-- Params: $holdout VARCHAR, $pre_cutoff, $cutoff, $ship TIMESTAMP, $fraction DOUBLE (0–1).
-- Input: events, run_users. Output: run_clock(user_index, user_id, pre_ts, gate_ts, ship_ts).
-- Grain: one row per run user; pre_ts ≤ gate_ts ≤ ship_ts.
-- table: run_clock
-- grain: user_index
-- not_null: user_index, user_id, pre_ts, gate_ts, ship_ts
CREATE OR REPLACE TEMP TABLE run_clock AS
WITH ev AS (
  SELECT e.user_id, e.ts,
    row_number() OVER (PARTITION BY e.user_id ORDER BY e.ts, e.event_id) AS pos,
    count(*) OVER (PARTITION BY e.user_id) AS n
  FROM events e
  JOIN run_users USING (user_id)
  WHERE $holdout::VARCHAR = 'per_user' AND e.ts < $ship::TIMESTAMP AND e.event_type <> 'impression'
),
gate AS (
  SELECT user_id, coalesce(min(ts) FILTER (WHERE pos > n - floor($fraction * n)), $ship::TIMESTAMP) AS gate_ts
  FROM ev
  GROUP BY user_id
),
before_gate AS (
  SELECT ev.user_id, ev.ts, ev.pos, count(*) OVER (PARTITION BY ev.user_id) AS m
  FROM ev
  JOIN gate USING (user_id)
  WHERE ev.ts < gate.gate_ts
),
pre AS (
  SELECT user_id, min(ts) FILTER (WHERE pos > m - floor($fraction * m)) AS pre_ts
  FROM before_gate
  GROUP BY user_id
),
per_user AS (
  SELECT g.user_id, coalesce(p.pre_ts, g.gate_ts) AS pre_ts, g.gate_ts, $ship::TIMESTAMP AS ship_ts
  FROM gate g
  LEFT JOIN pre p USING (user_id)
),
global_time AS (
  SELECT user_id, $pre_cutoff::TIMESTAMP AS pre_ts, $cutoff::TIMESTAMP AS gate_ts, $ship::TIMESTAMP AS ship_ts
  FROM run_users
  WHERE $holdout::VARCHAR = 'global_time'
),
final AS (
  SELECT u.user_index, u.user_id, c.pre_ts, c.gate_ts, c.ship_ts
  FROM run_users u
  JOIN (SELECT * FROM per_user UNION ALL SELECT * FROM global_time) c USING (user_id)
)
SELECT * FROM final;
