-- The reference instant of a period: the latest user clock of that period in run_clock (for the global
-- time holdout, the period's one clock). Title windows (trending, popularity over 7/30 days) end here.
-- Params: $period VARCHAR ('pre' | 'gate' | 'ship'). Output: one row (ref_ts TIMESTAMP).
-- grain: one row
-- not_null: ref_ts
SELECT max(CASE $period::VARCHAR WHEN 'pre' THEN pre_ts WHEN 'gate' THEN gate_ts ELSE ship_ts END) AS ref_ts FROM run_clock;
