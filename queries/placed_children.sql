-- id: placed_children
-- title.fi: Kodin ulkopuolelle sijoitetut 0–17-vuotiaat
-- title.sv: Barn i åldern 0–17 år placerade utom hemmet
-- title.en: Children aged 0–17 placed outside the home
-- description: Distinct children aged 0–17 on 31.12. with at least one placement day during the year on any legal basis, by placing municipality, age on 31.12. and sex, and as a percentage of the same-age population on 31.12. (Statistics Finland 11re). THL definition: domain.md, report 2.
-- unit: persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country); age (0–17 > total); sex (1, 2 > total)
-- measures: children = distinct person_key; population = 11re persons; percent = 100 × children / population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH placed AS (
    SELECT DISTINCT
        pl.person_key,
        pl.municipality_code,
        age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age,
        p.sex
    FROM cw_placement pl
    JOIN person p ON p.person_key = pl.person_key
    WHERE care_days(
        pl.start, pl."end",
        make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1),
        'STATISTICAL') > 0
),
-- Population at every level the release publishes: area (municipality,
-- county, all), and the age and sex totals (NULL) of 0–17-year-olds.
pop AS (
    SELECT area_code, age, sex, SUM(persons) AS persons
    FROM area_population
    WHERE year = CAST($year AS BIGINT) AND age BETWEEN 0 AND 17
    GROUP BY GROUPING SETS ((area_code, age, sex), (area_code, age), (area_code, sex), (area_code))
),
counted AS (
    SELECT municipality_code, age, sex, COUNT(*) AS children
    FROM placed
    WHERE age BETWEEN 0 AND 17
    GROUP BY municipality_code, age, sex
)
SELECT
    c.municipality_code,
    c.age,
    c.sex,
    c.children,
    pop.persons AS population,
    ROUND(100.0 * c.children / pop.persons, 2) AS percent
FROM counted c
LEFT JOIN pop
    ON pop.area_code = c.municipality_code
    AND (pop.age IS NOT DISTINCT FROM c.age)
    AND (pop.sex IS NOT DISTINCT FROM c.sex)
ORDER BY c.municipality_code, c.age, c.sex
