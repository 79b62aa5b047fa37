-- DuckDB equivalent of queries/compensation_reconciliation.sql (benchmark
-- only), with peitto's compensation_end, compensation_month (municipal
-- rates of 2023: 6 503 € under 7, 1 955 € from 7), care_days(…,
-- 'INCLUSIVE') and add_months written out in SQL. Parameter: $year.
WITH months AS (
    SELECT make_date($year, CAST(m AS INTEGER), 1) AS month_start,
           CAST(make_date($year, CAST(m AS INTEGER), 1) + INTERVAL 1 MONTH AS DATE) AS next_month
    FROM range(1, 13) t(m)
),
clients AS (
    SELECT c.person_key, p.birth_date, c.home_municipality_date AS home,
        -- The window: 2 or 3 years from 2025 (quota refugees 3), 3 or 4 before; ended by citizenship except for 52 a §.
        GREATEST(c.home_municipality_date, CASE
            WHEN c.citizenship_date IS NOT NULL AND c.permit_basis <> '52A'
            THEN LEAST(w.window_end, c.citizenship_date)
            ELSE w.window_end END) AS window_end
    FROM integration_client c
    JOIN person p ON p.person_key = c.person_key
    CROSS JOIN LATERAL (SELECT CAST(c.home_municipality_date + to_months(12 * CASE
            WHEN c.permit_basis = '90' THEN (CASE WHEN c.home_municipality_date >= DATE '2025-01-01' THEN 3 ELSE 4 END)
            ELSE (CASE WHEN c.home_municipality_date >= DATE '2025-01-01' THEN 2 ELSE 3 END) END) AS DATE) AS window_end) w
    WHERE c.home_municipality_date IS NOT NULL
),
flat_rate AS (
    SELECT m.month_start, 'LASKENNALLINEN' AS compensation_type, k.person_key,
        CASE WHEN m.next_month <= k.home OR m.month_start >= k.window_end THEN 0.0
             WHEN year(m.month_start) - year(k.birth_date)
                  - CASE WHEN (month(m.month_start), day(m.month_start)) < (month(k.birth_date), day(k.birth_date)) THEN 1 ELSE 0 END < 7
             THEN 6503.0 / 12 ELSE 1955.0 / 12 END AS expected_eur,
        0.0 AS paid_eur
    FROM clients k CROSS JOIN months m
),
assessments AS (
    SELECT make_date($year, CAST(EXTRACT(MONTH FROM s.start) AS INTEGER), 1) AS month_start,
        'ALKUKARTOITUS' AS compensation_type, s.person_key, 700.0 AS expected_eur, 0.0 AS paid_eur
    FROM integration_service s
    WHERE s.kind = 'ALKUKARTOITUS' AND s.law = '1386/2010'
      AND s.start >= make_date($year, 1, 1) AND s.start < make_date($year + 1, 1, 1)
),
claims AS (
    SELECT m.month_start, sc.compensation_type, sc.person_key,
        -- Days of the claim's period (both ends counted) in the month, over all its days.
        CAST(GREATEST(0, date_diff('day', GREATEST(sc.period_start, m.month_start),
                LEAST(COALESCE(sc.period_end, sc.period_start) + 1, m.next_month))) AS DOUBLE)
          / CAST(GREATEST(0, date_diff('day', sc.period_start, COALESCE(sc.period_end, sc.period_start) + 1)) AS DOUBLE) AS share,
        sc.claimed_eur, sc.paid_eur
    FROM state_compensation sc CROSS JOIN months m
    WHERE sc.period_start < m.next_month AND COALESCE(sc.period_end, sc.period_start) >= m.month_start
),
lines AS (
    SELECT * FROM flat_rate
    UNION ALL SELECT * FROM assessments
    UNION ALL
    SELECT month_start, compensation_type, person_key,
        CASE WHEN compensation_type IN ('LASKENNALLINEN', 'ALKUKARTOITUS') THEN 0.0
             ELSE CAST(claimed_eur AS DOUBLE) * share END,
        COALESCE(CAST(paid_eur AS DOUBLE), 0.0) * share
    FROM claims
),
by_type AS (
    SELECT month_start, compensation_type, SUM(expected_eur) AS expected_eur, SUM(paid_eur) AS paid_eur
    FROM lines GROUP BY 1, 2
)
SELECT month_start AS month, compensation_type,
    ROUND(expected_eur, 2) AS expected_eur, ROUND(paid_eur, 2) AS paid_eur,
    ROUND(expected_eur - paid_eur, 2) AS difference
FROM by_type
ORDER BY 1, 2
