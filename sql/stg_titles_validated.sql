-- Validate staged titles; `reason` is the first failing rule (NULL = good).
-- Params: $now TIMESTAMP. Input: stg_titles_raw, catalog. Output: stg_titles_validated.
-- Grain: one row per file row. is_duplicate: the id is already in the catalog or earlier in the file.
-- table: stg_titles_validated
-- grain: row_no
-- not_null: row_no, is_duplicate
-- range: row_no 1..
CREATE OR REPLACE TEMP TABLE stg_titles_validated AS
WITH parsed AS (
  SELECT
    r.row_no,
    nullif(trim(r.movie_id), '') AS movie_id,
    nullif(trim(r.title), '') AS title,
    r.year AS year_raw, try_cast(r.year AS INTEGER) AS year,
    list_filter(string_split(coalesce(r.genres, ''), '|'), g -> g <> '') AS genres,
    list_filter(string_split(coalesce(r.tags, ''), '|'), t -> t <> '') AS tags,
    r.duration_seconds AS duration_raw, try_cast(r.duration_seconds AS DOUBLE) AS duration_seconds,
    try_cast(r.added_at AS TIMESTAMPTZ)::TIMESTAMP AS added_at,
    to_json(r) AS raw
  FROM stg_titles_raw r
),
checked AS (
  SELECT p.*,
    CASE
      WHEN p.movie_id IS NULL THEN 'missing_movie_id'
      WHEN p.title IS NULL THEN 'missing_title'
      WHEN nullif(trim(p.year_raw), '') IS NOT NULL AND (p.year IS NULL OR p.year < 1870 OR p.year > 2100) THEN 'bad_year'
      WHEN nullif(trim(p.duration_raw), '') IS NOT NULL AND p.duration_seconds IS NULL THEN 'unparseable_number'
      WHEN p.duration_seconds <= 0 OR p.duration_seconds > 86400 THEN 'impossible_duration'
      WHEN p.added_at IS NULL THEN 'unparseable_timestamp'
    END AS reason
  FROM parsed p
),
final AS (
  SELECT ch.*,
    ch.reason IS NULL AND (
      c.movie_id IS NOT NULL
      OR row_number() OVER (PARTITION BY ch.movie_id, ch.reason IS NULL ORDER BY ch.row_no) > 1
    ) AS is_duplicate
  FROM checked ch
  LEFT JOIN catalog c ON c.movie_id = ch.movie_id
)
SELECT * FROM final;
