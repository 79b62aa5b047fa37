-- id: social_assistance_25_64
-- title.fi: Toimeentulotukea saaneet 25–64-vuotiaat, % vastaavanikäisestä väestöstä
-- title.sv: Personer i åldern 25–64 år som fått utkomststöd, % av befolkningen i samma ålder
-- title.en: Social assistance recipients aged 25–64, % of the same-age population
-- description: Distinct persons aged 25–64 on 31.12. with granted supplementary or preventive social assistance for at least one day of the year, by municipality, as a percentage of the population aged 25–64 on 31.12. (Statistics Finland 11re). Sotkanet indicator 5: domain.md, report 10.
-- unit: persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: recipients = distinct person_key; population; percent = 100 × recipients / population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH recipients AS (
    SELECT DISTINCT d.person_key, d.municipality_code
    FROM service_decision d
    JOIN person p ON p.person_key = d.person_key
    WHERE d.domain IN ('TOIMEENTULOTUKI_TAYDENTAVA', 'TOIMEENTULOTUKI_EHKAISEVA')
      AND d.result = 'MYONTEINEN'
      AND care_days(d.start, d."end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
      AND age_at_year_end(p.birth_date, CAST($year AS BIGINT)) BETWEEN 25 AND 64
),
counted AS (
    SELECT municipality_code, COUNT(*) AS recipients
    FROM recipients
    GROUP BY municipality_code
),
pop AS (
    SELECT area_code, SUM(persons) AS population
    FROM area_population
    WHERE year = CAST($year AS BIGINT) AND age BETWEEN 25 AND 64
    GROUP BY area_code
)
SELECT
    c.municipality_code,
    c.recipients,
    pop.population,
    ROUND(100.0 * c.recipients / pop.population, 2) AS percent
FROM counted c
LEFT JOIN pop ON pop.area_code = c.municipality_code
ORDER BY c.municipality_code
