-- Reconciliation of one staged events file: read = ingested + duplicates + quarantined.
-- Input: stg_events_validated. Output: one row.
WITH final AS (
  SELECT
    count(*) AS rows_read,
    count(*) FILTER (WHERE reason IS NULL AND NOT is_duplicate) AS ingested,
    count(*) FILTER (WHERE reason IS NULL AND is_duplicate) AS duplicates,
    count(*) FILTER (WHERE reason IS NOT NULL) AS quarantined
  FROM stg_events_validated
)
SELECT * FROM final;
