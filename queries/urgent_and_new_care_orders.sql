-- id: urgent_and_new_care_orders
-- title.fi: Kiireellisesti sijoitetut ja uudet huostaanotot ikäryhmittäin
-- title.sv: Brådskande placerade barn och nya omhändertaganden efter åldersgrupp
-- title.en: Urgently placed children and new care orders by age group
-- description: Distinct children who were urgently placed (kiireellinen sijoitus, LsL 38 §) at any time during the year, whether the placement began in the year or continued from the year before, and distinct children with a new care order (huostaanotto, LsL 40 §) that began in the year, by age on 31.12. in the groups 0–2, 3–6, 7–12, 13–15 and 16–17, plus 18 for those who turned 18 during the year (THL's counts include them), with the same-age population on 31.12. of the municipalities in the population table for the 0–17 groups. A child can be counted both as urgently placed and with a new care order. THL, Lastensuojelu (SVT).
-- source: THL, Lastensuojelu (SVT) statistical report ("Vuoden aikana kiireellisesti sijoitetut"; "Uudet huostaanotot ikäryhmittäin", Sotkanet 5491–5494), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu
-- choices: urgent = at least one day of an urgent placement in the year; a care order is not new when it continues an earlier care order of the same child that was still running, or ended at most 1 day before it began (a record re-opened when the registers moved to the wellbeing counties on 1.1.2023 or in a new extract, recorded with an exclusive or an inclusive end); the age group 18 has no population (the rates are per 0–17-year-olds).
-- unit: persons
-- dimensions: age_group (0-2, 3-6, 7-12, 13-15, 16-17, 18 > total)
-- measures: urgent = distinct person_key urgently placed during the year; new_care_orders = distinct person_key with a new care order beginning in the year; population = 0–17 population on 31.12.
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH urgent AS (
    SELECT DISTINCT b.person_key
    FROM cw_legal_basis b
    WHERE b.basis = 'KIIREELLINEN'
      AND care_days(b.start, b."end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
),
-- Care orders beginning in the year, each with whether an earlier care
-- order of the same child runs into it (the continuity check).
started AS (
    SELECT
        b.person_key,
        b.start,
        MAX(CASE WHEN e.person_key IS NULL THEN 0 ELSE 1 END) AS continued
    FROM cw_legal_basis b
    LEFT JOIN cw_legal_basis e
        ON e.person_key = b.person_key
        AND e.basis = 'HUOSTAANOTTO'
        AND e.start < b.start
        AND (e."end" IS NULL OR e."end" >= b.start - INTERVAL '1 day')
    WHERE b.basis = 'HUOSTAANOTTO'
      AND b.start >= make_date(CAST($year AS INT), 1, 1)
      AND b.start < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY b.person_key, b.start
),
new_orders AS (
    SELECT DISTINCT person_key FROM started WHERE continued = 0
),
children AS (
    SELECT p.person_key, age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age,
           CASE WHEN u.person_key IS NULL THEN 0 ELSE 1 END AS urgent,
           CASE WHEN n.person_key IS NULL THEN 0 ELSE 1 END AS new_order
    FROM person p
    LEFT JOIN urgent u ON u.person_key = p.person_key
    LEFT JOIN new_orders n ON n.person_key = p.person_key
    WHERE u.person_key IS NOT NULL OR n.person_key IS NOT NULL
),
groups AS (
    SELECT 1 AS g, '0-2' AS age_group, 0 AS lo, 2 AS hi
    UNION ALL SELECT 2, '3-6', 3, 6
    UNION ALL SELECT 3, '7-12', 7, 12
    UNION ALL SELECT 4, '13-15', 13, 15
    UNION ALL SELECT 5, '16-17', 16, 17
    UNION ALL SELECT 6, '18', 18, 18
),
counted AS (
    SELECT
        g.age_group,
        COUNT(DISTINCT CASE WHEN c.urgent = 1 THEN c.person_key END) AS urgent,
        COUNT(DISTINCT CASE WHEN c.new_order = 1 THEN c.person_key END) AS new_care_orders
    FROM groups g
    LEFT JOIN children c ON c.age BETWEEN g.lo AND g.hi
    GROUP BY g.age_group
),
-- Population of each 0–17 group and of all of them (the total row).
pop AS (
    SELECT g.age_group, SUM(p.persons) AS population
    FROM groups g
    JOIN population p ON p.age BETWEEN g.lo AND g.hi AND p.year = CAST($year AS BIGINT) AND p.area_code LIKE 'KU%'
    WHERE g.hi <= 17
    GROUP BY GROUPING SETS ((g.age_group), ())
)
-- The age group is the only dimension (its order comes from groups).
SELECT c.age_group, c.urgent, c.new_care_orders, pop.population
FROM counted c
LEFT JOIN pop ON pop.age_group IS NOT DISTINCT FROM c.age_group
LEFT JOIN groups o ON o.age_group = c.age_group
ORDER BY o.g NULLS LAST
