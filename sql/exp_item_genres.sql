-- Title × genre weights for a CSR by title. Output: item_index, genre_index, weight sorted.
-- Grain: (item_index, genre_index).
-- grain: item_index, genre_index
-- not_null: item_index, genre_index, weight
-- range: weight 0..1
SELECT item_index, genre_index, weight FROM item_genres ORDER BY item_index, genre_index;
