-- One evaluated retrain with its gate decision and the numbers behind it.
-- Params: $version, $workflow_id, $model, $now, $as_of, $cutoff, $params (JSON text: the recipe), $gate_passed,
--   $gate_outcome, $gate_reason, $release, $live_version, $ndcg_10 (the shipped list's), $popularity_ndcg_10,
--   $live_ndcg_10, $n_users, $n_items, $n_train, $holdout_users, $holdout_days.
-- Output: model_runs (+1 row). Grain: version.
-- table: model_runs
-- grain: version
-- not_null: version, model, created_at, data_as_of, cutoff, params, gate_passed, gate_reason, published
INSERT OR REPLACE INTO model_runs (version, workflow_id, model, created_at, data_as_of, cutoff, params, gate_passed, gate_reason,
  live_version, ndcg_10, popularity_ndcg_10, live_ndcg_10, published, published_at, n_users, n_items, n_train_interactions,
  gate_outcome, release, holdout_users, holdout_days)
VALUES ($version, $workflow_id, $model, $now::TIMESTAMP, $as_of::TIMESTAMP, $cutoff::TIMESTAMP, $params::JSON, $gate_passed,
  $gate_reason, $live_version, $ndcg_10, $popularity_ndcg_10, $live_ndcg_10, false, NULL, $n_users, $n_items, $n_train,
  $gate_outcome, $release, $holdout_users, $holdout_days);
