-- Analysts' copy of one file's quarantined rows. Params: $source_hash, $path. Grain: (source_hash, row_no).
-- grain: source_hash, row_no
-- not_null: reason, raw
COPY (SELECT * FROM quarantine WHERE source_hash = $source_hash ORDER BY row_no) TO $path (FORMAT parquet);
