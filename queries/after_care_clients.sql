-- id: after_care_clients
-- title.fi: Jälkihuollon asiakkaat ikäryhmittäin
-- title.sv: Klienter inom eftervården efter åldersgrupp
-- title.en: After-care clients by age group
-- description: Distinct children and young adults who were entitled to and received after-care (jälkihuolto, LsL 75–76 §) on at least one day of the year, by age on 31.12., and of them those placed outside the home on an after-care basis during the year. After-care lasts until the age of 23 from 2024 (25 before).
-- source: THL, Lastensuojelu (SVT), summary collection (jälkihuollon asiakkaat), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu; Lastensuojelulaki 417/2007 75 § as amended from 1.1.2024 (HE 56/2023, StVM 12/2023: upper age 23, transition to 30.6.2024)
-- choices: an after-care client = a person with an after-care legal basis period (JALKIHUOLTO) touching the year; placed = a placement under that basis with a day in the year; age groups 0-17, 18-20, 21-22 and 23-24 (the last only before 2024) by age on 31.12.
-- unit: persons
-- dimensions: age_group (0-17, 18-20, 21-22, 23-24 > total)
-- measures: clients = distinct person_key in after-care; placed = of them placed on an after-care basis
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
aged AS (
    SELECT a.person_key, a.placed, age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age
    FROM after_care a
    JOIN person p ON p.person_key = a.person_key
)
SELECT
    CASE WHEN age < 18 THEN '0-17' WHEN age < 21 THEN '18-20' WHEN age < 23 THEN '21-22' ELSE '23-24' END AS age_group,
    COUNT(*) AS clients,
    SUM(placed) AS placed
FROM aged
GROUP BY 1
ORDER BY 1
