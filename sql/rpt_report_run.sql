-- One run of the analysts' model_runs view, for the evaluation report.
-- Params: $version VARCHAR.
-- Output: version, created_at, data_as_of, cutoff, published_at (ISO-8601 UTC text), model,
--   params (JSON text), gate_passed, gate_outcome, release, gate_reason, published, live_version, ndcg_10,
--   popularity_ndcg_10, live_ndcg_10, n_users, n_items, n_train_interactions.
-- Grain: version (zero or one row).
-- grain: one row
-- not_null: version, model, gate_passed
WITH final AS (
  SELECT
    version,
    strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
    strftime(data_as_of, '%Y-%m-%dT%H:%M:%SZ') AS data_as_of,
    strftime(cutoff, '%Y-%m-%dT%H:%M:%SZ') AS cutoff,
    strftime(published_at, '%Y-%m-%dT%H:%M:%SZ') AS published_at,
    model,
    CAST(params AS VARCHAR) AS params,
    gate_passed,
    gate_outcome,
    release,
    gate_reason,
    published,
    live_version,
    ndcg_10,
    popularity_ndcg_10,
    live_ndcg_10,
    CAST(n_users AS DOUBLE) AS n_users,
    CAST(n_items AS DOUBLE) AS n_items,
    CAST(n_train_interactions AS DOUBLE) AS n_train_interactions
  FROM model_runs
  WHERE version = $version
)

SELECT * FROM final
LIMIT 1
