-- Landing tables for a synthetic world (data/world/write.ts appends its typed arrays here through
-- DuckDB data chunks; exp_world_gen_*.sql turn them into the world files).
-- Output: gen_titles (one row per title index), gen_events (one row per event; seq = its position
-- in simulation order, 0-based: users in id order, each user's events as drawn). Indices are 0-based; watch_seconds −1 and rating2 0 mean absent.
-- grain: none (landing tables, filled from TypeScript)
CREATE OR REPLACE TABLE gen_titles (
  idx INTEGER, title VARCHAR, year INTEGER, genres VARCHAR, tags VARCHAR, duration_seconds INTEGER, added_unix DOUBLE
);
CREATE OR REPLACE TABLE gen_events (
  seq INTEGER, ts_offset INTEGER, user_idx INTEGER, movie_idx INTEGER, type_idx UTINYINT, watch_seconds INTEGER,
  rating2 UTINYINT, source_idx UTINYINT
);
