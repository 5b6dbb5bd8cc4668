-- The first rows DuckDB's CSV reader could not read from one file, with the line and the reason.
-- Params: $path VARCHAR (the file just staged). Input: reject_scans, reject_errors (store_rejects).
-- Output: line BIGINT, error_type VARCHAR, column_name VARCHAR, csv_line VARCHAR, error_message VARCHAR.
-- Grain: one row per rejected line (its first error), at most 5, in file order.
-- grain: line
-- not_null: line, error_type
WITH errors AS (
  SELECT e.line, e.error_type, e.column_name, e.csv_line, e.error_message,
    row_number() OVER (PARTITION BY e.line ORDER BY e.column_idx) AS nth
  FROM reject_errors e
  JOIN reject_scans s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
  WHERE s.file_path = $path
),
final AS (
  SELECT line, error_type, column_name, csv_line, error_message FROM errors WHERE nth = 1 ORDER BY line LIMIT 5
)
SELECT * FROM final;
