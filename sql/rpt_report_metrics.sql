-- Every evaluation number of one run from the analysts' eval_metrics view.
-- Params: $version VARCHAR.
-- Output: model, holdout, slice, metric, value. Grain: (model, holdout, slice, metric).
-- grain: model, holdout, slice, metric
-- not_null: model, holdout, slice, metric
WITH final AS (
  SELECT model, holdout, slice, metric, CAST(value AS DOUBLE) AS value
  FROM eval_metrics
  WHERE version = $version
)

SELECT * FROM final
ORDER BY holdout, slice, model, metric
