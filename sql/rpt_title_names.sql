-- Titles of the given movie ids from the analysts' catalog view (for ids the API's in-memory
-- catalog does not know).
-- Params: $ids VARCHAR (movie ids joined by chr(31), the ASCII unit separator).
-- Output: movie_id, title. Grain: movie_id.
-- grain: movie_id
-- not_null: movie_id, title
WITH final AS (
  SELECT movie_id, title
  FROM catalog
  WHERE list_contains(string_split($ids, chr(31)), movie_id)
)

SELECT * FROM final
