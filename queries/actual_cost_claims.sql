-- id: actual_cost_claims
-- title.fi: Todellisten kustannusten mukaiset korvaushakemukset KEHA-keskukselle korvauslajeittain ja kuukausittain
-- title.sv: Ansökningar om ersättning för faktiska kostnader till KEHA-centret efter ersättningsslag och månad
-- title.en: Actual-cost compensation claims to KEHA by type and month
-- description: The itemised claims for compensation of actual costs under the Integration Act (kotoutumislaki 681/2023): social assistance, interpreting, special social and health-care costs (decided by the ELY centre / elinvoimakeskus), the support of unaccompanied minors, preparing to receive quota refugees, return-migration grants and the compensations for victims of trafficking, by type, recipient and month, with the persons they concern, the amount claimed, the amount KEHA-keskus paid, and of the amount claimed, the social assistance claimed for months outside its compensation period (of which, as THL's tables give subsets). Social assistance (the wellbeing county's supplementary and preventive assistance since 2023) is compensated for 3 years from the first home municipality in Finland, and for assistance from 1.1.2025 for 1 year (HE 192/2024: "korvausaikaa lyhennettäisiin kolmesta vuodesta yhteen vuoteen"); Kela's basic social assistance is not compensated from 2025. A claim covering a period is spread over its months by days. The flat-rate compensation is reconciled in compensation_reconciliation.
-- source: Kotoutumislaki 681/2023 (as amended by 322/2024); HE 192/2024 (social assistance compensated for 1 year from 2025), https://finlex.fi/fi/hallituksen-esitykset/2024/192; kotoutuminen.fi, Toteutuneiden kustannusten mukaan korvattavat kustannukset, https://kotoutuminen.fi/-toteutuneiden-kustannusten-mukaan-korvattavat-kustannukset
-- choices: a claim without a recipient is the wellbeing county's when it is for social assistance, special costs or unaccompanied minors from 2023 on (these services moved to the counties), otherwise the municipality's; both ends of a claim's period count when it is spread over months; a month of social assistance is inside the compensation period when it overlaps [first home municipality, 3 years later), or 1 year later for months from January 2025 (our reading of HE 192/2024: the enacted text and its transitional provision were not available), the first home municipality being the earliest of the residence periods and the client record's date; a person with no recorded first home municipality cannot be checked, and such a claim counts as outside the period; claims are reported as claimed, the part outside the period given as an of-which amount (outside_period_eur), not removed; every other type is inside its period; the outside part is an amount only (a count of its persons would double the table for a column KEHA does not ask for).
-- unit: persons; euros
-- dimensions: month (1–12 > year); recipient (KUNTA, HVA > all); compensation_type (type > all types)
-- measures: persons = distinct person_key; claimed_eur; paid_eur; unpaid_eur = claimed_eur - paid_eur; outside_period_eur = of claimed_eur, social assistance for months outside its compensation period
-- privacy_unit: person_key
-- policy: ely
-- params: year
WITH months AS (
    SELECT
        make_date(CAST($year AS INT), m, 1) AS month_start,
        add_months(make_date(CAST($year AS INT), m, 1), 1) AS next_month
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS t(m)
),
-- The first home municipality in Finland starts the social-assistance
-- compensation period, as it starts the flat rate's.
firsts AS (
    SELECT
        c.person_key,
        CASE
            WHEN MIN(r.valid_from) IS NULL THEN c.home_municipality_date
            WHEN c.home_municipality_date IS NULL THEN MIN(r.valid_from)
            ELSE least(MIN(r.valid_from), c.home_municipality_date)
        END AS first_home
    FROM integration_client c
    LEFT JOIN person_residence r ON r.person_key = c.person_key
    GROUP BY c.person_key, c.home_municipality_date
),
spread AS (
    SELECT
        m.month_start,
        COALESCE(
            sc.recipient,
            CASE
                WHEN sc.compensation_type IN ('TOIMEENTULOTUKI', 'ERITYISKUSTANNUS', 'ILMAN_HUOLTAJAA')
                     AND sc.period_start >= DATE '2023-01-01' THEN 'HVA'
                ELSE 'KUNTA'
            END
        ) AS recipient,
        sc.compensation_type,
        sc.person_key,
        CAST(sc.claimed_eur AS DOUBLE) AS claimed,
        COALESCE(CAST(sc.paid_eur AS DOUBLE), 0.0) AS paid,
        CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), m.month_start, m.next_month, 'INCLUSIVE') AS DOUBLE)
          / CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), sc.period_start, add_months(COALESCE(sc.period_end, sc.period_start), 1), 'INCLUSIVE') AS DOUBLE) AS share,
        CASE
            WHEN sc.compensation_type <> 'TOIMEENTULOTUKI' THEN 'inside'
            WHEN f.first_home IS NOT NULL
                 AND m.next_month > f.first_home
                 AND m.month_start < add_months(f.first_home, CASE WHEN m.month_start >= DATE '2025-01-01' THEN 12 ELSE 36 END)
                THEN 'inside'
            ELSE 'outside'
        END AS period
    FROM state_compensation sc
    CROSS JOIN months m
    LEFT JOIN firsts f ON f.person_key = sc.person_key
    WHERE sc.compensation_type NOT IN ('LASKENNALLINEN', 'ALKUKARTOITUS')
      AND sc.period_start < m.next_month
      AND COALESCE(sc.period_end, sc.period_start) >= m.month_start
)
SELECT
    month_start AS month,
    recipient,
    compensation_type,
    COUNT(DISTINCT person_key) AS persons,
    ROUND(SUM(claimed * share), 2) AS claimed_eur,
    ROUND(SUM(paid * share), 2) AS paid_eur,
    ROUND(SUM((claimed - paid) * share), 2) AS unpaid_eur,
    ROUND(SUM(CASE WHEN period = 'outside' THEN claimed * share ELSE 0.0 END), 2) AS outside_period_eur
FROM spread
GROUP BY month_start, recipient, compensation_type
ORDER BY 1, 3, 2
