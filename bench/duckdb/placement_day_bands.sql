-- DuckDB equivalent of queries/placement_day_bands.sql (benchmark only).
-- peitto's placement_episode table (each child's overlapping or adjacent
-- placements merged, a same-day stay occupying its day) is built here with
-- window functions, and care_days(…, 'STATISTICAL') written out. Parameter: $year.
WITH p AS (
    SELECT person_key, start,
        CASE WHEN "end" IS NULL THEN NULL WHEN "end" <= start THEN start + 1 ELSE "end" END AS stop
    FROM cw_placement
),
ordered AS (
    SELECT *,
        MAX(COALESCE(stop, DATE '9999-12-31')) OVER (
            PARTITION BY person_key ORDER BY start, stop
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM p
),
islands AS (
    SELECT *,
        SUM(CASE WHEN reach IS NULL OR start > reach THEN 1 ELSE 0 END) OVER (
            PARTITION BY person_key ORDER BY start, stop ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
),
placement_episode AS (
    SELECT person_key, MIN(start) AS start,
        NULLIF(MAX(COALESCE(stop, DATE '9999-12-31')), DATE '9999-12-31') AS "end"
    FROM islands
    GROUP BY person_key, island
),
days AS (
    SELECT person_key,
        SUM(GREATEST(0, date_diff('day',
            GREATEST(start, make_date($year, 1, 1)),
            LEAST(CASE WHEN "end" IS NULL THEN make_date($year + 1, 1, 1)
                       WHEN "end" <= start THEN start + 1
                       ELSE "end" END,
                  make_date($year + 1, 1, 1))))) AS days
    FROM placement_episode
    GROUP BY person_key
),
banded AS (
    SELECT person_key, days,
        CASE
            WHEN days * 12.0 / 365.25 < 1 THEN 1
            WHEN days * 12.0 / 365.25 < 6 THEN 2
            WHEN days * 12.0 / 365.25 < 11 THEN 3
            ELSE 4
        END AS band_order
    FROM days
    WHERE days > 0
)
SELECT
    CASE band_order WHEN 1 THEN 'under_1' WHEN 2 THEN '1_to_5' WHEN 3 THEN '6_to_10' ELSE '11_or_more' END AS band,
    COUNT(*) AS children,
    SUM(days) AS days
FROM banded
GROUP BY band_order
ORDER BY band_order
