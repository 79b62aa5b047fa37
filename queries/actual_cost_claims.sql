-- id: actual_cost_claims
-- title.fi: Todellisten kustannusten mukaiset korvaushakemukset KEHA-keskukselle korvauslajeittain ja kuukausittain
-- title.sv: Ansökningar om ersättning för faktiska kostnader till KEHA-centret efter ersättningsslag och månad
-- title.en: Actual-cost compensation claims to KEHA by type and month
-- description: The itemised claims for compensation of actual costs under the Integration Act (kotoutumislaki 681/2023): social assistance, interpreting, special social and health-care costs (decided by the ELY centre / elinvoimakeskus) and the support of unaccompanied minors, by type, recipient and month, with the persons they concern, the amount claimed and the amount KEHA-keskus paid. A claim covering a period is spread over its months by days. The flat-rate compensation is reconciled in compensation_reconciliation.
-- source: Kotoutumislaki 681/2023 (as amended by 322/2024); kotoutuminen.fi, Toteutuneiden kustannusten mukaan korvattavat kustannukset, https://kotoutuminen.fi/-toteutuneiden-kustannusten-mukaan-korvattavat-kustannukset
-- choices: a claim without a recipient is the municipality's; both ends of a claim's period count when it is spread over months; the 2025 limit of the social-assistance compensation (HE 192/2024) is not applied (not verified from the final act).
-- unit: persons; euros
-- dimensions: month (1–12 > year); recipient (KUNTA, HVA > all); compensation_type (type > all types)
-- measures: persons = distinct person_key; claimed_eur; paid_eur; unpaid_eur = claimed_eur - paid_eur
-- privacy_unit: person_key
-- policy: ely
-- params: year
WITH months AS (
    SELECT
        make_date(CAST($year AS INT), m, 1) AS month_start,
        add_months(make_date(CAST($year AS INT), m, 1), 1) AS next_month
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS t(m)
),
spread AS (
    SELECT
        m.month_start,
        COALESCE(sc.recipient, 'KUNTA') AS recipient,
        sc.compensation_type,
        sc.person_key,
        CAST(sc.claimed_eur AS DOUBLE) AS claimed,
        COALESCE(CAST(sc.paid_eur AS DOUBLE), 0.0) AS paid,
        CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), m.month_start, m.next_month, 'INCLUSIVE') AS DOUBLE)
          / CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), sc.period_start, add_months(COALESCE(sc.period_end, sc.period_start), 1), 'INCLUSIVE') AS DOUBLE) AS share
    FROM state_compensation sc
    CROSS JOIN months m
    WHERE sc.compensation_type IN ('TOIMEENTULOTUKI', 'TULKKAUS', 'ERITYISKUSTANNUS', 'ILMAN_HUOLTAJAA')
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
    ROUND(SUM((claimed - paid) * share), 2) AS unpaid_eur
FROM spread
GROUP BY month_start, recipient, compensation_type
ORDER BY 1, 3, 2
