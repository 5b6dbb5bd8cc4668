-- Analysts' copy of one run's model_runs row. Params: $version, $path. Grain: version.
COPY (SELECT * FROM model_runs WHERE version = $version) TO $path (FORMAT parquet);
