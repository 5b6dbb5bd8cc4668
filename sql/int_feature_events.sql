-- The events features may read: each user's non-impression events on run titles strictly before the
-- user's clock (feature_clock), with watch completion. Every feature aggregate (exp_feature_*.sql)
-- reads this table and nothing else from the event log.
-- Input: events, feature_clock, run_items.
-- Output: feature_events(user_index, item_index, event_type, ts, clock_ts, completion). Grain: event.
-- table: feature_events
-- grain: none (one row per event; events carry no key here)
-- not_null: user_index, item_index, event_type, ts, clock_ts
-- range: completion 0..1
CREATE OR REPLACE TEMP TABLE feature_events AS
WITH final AS (
  SELECT k.user_index, i.item_index, e.event_type, e.ts, k.clock_ts,
    CASE WHEN e.event_type = 'watch'
         THEN least(e.watch_seconds / coalesce(nullif(e.duration_seconds, 0), nullif(i.duration_seconds, 0), e.watch_seconds + 1e-9), 1.0)
    END AS completion
  FROM events e
  JOIN feature_clock k USING (user_id)
  JOIN run_items i USING (movie_id)
  WHERE e.ts < k.clock_ts AND e.event_type <> 'impression'
)
SELECT * FROM final;
