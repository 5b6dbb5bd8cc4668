-- User ids of the run in index order. Output: user_index, user_id.
-- grain: user_index
-- not_null: user_index, user_id
SELECT user_index, user_id FROM run_users ORDER BY user_index;
