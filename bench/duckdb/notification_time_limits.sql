-- DuckDB equivalent of queries/notification_time_limits.sql (benchmark
-- only). peitto's working_days_after counts the working days after the day
-- of receipt up to the decision, skipping weekends and the Finnish public
-- holidays (Easter-based ones included, plus Midsummer Eve and Christmas
-- Eve); here a calendar table numbers the working days cumulatively and the
-- difference of two numbers is the count. Parameters: $from, $until.
WITH years AS (
    SELECT CAST(y AS INTEGER) AS y FROM range(2000, 2041) t(y)
),
computus AS (
    SELECT y, y % 19 AS a, y // 100 AS b, y % 100 AS c FROM years
),
computus2 AS (
    SELECT y, a, b, c, b // 4 AS d, b % 4 AS e, (b - (b + 8) // 25 + 1) // 3 AS g FROM computus
),
computus3 AS (
    SELECT y, a, e, c, (19 * a + b - d - g + 15) % 30 AS h FROM computus2
),
computus4 AS (
    SELECT y, a, h, (32 + 2 * e + 2 * (c // 4) - h - (c % 4)) % 7 AS l FROM computus3
),
easter AS (
    SELECT y,
        make_date(y, CAST((h + l - 7 * ((a + 11 * h + 22 * l) // 451) + 114) // 31 AS INTEGER),
                     CAST((h + l - 7 * ((a + 11 * h + 22 * l) // 451) + 114) % 31 + 1 AS INTEGER)) AS sunday
    FROM computus4
),
holidays AS (
    SELECT make_date(y, 1, 1) AS day FROM years
    UNION ALL SELECT make_date(y, 1, 6) FROM years
    UNION ALL SELECT sunday - 2 FROM easter
    UNION ALL SELECT sunday FROM easter
    UNION ALL SELECT sunday + 1 FROM easter
    UNION ALL SELECT make_date(y, 5, 1) FROM years
    UNION ALL SELECT sunday + 39 FROM easter
    UNION ALL SELECT sunday + 49 FROM easter
    -- Midsummer Eve: the Friday of 19–25 June; Midsummer Day and All Saints' Day: Saturdays.
    UNION ALL SELECT make_date(y, 6, 19) + CAST(((5 - isodow(make_date(y, 6, 19))) % 7 + 7) % 7 AS INTEGER) FROM years
    UNION ALL SELECT make_date(y, 6, 20) + CAST(((6 - isodow(make_date(y, 6, 20))) % 7 + 7) % 7 AS INTEGER) FROM years
    UNION ALL SELECT make_date(y, 10, 31) + CAST(((6 - isodow(make_date(y, 10, 31))) % 7 + 7) % 7 AS INTEGER) FROM years
    UNION ALL SELECT make_date(y, 12, 6) FROM years
    UNION ALL SELECT make_date(y, 12, 24) FROM years
    UNION ALL SELECT make_date(y, 12, 25) FROM years
    UNION ALL SELECT make_date(y, 12, 26) FROM years
),
calendar AS (
    SELECT day,
        SUM(CASE WHEN isodow(day) <= 5 AND day NOT IN (SELECT day FROM holidays) THEN 1 ELSE 0 END)
            OVER (ORDER BY day) AS working_days
    FROM (SELECT CAST(d AS DATE) AS day FROM range(DATE '2000-01-01', DATE '2041-01-01', INTERVAL 1 DAY) t(d))
)
SELECT
    n.municipality_code,
    COUNT(*) AS notifications,
    SUM(CASE WHEN n.decision_date IS NOT NULL AND d.working_days - r.working_days <= 7 THEN 1 ELSE 0 END) AS decided_in_7,
    ROUND(100.0 * SUM(CASE WHEN n.decision_date IS NOT NULL AND d.working_days - r.working_days <= 7 THEN 1 ELSE 0 END) / COUNT(*), 1) AS decided_in_7_percent,
    SUM(CASE WHEN n.outcome = 'SELVITYS' THEN 1 ELSE 0 END) AS assessments,
    SUM(CASE WHEN n.outcome = 'SELVITYS' AND n.assessment_end IS NOT NULL
              AND n.assessment_end <= CAST(n.received_date + INTERVAL 3 MONTH AS DATE) THEN 1 ELSE 0 END) AS assessed_in_3_months
FROM cw_notification n
JOIN calendar r ON r.day = n.received_date
LEFT JOIN calendar d ON d.day = n.decision_date
WHERE n.received_date >= CAST($from AS DATE) AND n.received_date < CAST($until AS DATE)
GROUP BY n.municipality_code
ORDER BY n.municipality_code
