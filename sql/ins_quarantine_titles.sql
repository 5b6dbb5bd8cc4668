-- Quarantine the bad rows of stg_titles_validated with their reason.
-- Params: $source_hash VARCHAR, $now TIMESTAMP. Output: quarantine (+rows). Grain: (source_hash, row_no).
-- table: quarantine
-- grain: source_hash, row_no
-- not_null: source_hash, kind, row_no, reason, raw, quarantined_at
-- range: row_no 1..
INSERT OR IGNORE INTO quarantine
WITH final AS (
  SELECT $source_hash AS source_hash, 'title' AS kind, row_no, reason, raw, $now::TIMESTAMP AS quarantined_at
  FROM stg_titles_validated
  WHERE reason IS NOT NULL
)
SELECT * FROM final;
