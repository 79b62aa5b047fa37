-- DuckDB equivalent of queries/county_social_assistance_25_64.sql (benchmark only),
-- with care_days(…, 'STATISTICAL') > 0 and age_at_year_end written out and
-- peitto's area_population view read straight from the 11re rows of
-- municipalities (KU###). Parameter: $year.
WITH recipients AS (
    SELECT DISTINCT d.person_key, d.municipality_code
    FROM service_decision d
    JOIN person p ON p.person_key = d.person_key
    WHERE d.domain IN ('TOIMEENTULOTUKI_TAYDENTAVA', 'TOIMEENTULOTUKI_EHKAISEVA')
      AND d.result = 'MYONTEINEN'
      AND GREATEST(0, date_diff('day',
            GREATEST(d.start, make_date($year, 1, 1)),
            LEAST(CASE WHEN d."end" IS NULL THEN make_date($year + 1, 1, 1)
                       WHEN d."end" <= d.start THEN d.start + 1
                       ELSE d."end" END,
                  make_date($year + 1, 1, 1)))) > 0
      -- Age on 31.12.: the year of birth subtracted (no birthday is after 31.12.).
      AND $year - year(p.birth_date) BETWEEN 25 AND 64
),
counted AS (
    SELECT municipality_code, COUNT(*) AS recipients
    FROM recipients
    GROUP BY municipality_code
),
pop AS (
    SELECT substr(area_code, 3) AS area_code, SUM(persons) AS population
    FROM population
    WHERE area_code LIKE 'KU%' AND year = $year AND age BETWEEN 25 AND 64
    GROUP BY 1
)
SELECT
    c.municipality_code,
    c.recipients,
    pop.population,
    ROUND(100.0 * c.recipients / pop.population, 2) AS percent
FROM counted c
LEFT JOIN pop ON pop.area_code = c.municipality_code
ORDER BY c.municipality_code
