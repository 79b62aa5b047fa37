-- id: open_care_clients
-- title.fi: Lastensuojelun avohuollon asiakkaat
-- title.sv: Klienter inom barnskyddets öppenvård
-- title.en: Clients of child-welfare open care
-- description: Children aged 0–17 on 31.12. who were clients of child-welfare open-care support measures (avohuollon tukitoimet, LsL 36 §) on at least one day of the year, by home municipality on 31.12., of them new clients, and as a percentage of the population aged 0–17 on 31.12.; clients aged 18 or over on 31.12. are given separately, without a percentage, as in THL's report ("Lastensuojelun avohuollon asiakkaina oli 38 531 lasta vuonna 2023 … Avohuollon yli 18-vuotiaiden asiakkaiden määrä (15 002)").
-- source: THL, Lastensuojelu (SVT), summary collection (lastensuojelun avohuollon asiakkaat: children 0–17 and their share of the 0–17 population; clients aged 18 and over reported separately), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu/lastensuojelu; quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/lastensuojelu; Lastensuojelulaki 417/2007 36 §
-- choices: a client = a person with a granted open-care support decision (service_decision, domain LASTENSUOJELU_AVOHUOLTO) with a day in the year; age on 31.12. (age_at_year_end), so a young person who turned 18 during the year is in the 18+ columns; a client with no birth date in the person register is counted in neither age group; new = no such decision with a day in the previous year, an approximation of THL's "the client relationship began in the year" (the model has no client-relationship start: a client relationship that paused for a whole year counts as new, and one that began in the year with no decision until the next year is not counted); area = home municipality on 31.12. from the residence periods, else the municipality of the latest decision; population = aged 0–17 on 31.12.; percent only for the 0–17 clients.
-- unit: persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: children = distinct person_key aged 0–17 on 31.12.; new_children = of them without open care the year before; population = 0–17 on 31.12.; percent = 100 × children / population; clients_18_plus = distinct person_key aged 18 or over on 31.12.; new_clients_18_plus = of them without open care the year before
-- of_which: new_children < children; new_clients_18_plus < clients_18_plus
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
-- Age on 31.12.: 0 for a child aged 0–17, 1 for 18 or over, NULL when unknown.
aged AS (
    SELECT
        c.person_key,
        COALESCE(h.home_code, c.decision_code) AS municipality_code,
        CASE WHEN age_at_year_end(p.birth_date, CAST($year AS BIGINT)) < 18 THEN 0
             WHEN age_at_year_end(p.birth_date, CAST($year AS BIGINT)) >= 18 THEN 1 END AS adult,
        CASE WHEN e.person_key IS NULL THEN 1 ELSE 0 END AS new_client
    FROM clients c
    LEFT JOIN home h ON h.person_key = c.person_key
    LEFT JOIN earlier e ON e.person_key = c.person_key
    LEFT JOIN person p ON p.person_key = c.person_key
),
counted AS (
    SELECT
        municipality_code,
        SUM(CASE WHEN adult = 0 THEN 1 ELSE 0 END) AS children,
        SUM(CASE WHEN adult = 0 THEN new_client ELSE 0 END) AS new_children,
        SUM(CASE WHEN adult = 1 THEN 1 ELSE 0 END) AS clients_18_plus,
        SUM(CASE WHEN adult = 1 THEN new_client ELSE 0 END) AS new_clients_18_plus
    FROM aged
    GROUP BY municipality_code
),
pop AS (
    SELECT area_code, SUM(persons) AS population
    FROM area_population
    WHERE year = CAST($year AS BIGINT) AND age BETWEEN 0 AND 17
    GROUP BY area_code
)
SELECT
    c.municipality_code,
    c.children,
    c.new_children,
    pop.population,
    ROUND(100.0 * c.children / pop.population, 2) AS percent,
    c.clients_18_plus,
    c.new_clients_18_plus
FROM counted c
LEFT JOIN pop ON pop.area_code = c.municipality_code
ORDER BY c.municipality_code
