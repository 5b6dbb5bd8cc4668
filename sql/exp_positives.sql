-- Positive cells of int_user_item_confidence, sorted for CSR-by-user construction.
-- Output: user_index INTEGER, item_index INTEGER, confidence FLOAT. Grain: (user_index, item_index).
-- grain: user_index, item_index
-- not_null: user_index, item_index, confidence
-- range: confidence 0..
SELECT user_index, item_index, confidence
FROM int_user_item_confidence
WHERE is_positive
ORDER BY user_index, item_index;
