-- Titles each user has already watched or rated (positives and weak negatives): never recommended
-- back. Output: user_index, item_index, 1.0 — sorted. Grain: (user_index, item_index).
-- grain: user_index, item_index
-- not_null: user_index, item_index
SELECT user_index, item_index, 1.0::FLOAT AS one
FROM int_user_item_confidence
WHERE is_seen OR is_positive
ORDER BY user_index, item_index;
