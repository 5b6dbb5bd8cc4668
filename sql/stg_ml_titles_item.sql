-- Stage u.item of ml-100k: id|title|release date|video release date|IMDb URL|19 genre flags,
-- Latin-1, no header, no quoting. The flags become genre names in u.item's order ("unknown",
-- the first flag, means no genre and is left out). Unreadable rows go to reject_errors.
-- Params: $path VARCHAR.
-- Output: stg_ml_titles(row_no BIGINT, movie_id VARCHAR, raw_title VARCHAR, genres VARCHAR pipe-separated).
-- Grain: one row per file row, row_no in file order.
-- table: stg_ml_titles
-- grain: row_no
-- not_null: row_no, movie_id
CREATE OR REPLACE TEMP TABLE stg_ml_titles AS
WITH src AS (
  SELECT * FROM read_csv($path, delim = '|', header = false, quote = '', escape = '', encoding = 'latin-1',
    auto_detect = false, store_rejects = true,
    columns = {'movie_id': 'VARCHAR', 'raw_title': 'VARCHAR', 'release_date': 'VARCHAR', 'video_release_date': 'VARCHAR',
               'url': 'VARCHAR', 'g_unknown': 'VARCHAR', 'g_action': 'VARCHAR', 'g_adventure': 'VARCHAR',
               'g_animation': 'VARCHAR', 'g_children': 'VARCHAR', 'g_comedy': 'VARCHAR', 'g_crime': 'VARCHAR',
               'g_documentary': 'VARCHAR', 'g_drama': 'VARCHAR', 'g_fantasy': 'VARCHAR', 'g_film_noir': 'VARCHAR',
               'g_horror': 'VARCHAR', 'g_musical': 'VARCHAR', 'g_mystery': 'VARCHAR', 'g_romance': 'VARCHAR',
               'g_sci_fi': 'VARCHAR', 'g_thriller': 'VARCHAR', 'g_war': 'VARCHAR', 'g_western': 'VARCHAR'})
),
final AS (
  SELECT
    row_number() OVER () AS row_no,
    trim(movie_id) AS movie_id,
    raw_title,
    concat_ws('|',
      CASE WHEN trim(g_action) = '1' THEN 'Action' END, CASE WHEN trim(g_adventure) = '1' THEN 'Adventure' END,
      CASE WHEN trim(g_animation) = '1' THEN 'Animation' END, CASE WHEN trim(g_children) = '1' THEN 'Children''s' END,
      CASE WHEN trim(g_comedy) = '1' THEN 'Comedy' END, CASE WHEN trim(g_crime) = '1' THEN 'Crime' END,
      CASE WHEN trim(g_documentary) = '1' THEN 'Documentary' END, CASE WHEN trim(g_drama) = '1' THEN 'Drama' END,
      CASE WHEN trim(g_fantasy) = '1' THEN 'Fantasy' END, CASE WHEN trim(g_film_noir) = '1' THEN 'Film-Noir' END,
      CASE WHEN trim(g_horror) = '1' THEN 'Horror' END, CASE WHEN trim(g_musical) = '1' THEN 'Musical' END,
      CASE WHEN trim(g_mystery) = '1' THEN 'Mystery' END, CASE WHEN trim(g_romance) = '1' THEN 'Romance' END,
      CASE WHEN trim(g_sci_fi) = '1' THEN 'Sci-Fi' END, CASE WHEN trim(g_thriller) = '1' THEN 'Thriller' END,
      CASE WHEN trim(g_war) = '1' THEN 'War' END, CASE WHEN trim(g_western) = '1' THEN 'Western' END
    ) AS genres
  FROM src
)
SELECT * FROM final;
