-- The clock of every run user at one period: features of that period see only the user's events
-- strictly before it (nothing from the period's label window can leak into a feature).
-- Params: $period VARCHAR ('pre' | 'gate' | 'ship'). Input: run_clock.
-- Output: feature_clock(user_index, user_id, clock_ts). Grain: user.
-- table: feature_clock
-- grain: user_index
-- not_null: user_index, user_id, clock_ts
CREATE OR REPLACE TEMP TABLE feature_clock AS
WITH final AS (
  SELECT user_index, user_id, CASE $period::VARCHAR WHEN 'pre' THEN pre_ts WHEN 'gate' THEN gate_ts ELSE ship_ts END AS clock_ts
  FROM run_clock
)
SELECT * FROM final;
