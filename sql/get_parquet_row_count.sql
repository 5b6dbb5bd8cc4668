-- Rows of a Parquet file, from its footer (no data read): how many slices storage/ingest.ts stages.
-- Params: $path VARCHAR (a file the caller resolved; never user SQL). Output: one row, n.
-- grain: one row
SELECT count(*) AS n FROM read_parquet($path);
