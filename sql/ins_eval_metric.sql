-- One metric value of one model on one holdout slice.
-- Params: $version, $model, $holdout, $slice, $metric VARCHAR, $value DOUBLE. Grain: (version, model, holdout, slice, metric).
-- table: eval_metrics
-- grain: version, model, holdout, slice, metric
-- not_null: version, model, holdout, slice, metric
INSERT OR REPLACE INTO eval_metrics VALUES ($version, $model, $holdout, $slice, $metric, $value);
