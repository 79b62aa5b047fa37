-- id: integration_outcomes
-- title.fi: Kotoutumisasiakkaiden työmarkkina-asema 3 ja 6 kuukautta suunnitelman päättymisen jälkeen
-- title.sv: Integrationsklienters ställning på arbetsmarknaden 3 och 6 månader efter planens slut
-- title.en: Integration clients' labour-market status 3 and 6 months after their plan ended
-- description: Working-age persons (18–64 on 31.12.) whose integration plan ended during the year, by their labour-market status 3 and 6 months later, the group of their residence-permit basis and sex. The status total is the number of persons followed up at that point, so each status's share can be read from the table. Municipal follow-up data, not comparable with register-based figures: TEM follows labour-market status 3 and 6 months after integration training from its own registers.
-- source: TEM, follow-up of labour-market status 3 and 6 months after integration services (register-based; this report uses the municipality's own follow-up records instead); permit bases: ulkomaalaislaki 301/2004 and kotoutuminen.fi, Kenestä korvaus maksetaan, https://kotoutuminen.fi/kenesta-korvaus-maksetaan
-- choices: age 18–64 on 31.12. (labour-market status is followed for the working-age; a minor's plan is not counted); permit groups (after kotoutuminen.fi's list of the persons compensations are paid for): international protection = UlkL 87, 88, 90 and 93 § (asylum, subsidiary protection, quota refugees, persons admitted on special humanitarian grounds), temporary protection = 110 §, family ties = 114 and 115 §, other = 51, 52, 52 a, 54 and 89 § (removal barred, individual humane grounds, victims of trafficking, extended permits, permits when protection is excluded) and no recorded basis; an extended permit (54 §) is under other because the basis it extends is not recorded; the status as the municipality recorded it, a person whose plans ended twice in the year is followed up from the later plan (two ending on the same day: a person may then show two statuses, and counts once in the total); a follow-up point not yet recorded (for plans ended late in the year) is missing, not unknown; no age dimension (five age groups by five bases left every cell under the threshold in a municipality's data).
-- unit: persons
-- dimensions: permit_group (KANSAINVALINEN_SUOJELU, TILAPAINEN_SUOJELU, PERHESIDE, MUU > total); sex (1, 2 > total); offset_months (3, 6); status (TYOLLINEN, OPISKELIJA, TYOTON, TYOVOIMAN_ULKOPUOLELLA, TUNTEMATON > total)
-- measures: persons = distinct person_key
-- privacy_unit: person_key
-- policy: ely
-- params: year
WITH plans AS (
    SELECT service_id, person_key, "end"
    FROM integration_service
    WHERE kind IN ('KOTOUTUMISSUUNNITELMA', 'KOTOUTUMISSUUNNITELMA_MONIALAINEN')
      AND "end" >= make_date(CAST($year AS INT), 1, 1)
      AND "end" < make_date(CAST($year AS INT) + 1, 1, 1)
),
-- A person whose two plans ended in the year is followed up from the
-- later one, so each person has one status at each point.
latest AS (
    SELECT person_key, MAX("end") AS last_end FROM plans GROUP BY person_key
),
ended AS (
    SELECT o.person_key, o.offset_months, o.status, c.permit_basis, p.sex
    FROM plans s
    JOIN latest l ON l.person_key = s.person_key AND l.last_end = s."end"
    JOIN integration_outcome o ON o.anchor_service_id = s.service_id
    JOIN integration_client c ON c.person_key = s.person_key
    JOIN person p ON p.person_key = s.person_key
    WHERE o.offset_months IN (3, 6)
      AND age_at_year_end(p.birth_date, CAST($year AS BIGINT)) BETWEEN 18 AND 64
)
SELECT
    CASE
        WHEN permit_basis IN ('87', '88', '90', '93') THEN 'KANSAINVALINEN_SUOJELU'
        WHEN permit_basis = '110' THEN 'TILAPAINEN_SUOJELU'
        WHEN permit_basis IN ('114', '115') THEN 'PERHESIDE'
        ELSE 'MUU'
    END AS permit_group,
    sex,
    offset_months,
    status,
    COUNT(DISTINCT person_key) AS persons
FROM ended
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
