-- Title × genre weights for a CSR by title. Output: item_index, genre_index, weight sorted.
-- Grain: (item_index, genre_index).
SELECT item_index, genre_index, weight FROM item_genres ORDER BY item_index, genre_index;
