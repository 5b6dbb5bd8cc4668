-- Quarantine the bad rows of stg_events_validated with their reason and the raw text (the staged
-- row of stg_events_raw as JSON).
-- Params: $source_hash VARCHAR, $now TIMESTAMP. Input: stg_events_validated, stg_events_raw.
-- Output: quarantine (+rows). Grain: (source_hash, row_no).
-- table: quarantine
-- grain: source_hash, row_no
-- not_null: source_hash, kind, row_no, reason, raw, quarantined_at
-- range: row_no 1..
INSERT OR IGNORE INTO quarantine
WITH final AS (
  SELECT $source_hash AS source_hash, 'event' AS kind, v.row_no, v.reason, to_json(r) AS raw, $now::TIMESTAMP AS quarantined_at
  FROM stg_events_validated v
  JOIN stg_events_raw r ON r.row_no = v.row_no
  WHERE v.reason IS NOT NULL
)
SELECT * FROM final;
