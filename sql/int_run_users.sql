-- Dense user indices of one run: users with any non-impression event up to $as_of, ordered by
-- hash(user_id) so that a contiguous index range is a hash range (a scoring shard), numbered from 0.
-- Params: $as_of TIMESTAMP. Output: run_users(user_index, user_id). Grain: one row per user.
-- table: run_users
-- grain: user_index
-- not_null: user_index, user_id
CREATE OR REPLACE TEMP TABLE run_users AS
WITH users AS (
  SELECT DISTINCT user_id FROM events WHERE ts <= $as_of::TIMESTAMP AND event_type <> 'impression'
),
final AS (
  SELECT (row_number() OVER (ORDER BY hash(user_id), user_id) - 1)::INTEGER AS user_index, user_id FROM users
)
SELECT * FROM final;
