-- User ids of the run in index order. Output: user_index, user_id.
SELECT user_index, user_id FROM run_users ORDER BY user_index;
