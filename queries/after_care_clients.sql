-- id: after_care_clients
-- title.fi: Jälkihuollon asiakkaat ikäryhmittäin
-- title.sv: Klienter inom eftervården efter åldersgrupp
-- title.en: After-care clients by age group
-- description: Distinct children and young adults who were entitled to and received after-care (jälkihuolto, LsL 75–76 §) on at least one day of the year, by age on 31.12., and of them those placed outside the home on an after-care basis during the year. The age groups follow the upper age of after-care in the year: 21 before 2020, 25 from 1.1.2020 (542/2019), 23 from 1.1.2024 (HE 56/2023), with a transition to 30.6.2024 for those who turned 23 or 24; those who reached the upper age during the year (after-care ended at the birthday) are their own row, never in an age group.
-- source: THL, Lastensuojelu (SVT), summary collection (jälkihuollon asiakkaat), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu/lastensuojelu; quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/lastensuojelu; Lastensuojelulaki 417/2007 75 § as amended by 542/2019 (upper age 25 from 1.1.2020, before 21) and from 1.1.2024 (HE 56/2023, StVM 12/2023: upper age 23, the right of those who turn 23 or 24 continuing to 30.6.2024)
-- choices: an after-care client = a person with an after-care legal basis period (JALKIHUOLTO) touching the year; placed = a placement under that basis with a day in the year; age on 31.12. (age_at_year_end); a client with no birth date in the person register is left out; upper age of the year = 21 before 2020, 25 in 2020–2024 (2024 by the transition: those aged 23–24 kept after-care to 30.6.2024), 23 from 2025; age groups 0-17, 18-20, 21-22 (from 2020) and 23-24 (2020–2024 only), each only below the year's upper age; a client aged the upper age or more on 31.12. (after-care ended at that birthday, or a record past the limit) is counted in the row limit_reached.
-- unit: persons
-- dimensions: age_group (0-17, 18-20, 21-22, 23-24, limit_reached > total)
-- measures: clients = distinct person_key in after-care; placed = of them placed on an after-care basis
-- of_which: placed < clients
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH after_care AS (
    SELECT
        b.person_key,
        MAX(CASE WHEN pl.person_key IS NULL THEN 0 ELSE 1 END) AS placed
    FROM cw_legal_basis b
    LEFT JOIN cw_placement pl
        ON pl.basis_id = b.basis_id
        AND pl.person_key = b.person_key
        AND care_days(pl.start, pl."end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
    WHERE b.basis = 'JALKIHUOLTO'
      AND care_days(b.start, b."end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
    GROUP BY b.person_key
),
-- The upper age of after-care in the year (LsL 75 §): 21 before 2020, 25
-- from 2020 (542/2019), 23 from 2024; in 2024 those aged 23 or 24 kept it
-- to 30.6.2024, so 25 still bounds the ages on 31.12.2024.
aged AS (
    SELECT
        a.person_key,
        a.placed,
        age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age,
        CASE WHEN CAST($year AS BIGINT) < 2020 THEN 21
             WHEN CAST($year AS BIGINT) <= 2024 THEN 25
             ELSE 23 END AS upper_age
    FROM after_care a
    JOIN person p ON p.person_key = a.person_key
)
SELECT
    CASE WHEN age >= upper_age THEN 'limit_reached'
         WHEN age < 18 THEN '0-17'
         WHEN age < 21 THEN '18-20'
         WHEN age < 23 THEN '21-22'
         ELSE '23-24' END AS age_group,
    COUNT(*) AS clients,
    SUM(placed) AS placed
FROM aged
GROUP BY 1
ORDER BY 1
