-- DuckDB equivalent of queries/care_costs.sql (benchmark only): the same
-- rows, with peitto's care_days(…, 'ARRIVAL_NOT_DEPARTURE') and
-- add_months written out in SQL. Parameter: $year.
WITH months AS (
    SELECT make_date($year, CAST(m AS INTEGER), 1) AS month_start,
           CAST(make_date($year, CAST(m AS INTEGER), 1) + INTERVAL 1 MONTH AS DATE) AS next_month
    FROM range(1, 13) t(m)
),
billed AS (
    SELECT
        pl.form,
        pl.provider_id,
        make_date($year, CAST(EXTRACT(MONTH FROM il.period_start) AS INTEGER), 1) AS month_start,
        SUM(il.billed_days) AS billed_days,
        SUM(il.amount_eur) AS euros
    FROM care_invoice_line il
    JOIN cw_placement pl ON pl.placement_id = il.placement_id
    WHERE il.period_start >= make_date($year, 1, 1)
      AND il.period_start < make_date($year + 1, 1, 1)
    GROUP BY 1, 2, 3
),
placed AS (
    SELECT
        pl.form,
        pl.provider_id,
        m.month_start,
        -- Days of [start, end) in [month_start, next_month); ongoing runs to the
        -- month's end; a same-day stay occupies its day.
        SUM(GREATEST(0, date_diff('day',
            GREATEST(pl.start, m.month_start),
            LEAST(CASE WHEN pl."end" IS NULL THEN m.next_month
                       WHEN pl."end" <= pl.start THEN pl.start + 1
                       ELSE pl."end" END,
                  m.next_month)))) AS placement_days
    FROM cw_placement pl
    CROSS JOIN months m
    WHERE pl.start < make_date($year + 1, 1, 1)
      AND (pl."end" IS NULL OR pl."end" >= make_date($year, 1, 1))
    GROUP BY 1, 2, 3
)
SELECT
    b.form,
    b.provider_id,
    b.month_start AS month,
    b.billed_days,
    b.euros,
    ROUND(CAST(b.euros AS DOUBLE) / b.billed_days, 2) AS euros_per_day,
    COALESCE(p.placement_days, 0) AS placement_days,
    b.billed_days - COALESCE(p.placement_days, 0) AS difference
FROM billed b
LEFT JOIN placed p ON p.form = b.form AND p.provider_id = b.provider_id AND p.month_start = b.month_start
ORDER BY 1, 2, 3
