-- id: compensation_reconciliation
-- title.fi: Valtion korvausten täsmäytys: odotettu ja maksettu kuukausittain ja korvauslajeittain
-- title.sv: Avstämning av statens ersättningar: förväntat och utbetalt per månad och ersättningsslag
-- title.en: State compensations reconciled: expected against paid, by month and type
-- description: What the municipality should receive from the state for each month of the year, by type of compensation, against what was paid. Flat rate (LASKENNALLINEN): a twelfth of the yearly rate for every client with a home-municipality date whose window covers a day of the month (2 or 3 years from 2025, 3 or 4 before; ended by citizenship; rate by age under 7 or 7 and over; the municipality's rates by year from peitto.toml). Initial assessment (ALKUKARTOITUS): 700 € for each assessment under the old law (1386/2010) started in the month. Actual-cost types (special costs, social assistance, interpreting, unaccompanied minors): the amount claimed. Paid: the amounts KEHA and the ELY centre paid. A claim or payment covering a period is spread over its months by days. domain.md §2 and report 9.
-- unit: euros
-- dimensions: month (1–12 > year); compensation_type (type > all types)
-- measures: expected_eur; paid_eur; difference = expected_eur - paid_eur
-- privacy_unit: person_key
-- policy: ely
-- params: year
-- The months as VALUES: a table of known size, which DataFusion makes the
-- small side of the cross joins below (12 rows against each batch of
-- clients or claims), not the other way round.
WITH months AS (
    SELECT
        make_date(CAST($year AS INT), m, 1) AS month_start,
        add_months(make_date(CAST($year AS INT), m, 1), 1) AS next_month
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS t(m)
),
-- Per person and month: the flat rate the window entitles to.
flat_rate AS (
    SELECT
        m.month_start,
        'LASKENNALLINEN' AS compensation_type,
        c.person_key,
        compensation_month(
            p.birth_date, m.month_start, c.home_municipality_date,
            compensation_end(c.home_municipality_date, c.permit_basis, c.citizenship_date)) AS expected_eur,
        0.0 AS paid_eur
    FROM integration_client c
    JOIN person p ON p.person_key = c.person_key
    CROSS JOIN months m
    WHERE c.home_municipality_date IS NOT NULL
),
-- 700 € per initial assessment under the old law, in the month it started.
assessments AS (
    SELECT
        make_date(CAST($year AS INT), CAST(EXTRACT(MONTH FROM s.start) AS INT), 1) AS month_start,
        'ALKUKARTOITUS' AS compensation_type,
        s.person_key,
        700.0 AS expected_eur,
        0.0 AS paid_eur
    FROM integration_service s
    WHERE s.kind = 'ALKUKARTOITUS'
      AND s.law = '1386/2010'
      AND s.start >= make_date(CAST($year AS INT), 1, 1)
      AND s.start < make_date(CAST($year AS INT) + 1, 1, 1)
),
-- Claims and payments, each spread over the months its period (both ends
-- counted) covers, in proportion to its days in the month.
claims AS (
    SELECT
        k.month_start,
        k.compensation_type,
        k.person_key,
        CASE WHEN k.compensation_type IN ('LASKENNALLINEN', 'ALKUKARTOITUS') THEN 0.0
             ELSE CAST(k.claimed_eur AS DOUBLE) * k.share END AS expected_eur,
        COALESCE(CAST(k.paid_eur AS DOUBLE), 0.0) * k.share AS paid_eur
    FROM (
        SELECT
            sc.compensation_type, sc.person_key, sc.claimed_eur, sc.paid_eur, m.month_start,
            CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), m.month_start, m.next_month, 'INCLUSIVE') AS DOUBLE)
              / CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), sc.period_start, add_months(COALESCE(sc.period_end, sc.period_start), 1), 'INCLUSIVE') AS DOUBLE) AS share
        FROM state_compensation sc
        CROSS JOIN months m
        WHERE sc.period_start < m.next_month
          AND COALESCE(sc.period_end, sc.period_start) >= m.month_start
    ) k
),
lines AS (
    SELECT * FROM flat_rate
    UNION ALL
    SELECT * FROM assessments
    UNION ALL
    SELECT * FROM claims
),
by_type AS (
    SELECT month_start, compensation_type, SUM(expected_eur) AS expected_eur, SUM(paid_eur) AS paid_eur
    FROM lines
    GROUP BY month_start, compensation_type
)
SELECT
    month_start AS month,
    compensation_type,
    ROUND(expected_eur, 2) AS expected_eur,
    ROUND(paid_eur, 2) AS paid_eur,
    ROUND(expected_eur - paid_eur, 2) AS difference
FROM by_type
ORDER BY 1, 2
