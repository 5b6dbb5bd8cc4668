-- Stage one batch of entries of the API's event stream (Redis, field `e` = JSON of an EventRow)
-- as text, in the shape of stg_events_raw, so the file path's validation (stg_events_validated),
-- counts (rpt_events_ingest_counts) and insert (ins_events) apply unchanged.
-- Params: $entries VARCHAR — JSON array of {"row_no": 1-based position in the batch,
--   "stream_id": Redis entry id, "payload": the entry's `e` field or null}; $stream_key VARCHAR.
-- Output: stg_events_raw(row_no, event_id, user_id, movie_id, event_type, ts, watch_seconds,
--   duration_seconds, rating, source, stream_key, stream_id, payload), every column VARCHAR but
--   row_no. A payload that is not a JSON object stages as all-NULL fields (→ quarantined as
--   missing_event_id) and keeps its text in `payload`, so the quarantine's raw JSON holds it.
-- Grain: one row per stream entry.
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
final AS (
  SELECT
    row_no,
    j->>'event_id' AS event_id,
    j->>'user_id' AS user_id,
    j->>'movie_id' AS movie_id,
    j->>'event_type' AS event_type,
    j->>'ts' AS ts,
    j->>'watch_seconds' AS watch_seconds,
    j->>'duration_seconds' AS duration_seconds,
    j->>'rating' AS rating,
    j->>'source' AS source,
    $stream_key::VARCHAR AS stream_key,
    stream_id,
    payload
  FROM parsed
)
SELECT * FROM final ORDER BY row_no;
