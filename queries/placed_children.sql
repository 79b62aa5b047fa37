-- id: placed_children
-- title.fi: Kodin ulkopuolelle sijoitetut 0–17-vuotiaat kotikunnan mukaan
-- title.sv: Barn i åldern 0–17 år placerade utom hemmet, efter hemkommun
-- title.en: Children aged 0–17 placed outside the home, by home municipality
-- description: Distinct children aged 0–17 on 31.12. with at least one placement day during the year on any legal basis (placement as open-care support, urgent placement, care order, after-care), by home municipality (kotikunta) on 31.12., age on 31.12. and sex, and as a percentage of the same-age population by home municipality on 31.12. (Statistics Finland, 11re). Reproduces THL's indicator "Kodin ulkopuolelle sijoitetut 0–17-vuotiaat, % vastaavanikäisestä väestöstä" (findikaattori.fi/fi/68), which counts placements on every basis, ages at the end of the year and divides by the population on the last day of the year.
-- source: THL, Lastensuojelu (SVT), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu; indicator definition https://findikaattori.fi/fi/68
-- choices: area = the child's home municipality on 31.12. from the residence periods (the population's reference date), not the placing municipality or county (since 2023 the wellbeing county places); a child with no residence period in the store is counted under the placing municipality of the latest placement; age = age on 31.12., so those who turned 18 during the year are not in this 0–17 indicator.
-- unit: persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country); age (0–17 > total); sex (1, 2 > total)
-- measures: children = distinct person_key; population = 11re persons; percent = 100 × children / population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH
-- The placing municipality of each child's latest placement in the year,
-- only as the fallback area (one per child, so no child counts twice).
placed AS (
    SELECT
        pl.person_key,
        split_part(MAX(CAST(pl.start AS VARCHAR) || chr(1) || COALESCE(pl.municipality_code, '')), chr(1), 2) AS placing_code
    FROM cw_placement pl
    WHERE care_days(
        pl.start, pl."end",
        make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1),
        'STATISTICAL') > 0
    GROUP BY pl.person_key
),
-- Home municipality on 31.12.: the latest residence period starting on or
-- before it (periods do not overlap, so it is the one covering 31.12. when
-- there is one).
home AS (
    SELECT
        person_key,
        split_part(MAX(CAST(valid_from AS VARCHAR) || chr(1) || municipality_code), chr(1), 2) AS home_code
    FROM person_residence
    WHERE valid_from <= make_date(CAST($year AS INT), 12, 31)
    GROUP BY person_key
),
children AS (
    SELECT
        pl.person_key,
        COALESCE(h.home_code, NULLIF(pl.placing_code, '')) AS municipality_code,
        age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age,
        p.sex
    FROM placed pl
    JOIN person p ON p.person_key = pl.person_key
    LEFT JOIN home h ON h.person_key = pl.person_key
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
    FROM children
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
