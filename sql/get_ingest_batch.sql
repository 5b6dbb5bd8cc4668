-- The earlier ingest of a file with this content, if any. Params: $source_hash. Output: 0 or 1 row.
-- grain: one row
SELECT rows_read, ingested, duplicates, quarantined, ingested_at FROM ingest_batches WHERE source_hash = $source_hash;
