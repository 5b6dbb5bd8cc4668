-- Per-variant outcomes of the home feed (A/B): impressions the API logged, and watches of the same
-- (user, title) within 24 hours after an impression. Reads the analysts' `events` view.
-- Impression source format: home_feed:<position>:<source>:<variant> (api/app.ts).
-- Params: none. Output: variant, impressions, users, watched, watch_rate, mean_watched_position.
-- Grain: one row per variant.
-- grain: variant
-- not_null: impressions, users, watched, watch_rate
-- range: impressions 1.., watch_rate 0..1
WITH imp AS (
  SELECT user_id, movie_id, ts,
    split_part(source, ':', 4) AS variant,
    try_cast(split_part(source, ':', 2) AS INTEGER) AS position
  FROM events
  WHERE event_type = 'impression' AND source LIKE 'home_feed:%'
),
watches AS (
  SELECT user_id, movie_id, ts FROM events WHERE event_type = 'watch'
),
outcome AS (
  SELECT i.variant, i.user_id, i.position,
    EXISTS (SELECT 1 FROM watches w WHERE w.user_id = i.user_id AND w.movie_id = i.movie_id AND w.ts >= i.ts AND w.ts < i.ts + INTERVAL 1 DAY) AS watched
  FROM imp i
),
final AS (
  SELECT variant,
    count(*) AS impressions,
    count(DISTINCT user_id) AS users,
    count(*) FILTER (WHERE watched) AS watched,
    count(*) FILTER (WHERE watched) / count(*)::DOUBLE AS watch_rate,
    avg(position) FILTER (WHERE watched) AS mean_watched_position
  FROM outcome
  GROUP BY variant
)
SELECT * FROM final ORDER BY variant;
