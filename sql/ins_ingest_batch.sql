-- Record one ingested file by content hash (re-ingesting the same content is a no-op).
-- Params: $source_hash, $kind, $source, $rows_read, $ingested, $duplicates, $quarantined, $now.
-- table: ingest_batches
-- grain: source_hash
-- not_null: source_hash, kind, source, rows_read, ingested, duplicates, quarantined
-- range: rows_read 0.., ingested 0.., duplicates 0.., quarantined 0..
INSERT OR IGNORE INTO ingest_batches
SELECT $source_hash, $kind, $source, $rows_read, $ingested, $duplicates, $quarantined, $now::TIMESTAMP;
