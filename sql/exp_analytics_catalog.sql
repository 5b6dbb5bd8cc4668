-- Analysts' snapshot of the catalog. Params: $path. Grain: movie_id.
COPY (SELECT * FROM catalog ORDER BY movie_id) TO $path (FORMAT parquet);
