-- id: care_costs
-- title.fi: Sijaishuollon hoitovuorokaudet ja kustannukset sijoitusmuodoittain, tuottajittain ja kuukausittain
-- title.sv: Vårddygn och kostnader för vård utom hemmet efter placeringsform, producent och månad
-- title.en: Care days and costs by placement form, provider and month
-- description: Billed care days and euros by the form and provider of the placement billed and the month the invoice period starts in, euros per billed day, and the placement days of the same placements in that month (arrival day counted, departure day not) so that billing can be reconciled against placements. The county's own controlling figure; THL publishes no such table.
-- source: none (municipal controlling); invoice day rules after the client-fee practice of counting the arrival day and not the departure day
-- choices: placement days counted arrival day in, departure day out (ARRIVAL_NOT_DEPARTURE); an invoice line belongs to the month its period starts in; months with placement days but no invoice are shown with 0 billed days (and months with invoices but no placement days with 0 placement days); the year-total row compares the whole year's billed days with the whole year's placement days.
-- unit: days; euros; euros per day
-- dimensions: form; provider_id; month (1–12 > year)
-- measures: billed_days; euros; euros_per_day; placement_days; difference = billed_days - placement_days
-- discrepancies: billed_days <> placement_days
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
-- Billed lines and placement days as rows of one aggregate: a month with
-- placement days but no invoice (or the reverse) is a row like any other,
-- and the year total of each measure is the whole year's.
billed AS (
    SELECT
        pl.form,
        pl.provider_id,
        make_date(CAST($year AS INT), CAST(EXTRACT(MONTH FROM il.period_start) AS INT), 1) AS month_start,
        il.person_key,
        il.billed_days,
        il.amount_eur AS euros,
        CAST(0 AS BIGINT) AS placement_days
    FROM care_invoice_line il
    JOIN cw_placement pl ON pl.placement_id = il.placement_id
    WHERE il.period_start >= make_date(CAST($year AS INT), 1, 1)
      AND il.period_start < make_date(CAST($year AS INT) + 1, 1, 1)
),
placed AS (
    SELECT
        pl.form,
        pl.provider_id,
        m.month_start,
        pl.person_key,
        CAST(0 AS BIGINT) AS billed_days,
        CAST(0 AS DECIMAL(14, 2)) AS euros,
        care_days(pl.start, pl."end", m.month_start, add_months(m.month_start, 1), 'ARRIVAL_NOT_DEPARTURE') AS placement_days
    FROM cw_placement pl
    CROSS JOIN months m
    -- Only placements that touch the year can have days in its months
    -- (a same-day placement on 1.1. counts, so the end may equal it).
    WHERE pl.start < make_date(CAST($year AS INT) + 1, 1, 1)
      AND (pl."end" IS NULL OR pl."end" >= make_date(CAST($year AS INT), 1, 1))
),
both_kinds AS (
    SELECT * FROM billed
    UNION ALL
    -- A placement's months without a day in them say nothing.
    SELECT * FROM placed WHERE placement_days > 0
),
summed AS (
    SELECT
        form,
        provider_id,
        month_start,
        SUM(billed_days) AS billed_days,
        SUM(euros) AS euros,
        SUM(placement_days) AS placement_days
    FROM both_kinds
    GROUP BY 1, 2, 3
)
SELECT
    form,
    provider_id,
    month_start AS month,
    billed_days,
    euros,
    -- No price for a month with placement days but no billed day.
    ROUND(CAST(euros AS DOUBLE) / NULLIF(billed_days, 0), 2) AS euros_per_day,
    placement_days,
    billed_days - placement_days AS difference
FROM summed
ORDER BY 1, 2, 3
