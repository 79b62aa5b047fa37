-- id: placement_days_by_form
-- title.fi: Sijoitusvuorokaudet sijoitusmuodoittain
-- title.sv: Placeringsdygn efter placeringsform
-- title.en: Placement days by placement form
-- description: Days placed outside the home during the year, clipped to the calendar year, by the form of each placement, with the distinct children placed in that form. A child placed in two forms counts once in each. domain.md §1 "Care days" and report 5.
-- unit: days; persons
-- dimensions: form (PERHEHOITO, SUKULAISPERHEHOITO, AMMATILLINEN_PERHEHOITO, LAITOSHOITO, MUU > total)
-- measures: days = statistical placement days in the year; children = distinct person_key
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH days AS (
    SELECT
        form,
        person_key,
        care_days(start, "end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') AS days
    FROM cw_placement
)
SELECT form, COUNT(DISTINCT person_key) AS children, SUM(days) AS days
FROM days
WHERE days > 0
GROUP BY form
ORDER BY form
