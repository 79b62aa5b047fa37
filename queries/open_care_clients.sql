-- id: open_care_clients
-- title.fi: Lastensuojelun avohuollon asiakkaat
-- title.sv: Klienter inom barnskyddets öppenvård
-- title.en: Clients of child-welfare open care
-- description: Distinct children and young people who were clients of child-welfare open-care support measures (avohuollon tukitoimet, LsL 36 §) on at least one day of the year, by home municipality on 31.12., of them new clients (no open-care support measure in the previous year), and as a percentage of the population aged 0–20 on 31.12., as in THL's summary collection.
-- source: THL, Lastensuojelu (SVT), summary collection (lastensuojelun avohuollon asiakkaat; "X lasta ja nuorta, Y prosenttia 0–20-vuotiaista"), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu; Lastensuojelulaki 417/2007 36 §
-- choices: a client = a person with a granted open-care support decision (service_decision, domain LASTENSUOJELU_AVOHUOLTO) with a day in the year; new = no such decision with a day in the previous year; area = home municipality on 31.12. from the residence periods, else the municipality of the latest decision; no age limit on the clients counted; population aged 0–20.
-- unit: persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: clients = distinct person_key; new_clients = of them without open care the year before; population = 0–20 on 31.12.; percent = 100 × clients / population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH clients AS (
    SELECT
        d.person_key,
        split_part(MAX(CAST(d.start AS VARCHAR) || chr(1) || d.municipality_code), chr(1), 2) AS decision_code
    FROM service_decision d
    WHERE d.domain = 'LASTENSUOJELU_AVOHUOLTO'
      AND d.result = 'MYONTEINEN'
      AND care_days(d.start, d."end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
    GROUP BY d.person_key
),
earlier AS (
    SELECT DISTINCT d.person_key
    FROM service_decision d
    WHERE d.domain = 'LASTENSUOJELU_AVOHUOLTO'
      AND d.result = 'MYONTEINEN'
      AND care_days(d.start, d."end", make_date(CAST($year AS INT) - 1, 1, 1), make_date(CAST($year AS INT), 1, 1), 'STATISTICAL') > 0
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
    SELECT
        COALESCE(h.home_code, c.decision_code) AS municipality_code,
        COUNT(*) AS clients,
        SUM(CASE WHEN e.person_key IS NULL THEN 1 ELSE 0 END) AS new_clients
    FROM clients c
    LEFT JOIN home h ON h.person_key = c.person_key
    LEFT JOIN earlier e ON e.person_key = c.person_key
    GROUP BY COALESCE(h.home_code, c.decision_code)
),
pop AS (
    SELECT area_code, SUM(persons) AS population
    FROM area_population
    WHERE year = CAST($year AS BIGINT) AND age BETWEEN 0 AND 20
    GROUP BY area_code
)
SELECT
    c.municipality_code,
    c.clients,
    c.new_clients,
    pop.population,
    ROUND(100.0 * c.clients / pop.population, 2) AS percent
FROM counted c
LEFT JOIN pop ON pop.area_code = c.municipality_code
ORDER BY c.municipality_code
