-- Quarantine the bad rows of a staged stream batch (stg_events_stream → stg_events_validated)
-- with their reason and raw text, once per stream entry: an entry re-delivered after a crash
-- between landing and ack (at-least-once delivery) is already there and is not written again,
-- whatever batch it arrives in. (Good rows get the same guarantee from the event_id dedupe.) The
-- bad items of one impression slate share its entry id: all are written in the same landing.
-- Params: $source_hash VARCHAR (the batch id), $now TIMESTAMP.
-- Input: stg_events_validated, stg_events_raw (the raw text: its row as JSON), quarantine. Output: quarantine (+rows). Grain: (source_hash, row_no);
-- at most one landing per (raw.stream_key, raw.stream_id), one row per slate position in it.
-- table: quarantine
-- grain: source_hash, row_no
-- not_null: source_hash, kind, row_no, reason, raw, quarantined_at
-- range: row_no 1..
INSERT OR IGNORE INTO quarantine
WITH already AS (
  SELECT json_extract_string(raw, 'stream_key') AS stream_key, json_extract_string(raw, 'stream_id') AS stream_id
  FROM quarantine
  WHERE kind = 'event' AND json_extract_string(raw, 'stream_id') IS NOT NULL
),
bad AS (
  SELECT v.row_no, v.reason, to_json(r) AS raw, r.stream_key, r.stream_id
  FROM stg_events_validated v
  JOIN stg_events_raw r ON r.row_no = v.row_no
  WHERE v.reason IS NOT NULL
),
final AS (
  SELECT $source_hash AS source_hash, 'event' AS kind, b.row_no, b.reason, b.raw, $now::TIMESTAMP AS quarantined_at
  FROM bad b
  ANTI JOIN already a ON a.stream_key = b.stream_key AND a.stream_id = b.stream_id
)
SELECT * FROM final;
