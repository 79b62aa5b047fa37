-- id: care_costs
-- title.fi: Sijaishuollon hoitovuorokaudet ja kustannukset sijoitusmuodoittain, tuottajittain ja kuukausittain
-- title.sv: Vårddygn och kostnader för vård utom hemmet efter placeringsform, producent och månad
-- title.en: Care days and costs by placement form, provider and month
-- description: Billed care days and euros by the form and provider of the placement billed and the month the invoice period starts in, euros per billed day, and the placement days of the same placements in that month (arrival day counted, departure day not) so that billing can be reconciled against placements. The county's own controlling figure; THL publishes no such table.
-- source: none (municipal controlling); invoice day rules after the client-fee practice of counting the arrival day and not the departure day
-- choices: placement days counted arrival day in, departure day out (ARRIVAL_NOT_DEPARTURE); an invoice line belongs to the month its period starts in.
-- unit: days; euros; euros per day
-- dimensions: form; provider_id; month (1–12 > year)
-- measures: billed_days; euros; euros_per_day; placement_days; difference = billed_days - placement_days
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH
-- The months as VALUES: a table of known size, which DataFusion makes the
-- small side of the cross join below (12 rows against each batch of
-- placements), not the other way round (a batch of 12 rows per placement).
months AS (
    SELECT make_date(CAST($year AS INT), m, 1) AS month_start
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS t(m)
),
billed AS (
    SELECT
        pl.form,
        pl.provider_id,
        make_date(CAST($year AS INT), CAST(EXTRACT(MONTH FROM il.period_start) AS INT), 1) AS month_start,
        SUM(il.billed_days) AS billed_days,
        SUM(il.amount_eur) AS euros
    FROM care_invoice_line il
    JOIN cw_placement pl ON pl.placement_id = il.placement_id
    WHERE il.period_start >= make_date(CAST($year AS INT), 1, 1)
      AND il.period_start < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY 1, 2, 3
),
placed AS (
    SELECT
        pl.form,
        pl.provider_id,
        m.month_start,
        SUM(care_days(pl.start, pl."end", m.month_start, add_months(m.month_start, 1), 'ARRIVAL_NOT_DEPARTURE')) AS placement_days
    FROM cw_placement pl
    CROSS JOIN months m
    -- Only placements that touch the year can have days in its months
    -- (a same-day placement on 1.1. counts, so the end may equal it).
    WHERE pl.start < make_date(CAST($year AS INT) + 1, 1, 1)
      AND (pl."end" IS NULL OR pl."end" >= make_date(CAST($year AS INT), 1, 1))
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
