-- Popularity of every title against how often a version recommends it: watches in the analysts'
-- events view up to the run's data clock, and slots in the version's published top-20 snapshot
-- (recommendations view). Titles: the catalog as of the data clock plus any title recommended.
-- Params: $version VARCHAR, $as_of VARCHAR (ISO timestamp, the run's data_as_of),
--   $cutoff VARCHAR (ISO timestamp, the run's training cutoff).
-- Output: movie_id, watches, slots, added_after_cutoff (the title joined the catalog inside the
--   evaluation window: cold for the model that was evaluated).
-- Grain: movie_id.
-- grain: movie_id
-- not_null: movie_id, watches, slots
-- range: watches 0.., slots 0..
WITH catalog_titles AS (
  SELECT movie_id, added_at
  FROM catalog
  WHERE added_at <= CAST($as_of AS TIMESTAMP)
),

watches AS (
  SELECT movie_id, count(*) AS watches
  FROM events
  WHERE event_type = 'watch' AND ts <= CAST($as_of AS TIMESTAMP)
  GROUP BY movie_id
),

slots AS (
  SELECT movie_id, count(*) AS slots
  FROM recommendations
  WHERE version = $version
  GROUP BY movie_id
),

titles AS (
  SELECT movie_id FROM catalog_titles
  UNION
  SELECT movie_id FROM slots
),

final AS (
  SELECT
    t.movie_id,
    CAST(coalesce(w.watches, 0) AS DOUBLE) AS watches,
    CAST(coalesce(s.slots, 0) AS DOUBLE) AS slots,
    coalesce(c.added_at > CAST($cutoff AS TIMESTAMP), false) AS added_after_cutoff
  FROM titles AS t
  LEFT JOIN watches AS w USING (movie_id)
  LEFT JOIN slots AS s USING (movie_id)
  LEFT JOIN catalog AS c USING (movie_id)
)

SELECT * FROM final
ORDER BY watches DESC, movie_id
