-- The newest published run in the analysts' model_runs view (the report's default version when
-- Redis cannot say which version is live), else the newest run.
-- Params: none. Output: version. Grain: one row at most.
-- grain: one row
-- not_null: version
WITH final AS (
  SELECT version
  FROM model_runs
  ORDER BY published DESC, created_at DESC, version DESC
  LIMIT 1
)

SELECT * FROM final
