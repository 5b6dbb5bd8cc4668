-- Record one ingested file by content hash (re-ingesting the same content is a no-op).
-- Params: $source_hash, $kind, $source, $rows_read, $ingested, $duplicates, $quarantined, $now.
INSERT OR IGNORE INTO ingest_batches
SELECT $source_hash, $kind, $source, $rows_read, $ingested, $duplicates, $quarantined, $now::TIMESTAMP;
