-- Inputs of fct_ranker_examples.sql, filled from TypeScript (appenders) in a scratch in-memory DuckDB:
--   ranker_candidates  the sampled users' retrieval candidates (top-N of the retrieval model that was
--                      trained before the examples' clock), rank 0 = best.  Grain: (user_index, item_index).
--   ranker_labels      the period's labels (sql/exp_period_labels.sql) of those users.  Grain: (user_index, item_index).
--   ranker_seen        titles those users had seen before the clock (never examples).  Grain: (user_index, item_index).
--   ranker_item_pop    distinct positive users per title before the clock.  Grain: item_index.
CREATE TABLE ranker_candidates (user_index INTEGER NOT NULL, item_index INTEGER NOT NULL, score FLOAT NOT NULL, rank INTEGER NOT NULL);
CREATE TABLE ranker_labels (user_index INTEGER NOT NULL, item_index INTEGER NOT NULL);
CREATE TABLE ranker_seen (user_index INTEGER NOT NULL, item_index INTEGER NOT NULL);
CREATE TABLE ranker_item_pop (item_index INTEGER NOT NULL, popularity DOUBLE NOT NULL);
