-- The dashboard's model-run history, from the analysts' views (model_runs, eval_metrics), never
-- the worker's database. One row per (run, evaluated model) on the global time holdout, slice
-- "all"; a run without metrics yields one row with model NULL.
-- Params: $limit INTEGER (the newest this many runs).
-- Output: version, created_at, data_as_of, cutoff (ISO-8601 UTC text), run_model, params (JSON text),
--   gate_passed, gate_outcome, release, gate_reason, published, live_version, gate_ndcg_10, popularity_ndcg_10,
--   live_ndcg_10, n_users, n_items, model, ndcg_10, recall_20, coverage_10.
-- Grain: (version, model).
-- grain: version, model
-- not_null: version, gate_passed
WITH runs AS (
  SELECT *
  FROM model_runs
  ORDER BY created_at DESC, version DESC
  LIMIT $limit
),

metrics AS (
  SELECT
    version,
    model,
    max(value) FILTER (WHERE metric = 'ndcg_10') AS ndcg_10,
    max(value) FILTER (WHERE metric = 'recall_20') AS recall_20,
    max(value) FILTER (WHERE metric = 'coverage_10') AS coverage_10
  FROM eval_metrics
  WHERE slice = 'all' AND holdout = 'global_time'
  GROUP BY version, model
),

final AS (
  SELECT
    r.version,
    strftime(r.created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
    strftime(r.data_as_of, '%Y-%m-%dT%H:%M:%SZ') AS data_as_of,
    strftime(r.cutoff, '%Y-%m-%dT%H:%M:%SZ') AS cutoff,
    r.model AS run_model,
    CAST(r.params AS VARCHAR) AS params,
    r.gate_passed,
    r.gate_outcome,
    r.release,
    r.gate_reason,
    r.published,
    r.live_version,
    r.ndcg_10 AS gate_ndcg_10,
    r.popularity_ndcg_10,
    r.live_ndcg_10,
    CAST(r.n_users AS DOUBLE) AS n_users,
    CAST(r.n_items AS DOUBLE) AS n_items,
    m.model,
    m.ndcg_10,
    m.recall_20,
    m.coverage_10
  FROM runs AS r
  LEFT JOIN metrics AS m USING (version)
)

SELECT * FROM final
ORDER BY created_at, version, model
