-- id: sotkanet_social_assistance_25_64
-- title.fi: Toimeentulotukea saaneet 25–64-vuotiaat, % vastaavanikäisestä väestöstä
-- title.sv: Personer i åldern 25–64 år som fått utkomststöd, % av befolkningen i samma ålder
-- title.en: Social assistance recipients aged 25–64, % of the same-age population
-- description: Distinct persons aged 25–64 on 31.12. who received social assistance of any kind during the year: Kela's basic social assistance (perustoimeentulotuki, from a Kela extract) and the wellbeing county's supplementary or preventive assistance, counting the recipients of the household (reference person and spouse) as THL's social-assistance register does, by home municipality on 31.12., as a percentage of the population aged 25–64 on 31.12. (Statistics Finland, 11re). Reproduces Sotkanet's indicator "Toimeentulotukea saaneet 25–64-vuotiaat, % vastaavanikäisestä väestöstä", which is built on THL's social-assistance statistics (data from Kela and the counties). Without a Kela extract in the store it covers the county's assistance only and does not reproduce the indicator.
-- source: THL, Toimeentulotuki (SVT), quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/toimeentulotuki ("tuensaajien (viitehenkilö, puoliso)"); Sotkanet, https://sotkanet.fi
-- choices: every person on a granted decision counts (the Kela extract is expected to list the reference person and spouse of each household, as THL's register does, not its children); area = home municipality on 31.12. from the residence periods, else the municipality of the person's latest decision in the year; age on 31.12.
-- unit: persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: recipients = distinct person_key; population; percent = 100 × recipients / population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH received AS (
    SELECT
        d.person_key,
        split_part(MAX(CAST(d.start AS VARCHAR) || chr(1) || d.municipality_code), chr(1), 2) AS decision_code
    FROM service_decision d
    JOIN person p ON p.person_key = d.person_key
    WHERE d.domain IN ('TOIMEENTULOTUKI_PERUS', 'TOIMEENTULOTUKI_TAYDENTAVA', 'TOIMEENTULOTUKI_EHKAISEVA')
      AND d.result = 'MYONTEINEN'
      AND care_days(d.start, d."end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
      AND age_at_year_end(p.birth_date, CAST($year AS BIGINT)) BETWEEN 25 AND 64
    GROUP BY d.person_key
),
-- Home municipality on 31.12.: the latest residence period starting on or before it.
home AS (
    SELECT
        person_key,
        split_part(MAX(CAST(valid_from AS VARCHAR) || chr(1) || municipality_code), chr(1), 2) AS home_code
    FROM person_residence
    WHERE valid_from <= make_date(CAST($year AS INT), 12, 31)
    GROUP BY person_key
),
counted AS (
    SELECT COALESCE(h.home_code, r.decision_code) AS municipality_code, COUNT(*) AS recipients
    FROM received r
    LEFT JOIN home h ON h.person_key = r.person_key
    GROUP BY COALESCE(h.home_code, r.decision_code)
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
