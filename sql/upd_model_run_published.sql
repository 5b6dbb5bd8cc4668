-- Mark a version published. Params: $version VARCHAR, $now TIMESTAMP. Output: model_runs (1 row updated).
-- table: model_runs
-- grain: version
-- not_null: version, published
UPDATE model_runs SET published = true, published_at = $now::TIMESTAMP WHERE version = $version;
