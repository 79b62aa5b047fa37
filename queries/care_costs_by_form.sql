-- id: care_costs_by_form
-- title.fi: Sijaishuollon laskutetut hoitovuorokaudet ja kustannukset sijoitusmuodoittain ja kuukausittain
-- title.sv: Fakturerade vårddygn och kostnader för vård utom hemmet efter placeringsform och månad
-- title.en: Billed care days and costs by placement form and month
-- description: Billed care days and euros by the form of the placement billed and the month the invoice period starts in, with the totals of all forms and of the year, and euros per billed day. The managers' summary of care_costs, without the provider: a county's own controlling figure; THL publishes no such table.
-- source: none (municipal controlling)
-- choices: relative and close-person family care counts as family care (as in THL's tables); an invoice line belongs to the month its period starts in; euros per day are computed from the protected totals.
-- unit: days; euros; euros per day
-- dimensions: form (PERHEHOITO, AMMATILLINEN_PERHEHOITO, LAITOSHOITO, MUU > total); month (1–12 > year)
-- measures: billed_days; euros; euros_per_day = euros / billed_days
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH
-- Relative family care within family care, as THL counts it. The form and
-- the month are named before the aggregate, so that their totals (all
-- forms, the year) are found by name.
lines AS (
    SELECT
        il.person_key,
        CASE WHEN pl.form = 'SUKULAISPERHEHOITO' THEN 'PERHEHOITO' ELSE pl.form END AS form,
        make_date(CAST($year AS INT), CAST(EXTRACT(MONTH FROM il.period_start) AS INT), 1) AS month,
        il.billed_days,
        il.amount_eur
    FROM care_invoice_line il
    JOIN cw_placement pl ON pl.placement_id = il.placement_id
    WHERE il.period_start >= make_date(CAST($year AS INT), 1, 1)
      AND il.period_start < make_date(CAST($year AS INT) + 1, 1, 1)
),
billed AS (
    SELECT form, month, SUM(billed_days) AS billed_days, SUM(amount_eur) AS euros
    FROM lines
    GROUP BY form, month
)
SELECT
    form,
    month,
    billed_days,
    euros,
    ROUND(CAST(euros AS DOUBLE) / billed_days, 2) AS euros_per_day
FROM billed
ORDER BY 1, 2
