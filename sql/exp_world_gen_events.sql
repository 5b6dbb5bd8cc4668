-- events.parquet of a synthetic world: ids e1…eN in time order (ties in simulation order, seq),
-- users u1…, titles m1…;
-- a watch carries its title's duration; ratings are halves (rating2 / 2).
-- Params: $path VARCHAR, $start BIGINT (unix seconds of the range start), $type_names VARCHAR[]
--   and $source_names VARCHAR[] (the generator's codes, 0-based; an empty source name = null).
-- Input: gen_events, gen_titles (stg_world_gen.sql).
-- Output: the world events columns (data/world-dir.ts). Grain: one row per event.
-- grain: event_id
-- not_null: event_id, user_id, movie_id, event_type, ts
COPY (
  WITH final AS (
    SELECT
      'e' || row_number() OVER (ORDER BY e.ts_offset, e.seq) AS event_id,
      'u' || (e.user_idx + 1) AS user_id,
      'm' || (e.movie_idx + 1) AS movie_id,
      $type_names[e.type_idx + 1] AS event_type,
      to_timestamp($start + e.ts_offset) AS ts,
      CASE WHEN e.watch_seconds >= 0 THEN e.watch_seconds END AS watch_seconds,
      CASE WHEN $type_names[e.type_idx + 1] = 'watch' THEN t.duration_seconds END AS duration_seconds,
      CASE WHEN e.rating2 > 0 THEN e.rating2 / 2 END AS rating,
      nullif($source_names[e.source_idx + 1], '') AS source
    FROM gen_events e
    JOIN gen_titles t ON t.idx = e.movie_idx
    ORDER BY e.ts_offset, e.seq
  )
  SELECT * FROM final
) TO $path (FORMAT parquet);
