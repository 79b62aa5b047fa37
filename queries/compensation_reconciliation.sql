-- id: compensation_reconciliation
-- title.fi: Laskennallisen korvauksen täsmäytys: odotettu ja maksettu kuukausittain
-- title.sv: Avstämning av den kalkylerade ersättningen: förväntad och utbetald per månad
-- title.en: Flat-rate integration compensation: expected against paid, by month
-- description: The municipality's expected flat-rate compensation (laskennallinen korvaus) for each month of the year: a twelfth of the yearly rate for every client with a home-municipality date whose compensation window covers a day of the month (2 or 3 years from 2025, 3 or 4 before; ended by citizenship; rate by age under 7 or 7 and over, municipal shares of 2023), against the amounts KEHA paid for periods starting in that month. domain.md §2 and report 9.
-- unit: euros
-- dimensions: month (1–12 > year)
-- measures: expected_eur; paid_eur; difference = expected_eur - paid_eur
-- privacy_unit: person_key
-- policy: ely
-- params: year
WITH months AS (
    SELECT make_date(CAST($year AS INT), CAST(value AS INT), 1) AS month_start
    FROM generate_series(1, 12)
),
expected AS (
    SELECT
        m.month_start,
        SUM(compensation_month(
            p.birth_date, m.month_start, c.home_municipality_date,
            compensation_end(c.home_municipality_date, c.permit_basis, c.citizenship_date))) AS expected_eur
    FROM integration_client c
    JOIN person p ON p.person_key = c.person_key
    CROSS JOIN months m
    WHERE c.home_municipality_date IS NOT NULL
    GROUP BY m.month_start
),
paid AS (
    SELECT
        make_date(CAST($year AS INT), CAST(EXTRACT(MONTH FROM period_start) AS INT), 1) AS month_start,
        SUM(CAST(paid_eur AS DOUBLE)) AS paid_eur
    FROM state_compensation
    WHERE compensation_type = 'LASKENNALLINEN'
      AND period_start >= make_date(CAST($year AS INT), 1, 1)
      AND period_start < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY 1
)
SELECT
    e.month_start AS month,
    ROUND(e.expected_eur, 2) AS expected_eur,
    COALESCE(p.paid_eur, 0.0) AS paid_eur,
    ROUND(e.expected_eur - COALESCE(p.paid_eur, 0.0), 2) AS difference
FROM expected e
LEFT JOIN paid p ON p.month_start = e.month_start
ORDER BY 1
