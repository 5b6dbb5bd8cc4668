-- The clocks of one run (global time split: every user shares them):
--   pre_ts   the gate ranker's examples are built as of here; [pre_ts, gate_ts) is their label window
--   gate_ts  the cutoff: the gate model trains on events before it; [gate_ts, ship_ts) is the holdout
--   ship_ts  just after as-of: the shipped models train on events before it
-- One row per user so the period SQL can join a clock per user (the per-user split is gone: it let
-- other users' later events into item-side features; see docs/decisions.md).
-- Params: $pre_cutoff, $cutoff, $ship TIMESTAMP.
-- Input: run_users. Output: run_clock(user_index, user_id, pre_ts, gate_ts, ship_ts).
-- Grain: one row per run user; pre_ts ≤ gate_ts ≤ ship_ts.
-- table: run_clock
-- grain: user_index
-- not_null: user_index, user_id, pre_ts, gate_ts, ship_ts
CREATE OR REPLACE TEMP TABLE run_clock AS
WITH final AS (
  SELECT user_index, user_id, $pre_cutoff::TIMESTAMP AS pre_ts, $cutoff::TIMESTAMP AS gate_ts, $ship::TIMESTAMP AS ship_ts
  FROM run_users
)
SELECT * FROM final;
