-- Ranker training examples of the sampled users at one clock (inputs: sql/int_ranker_inputs.sql).
--   positives         every candidate the user watched in the label window (label = 1)
--   hard negatives    every other candidate, kept with probability q(rank) = min(1, $hard_negatives / (rank + 1))
--                     (seeded hash of user, title): all of the top $hard_negatives, then thinning as 1/rank,
--                     ≈ H·(1 + ln(N/H)) per user. Keeping depends on the rank alone, so the ranker's odds are
--                     the true odds / q(rank): scoring adds ln q(rank) to its logit (model/rerank.ts) — without
--                     that, thinned deep candidates would look many times likelier than they are.
--   popular samples   $pop_negatives draws per user from the catalog with probability ∝ popularity (inverse
--                     CDF by ASOF join) outside the candidate list (duplicates and seen titles dropped), labelled
--                     like any other title: popularity-proportional, never uniform over the catalog, so the
--                     ranker learns to tell apart titles a user might be shown, not hits from titles nobody
--                     watches. Kept off the candidate list so they do not bias it toward unpopular titles.
-- $negatives = 'uniform' (the benchmark's comparison, bench/quality.ts): no hard negatives and no popularity
--   weighting: $draws titles per user drawn uniformly over the catalog (seen titles dropped; a drawn title
--   that is a candidate keeps its score and rank), the caller passing the count the default mode keeps.
-- Candidates keep their retrieval score and rank; sampled titles outside the candidate list have no score
-- (in_candidates = 0: the caller computes x_u·y_i) and rank $n_candidates.
-- Params: $seed, $hard_negatives, $draws, $n_candidates INTEGER; $negatives VARCHAR ('hard_popularity' | 'uniform').
-- Output: user_index, item_index, label (0/1), in_candidates (0/1), score (0 when not a candidate), rank,
--   from_popularity (0/1), sorted by (user_index, item_index). Grain: (user_index, item_index).
-- grain: user_index, item_index
-- not_null: user_index, item_index, label, in_candidates, score, rank, from_popularity
-- range: label 0..1, in_candidates 0..1, from_popularity 0..1, rank 0..
WITH cand AS (
  SELECT c.user_index, c.item_index, c.score, c.rank, l.user_index IS NOT NULL AS label
  FROM ranker_candidates c
  LEFT JOIN ranker_labels l USING (user_index, item_index)
),
from_candidates AS (
  SELECT user_index, item_index, label, true AS in_candidates, score, rank, false AS from_popularity
  FROM cand
  WHERE label OR ($negatives::VARCHAR = 'hard_popularity' AND (hash(user_index, item_index, $seed) >> 11)::DOUBLE / 9007199254740992.0 < least(1.0, $hard_negatives / (rank + 1.0)))
),
pop AS (
  SELECT item_index, CASE WHEN $negatives::VARCHAR = 'uniform' THEN 1.0 ELSE popularity END AS popularity
  FROM ranker_item_pop
  WHERE popularity > 0 OR $negatives::VARCHAR = 'uniform'
),
item_cdf AS (
  -- [lo, lo + p_i) is title i's share of [0, 1)
  SELECT item_index, (sum(popularity) OVER (ORDER BY item_index) - popularity) / sum(popularity) OVER () AS lo
  FROM pop
),
draws AS (
  SELECT u.user_index, (hash(u.user_index, d.j, $seed + 1) >> 11)::DOUBLE / 9007199254740992.0 AS r
  FROM (SELECT DISTINCT user_index FROM ranker_candidates) u
  CROSS JOIN range(CAST($draws AS BIGINT)) d(j)
),
pop_drawn AS (
  SELECT DISTINCT d.user_index, c.item_index
  FROM draws d
  ASOF JOIN item_cdf c ON d.r >= c.lo
),
from_popularity AS (
  SELECT p.user_index, p.item_index,
    l.user_index IS NOT NULL AS label,
    c.user_index IS NOT NULL AS in_candidates,
    coalesce(c.score, 0.0)::FLOAT AS score,
    coalesce(c.rank, $n_candidates) AS rank,
    true AS from_popularity
  FROM pop_drawn p
  LEFT JOIN ranker_labels l USING (user_index, item_index)
  LEFT JOIN ranker_candidates c USING (user_index, item_index)
  WHERE NOT EXISTS (SELECT 1 FROM ranker_seen s WHERE s.user_index = p.user_index AND s.item_index = p.item_index)
    AND (c.user_index IS NULL OR $negatives::VARCHAR = 'uniform')
    AND NOT (l.user_index IS NOT NULL AND c.user_index IS NOT NULL)
),
final AS (
  SELECT user_index, item_index, label::INTEGER AS label, in_candidates::INTEGER AS in_candidates, score, rank, from_popularity::INTEGER AS from_popularity
  FROM from_candidates
  UNION ALL
  SELECT user_index, item_index, label::INTEGER, in_candidates::INTEGER, score, rank, from_popularity::INTEGER
  FROM from_popularity
)
SELECT * FROM final ORDER BY user_index, item_index;
