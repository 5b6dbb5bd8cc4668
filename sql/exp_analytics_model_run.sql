-- Analysts' copy of one run's model_runs row. Params: $version, $path. Grain: version.
-- grain: version
-- not_null: version, model, gate_passed, gate_reason
COPY (SELECT * FROM model_runs WHERE version = $version) TO $path (FORMAT parquet);
