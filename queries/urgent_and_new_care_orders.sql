-- id: urgent_and_new_care_orders
-- title.fi: Kiireellisesti sijoitetut ja uudet huostaanotot ikäryhmittäin
-- title.sv: Brådskande placeringar och nya omhändertaganden efter åldersgrupp
-- title.en: Urgent placements and new care orders by age group
-- description: Distinct children with an urgent placement (kiireellinen sijoitus) and distinct children with a new care order (huostaanotto) starting during the year, by age on 31.12. in the groups 0–2, 3–6, 7–12, 13–15 and 16–17, with the same-age population on 31.12. of the areas in the population table. domain.md, report 4.
-- unit: persons
-- dimensions: age_group (0-2, 3-6, 7-12, 13-15, 16-17 > total)
-- measures: urgent = distinct person_key with an urgent placement starting in the year; new_care_orders = distinct person_key with a care order starting in the year; population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH starts AS (
    SELECT DISTINCT b.person_key, b.basis, age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age
    FROM cw_legal_basis b
    JOIN person p ON p.person_key = b.person_key
    WHERE b.basis IN ('KIIREELLINEN', 'HUOSTAANOTTO')
      AND b.start >= make_date(CAST($year AS INT), 1, 1)
      AND b.start < make_date(CAST($year AS INT) + 1, 1, 1)
),
groups AS (
    SELECT 1 AS g, '0-2' AS age_group, 0 AS lo, 2 AS hi
    UNION ALL SELECT 2, '3-6', 3, 6
    UNION ALL SELECT 3, '7-12', 7, 12
    UNION ALL SELECT 4, '13-15', 13, 15
    UNION ALL SELECT 5, '16-17', 16, 17
),
counted AS (
    SELECT
        g.age_group,
        COUNT(DISTINCT CASE WHEN s.basis = 'KIIREELLINEN' THEN s.person_key END) AS urgent,
        COUNT(DISTINCT CASE WHEN s.basis = 'HUOSTAANOTTO' THEN s.person_key END) AS new_care_orders
    FROM groups g
    LEFT JOIN starts s ON s.age BETWEEN g.lo AND g.hi
    GROUP BY g.age_group
),
-- Population of each age group and of all of them (the total row).
pop AS (
    SELECT g.age_group, SUM(p.persons) AS population
    FROM groups g
    JOIN population p ON p.age BETWEEN g.lo AND g.hi AND p.year = CAST($year AS BIGINT) AND p.area_code LIKE 'KU%'
    GROUP BY GROUPING SETS ((g.age_group), ())
)
SELECT c.age_group, c.urgent, c.new_care_orders, pop.population
FROM counted c
LEFT JOIN pop ON pop.age_group IS NOT DISTINCT FROM c.age_group
ORDER BY CASE c.age_group WHEN '0-2' THEN 1 WHEN '3-6' THEN 2 WHEN '7-12' THEN 3 WHEN '13-15' THEN 4 WHEN '16-17' THEN 5 ELSE 6 END
