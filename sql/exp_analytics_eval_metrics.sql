-- Analysts' copy of one run's evaluation metrics. Params: $version, $path.
-- Grain: (version, model, holdout, slice, metric).
-- grain: version, model, holdout, slice, metric
COPY (SELECT * FROM eval_metrics WHERE version = $version ORDER BY model, holdout, slice, metric) TO $path (FORMAT parquet);
