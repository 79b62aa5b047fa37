-- id: integration_services_within_months
-- title.fi: Uusista kotoutumisasiakkaista arvioinnin ja suunnitelman saaneet N kuukauden kuluessa
-- title.sv: Nya integrationsklienter med bedömning och plan inom N månader
-- title.en: New integration clients with an assessment and a plan within N months
-- description: Clients who got a home municipality during the year, and how many of them got an assessment (alkukartoitus or palvelutarpeen arviointi, multi-agency included) and an integration plan starting within N months of the home-municipality date, by municipality. The municipality's own follow-up of the integration programme (Integration Act 681/2023, chapter 2).
-- source: Kotoutumislaki 681/2023, chapter 2 (osaamisen ja kotoutumisen palvelutarpeen arviointi, kotoutumissuunnitelma)
-- choices: N months (parameter months, 3 by default) from the home-municipality date of the client record; the first service of each kind counts.
-- unit: persons; percent
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: new_clients; assessed_within; planned_within; planned_percent
-- of_which: assessed_within < new_clients; planned_within < new_clients
-- privacy_unit: person_key
-- policy: ely
-- params: year, months
WITH clients AS (
    SELECT person_key, municipality_code, home_municipality_date AS since
    FROM integration_client
    WHERE home_municipality_date >= make_date(CAST($year AS INT), 1, 1)
      AND home_municipality_date < make_date(CAST($year AS INT) + 1, 1, 1)
),
firsts AS (
    SELECT
        c.person_key,
        c.municipality_code,
        c.since,
        MIN(CASE WHEN s.kind IN ('ALKUKARTOITUS', 'PALVELUTARPEEN_ARVIOINTI', 'PALVELUTARPEEN_ARVIOINTI_MONIALAINEN') THEN s.start END) AS assessed,
        MIN(CASE WHEN s.kind IN ('KOTOUTUMISSUUNNITELMA', 'KOTOUTUMISSUUNNITELMA_MONIALAINEN') THEN s.start END) AS planned
    FROM clients c
    LEFT JOIN integration_service s ON s.person_key = c.person_key
    GROUP BY c.person_key, c.municipality_code, c.since
)
SELECT
    municipality_code,
    COUNT(*) AS new_clients,
    SUM(CASE WHEN assessed <= add_months(since, CAST($months AS BIGINT)) THEN 1 ELSE 0 END) AS assessed_within,
    SUM(CASE WHEN planned <= add_months(since, CAST($months AS BIGINT)) THEN 1 ELSE 0 END) AS planned_within,
    ROUND(100.0 * SUM(CASE WHEN planned <= add_months(since, CAST($months AS BIGINT)) THEN 1 ELSE 0 END) / COUNT(*), 1) AS planned_percent
FROM firsts
GROUP BY municipality_code
ORDER BY municipality_code
