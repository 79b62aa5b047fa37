-- id: county_social_assistance_25_64
-- title.fi: Hyvinvointialueen täydentävää tai ehkäisevää toimeentulotukea saaneet 25–64-vuotiaat, % vastaavanikäisestä väestöstä
-- title.sv: Personer i åldern 25–64 år som fått kompletterande eller förebyggande utkomststöd av välfärdsområdet, % av befolkningen i samma ålder
-- title.en: Recipients of the county's supplementary or preventive social assistance aged 25–64, % of the same-age population
-- description: Distinct persons aged 25–64 on 31.12. with a granted decision on supplementary or preventive social assistance (täydentävä tai ehkäisevä toimeentulotuki, granted by the wellbeing county since 2023) for at least one day of the year, by municipality, as a percentage of the population aged 25–64 on 31.12. (Statistics Finland, 11re). This is the county's own assistance only: it leaves out Kela's basic social assistance and is not THL's or Sotkanet's social-assistance indicator (see sotkanet_social_assistance_25_64).
-- source: Laki toimeentulotuesta 1412/1997; THL, Toimeentulotuki (SVT), quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/toimeentulotuki
-- choices: area = the municipality of the decision; a person counts once per municipality; age on 31.12.
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
