-- No tags file in this MovieLens release: an empty stg_ml_tags, so later steps need no branch.
-- Output: stg_ml_tags(movie_id VARCHAR, tag VARCHAR), no rows.
-- table: stg_ml_tags
-- grain: none (no rows)
CREATE OR REPLACE TEMP TABLE stg_ml_tags (movie_id VARCHAR, tag VARCHAR);
