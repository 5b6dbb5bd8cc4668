-- Reconciliation of one staged titles file: read = ingested + duplicates + quarantined. Output: one row.
-- grain: one row
-- not_null: rows_read, ingested, duplicates, quarantined
-- range: rows_read 0.., ingested 0.., duplicates 0.., quarantined 0..
WITH final AS (
  SELECT
    count(*) AS rows_read,
    count(*) FILTER (WHERE reason IS NULL AND NOT is_duplicate) AS ingested,
    count(*) FILTER (WHERE reason IS NULL AND is_duplicate) AS duplicates,
    count(*) FILTER (WHERE reason IS NOT NULL) AS quarantined
  FROM stg_titles_validated
)
SELECT * FROM final;
