-- Stage one batch of entries of the API's event stream (Redis, field `e` = JSON of an EventRow, or
-- of an impression slate) as text, in the shape of stg_events_raw, so the file path's validation
-- (stg_events_validated), counts (rpt_events_ingest_counts) and insert (ins_events) apply unchanged.
-- An impression slate (api/app.ts logImpressions: `items` is an array) expands into one impression
-- row per item: event_id `<slate event_id>-<position>`, source
-- `<surface>:<position>:<feed_source>:<variant>`, position = offset + 1-based index in `items`.
-- Params: $entries VARCHAR — JSON array of {"row_no": 1-based position in the batch,
--   "stream_id": Redis entry id, "payload": the entry's `e` field or null}; $stream_key VARCHAR.
-- Output: stg_events_raw(row_no, event_id, user_id, movie_id, event_type, ts, watch_seconds,
--   duration_seconds, rating, source, stream_key, stream_id, slate_position, payload), every
--   column VARCHAR but row_no and slate_position. A payload that is not a JSON object stages as
--   all-NULL fields (→ quarantined as missing_event_id) and keeps its text in `payload`, so the
--   quarantine's raw JSON holds it.
-- Grain: one row per stream entry, or per item of a slate entry; row_no numbers them 1.. in
--   (entry, position) order.
-- table: stg_events_raw
-- grain: row_no
-- not_null: row_no, stream_key, stream_id
-- range: row_no 1..
CREATE OR REPLACE TEMP TABLE stg_events_raw AS
WITH entries AS (
  SELECT unnest(from_json($entries::JSON, '[{"row_no": "BIGINT", "stream_id": "VARCHAR", "payload": "VARCHAR"}]'), recursive := true)
),
parsed AS (
  SELECT row_no, stream_id, payload,
    CASE WHEN json_valid(payload) AND json_type(payload::JSON) = 'OBJECT' THEN payload::JSON END AS j
  FROM entries
),
singles AS (
  SELECT row_no AS entry_no, NULL::BIGINT AS slate_position, stream_id, payload,
    j->>'event_id' AS event_id,
    j->>'user_id' AS user_id,
    j->>'movie_id' AS movie_id,
    j->>'event_type' AS event_type,
    j->>'ts' AS ts,
    j->>'watch_seconds' AS watch_seconds,
    j->>'duration_seconds' AS duration_seconds,
    j->>'rating' AS rating,
    j->>'source' AS source
  FROM parsed
  WHERE j IS NULL OR json_type(j->'items') IS DISTINCT FROM 'ARRAY'
),
slates AS (
  SELECT row_no AS entry_no, stream_id, payload, j,
    from_json(j->'items', '["VARCHAR"]') AS items,
    coalesce(try_cast(j->>'offset' AS BIGINT), 0) AS page_offset
  FROM parsed
  WHERE json_type(j->'items') = 'ARRAY'
),
slate_items AS (
  SELECT entry_no, stream_id, payload, j, page_offset,
    unnest(items) AS movie_id,
    generate_subscripts(items, 1) AS idx
  FROM slates
),
expanded AS (
  SELECT entry_no, page_offset + idx AS slate_position, stream_id, payload,
    (j->>'event_id') || '-' || (page_offset + idx) AS event_id,
    j->>'user_id' AS user_id,
    movie_id,
    j->>'event_type' AS event_type,
    j->>'ts' AS ts,
    NULL::VARCHAR AS watch_seconds,
    NULL::VARCHAR AS duration_seconds,
    NULL::VARCHAR AS rating,
    (j->>'surface') || ':' || (page_offset + idx) || ':' || (j->>'feed_source') || ':' || (j->>'variant') AS source
  FROM slate_items
),
unioned AS (
  SELECT * FROM singles
  UNION ALL BY NAME
  SELECT * FROM expanded
),
final AS (
  SELECT
    row_number() OVER (ORDER BY entry_no, slate_position NULLS FIRST) AS row_no,
    event_id, user_id, movie_id, event_type, ts, watch_seconds, duration_seconds, rating, source,
    $stream_key::VARCHAR AS stream_key,
    stream_id,
    slate_position,
    payload
  FROM unioned
)
SELECT * FROM final ORDER BY row_no;
