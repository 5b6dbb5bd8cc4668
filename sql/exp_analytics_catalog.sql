-- Analysts' snapshot of the catalog. Params: $path. Grain: movie_id.
-- grain: movie_id
-- not_null: movie_id, title, added_at
COPY (SELECT * FROM catalog ORDER BY movie_id) TO $path (FORMAT parquet);
