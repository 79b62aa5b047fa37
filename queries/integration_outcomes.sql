-- id: integration_outcomes
-- title.fi: Kotoutumisasiakkaiden työmarkkina-asema 3 ja 6 kuukautta suunnitelman päättymisen jälkeen
-- title.sv: Integrationsklienters ställning på arbetsmarknaden 3 och 6 månader efter planens slut
-- title.en: Integration clients' labour-market status 3 and 6 months after their plan ended
-- description: Persons whose integration plan ended during the year, by their status 3 and 6 months later, permit basis (Aliens Act section), sex and age group on 31.12. Municipal follow-up data, not comparable with register-based figures. TEM follows labour-market status 3 and 6 months after a service from registers; these are municipal follow-up data.
-- source: TEM, follow-up of labour-market status 3 and 6 months after integration services (register-based; this report uses municipal data instead)
-- choices: status as recorded by the municipality; age groups 0-17, 18-29, 30-44, 45-64, 65+ by age on 31.12.
-- unit: persons
-- dimensions: permit_basis; sex; age_group (0-17, 18-29, 30-44, 45-64, 65+); offset_months (3, 6); status
-- measures: persons = distinct person_key
-- privacy_unit: person_key
-- policy: ely
-- params: year
WITH ended AS (
    SELECT o.person_key, o.offset_months, o.status, c.permit_basis, p.sex,
           age_at_year_end(p.birth_date, CAST($year AS BIGINT)) AS age
    FROM integration_outcome o
    JOIN integration_service s ON s.service_id = o.anchor_service_id
    JOIN integration_client c ON c.person_key = o.person_key
    JOIN person p ON p.person_key = o.person_key
    WHERE s.kind IN ('KOTOUTUMISSUUNNITELMA', 'KOTOUTUMISSUUNNITELMA_MONIALAINEN')
      AND s."end" >= make_date(CAST($year AS INT), 1, 1)
      AND s."end" < make_date(CAST($year AS INT) + 1, 1, 1)
      AND o.offset_months IN (3, 6)
)
SELECT
    permit_basis,
    sex,
    CASE WHEN age < 18 THEN '0-17' WHEN age < 30 THEN '18-29' WHEN age < 45 THEN '30-44' WHEN age < 65 THEN '45-64' ELSE '65+' END AS age_group,
    offset_months,
    status,
    COUNT(DISTINCT person_key) AS persons
FROM ended
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
