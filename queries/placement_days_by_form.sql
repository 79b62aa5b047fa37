-- id: placement_days_by_form
-- title.fi: Sijoitusvuorokaudet sijoitusmuodoittain
-- title.sv: Placeringsdygn efter placeringsform
-- title.en: Placement days by placement form
-- description: Days placed outside the home during the year, clipped to the calendar year, by placement form, with the distinct children placed in that form. Overlapping or repeated placements of one child in one form are merged first, so no day counts twice in a form; a child placed in two forms counts once in each. Placements on an after-care basis (jälkihuolto, LsL 75 §) are left out: they are young adults' support, not placements of children. A same-day stay counts one day.
-- source: THL, Lastensuojelu (SVT), placement durations clipped to the calendar year, https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu
-- choices: after-care placements excluded (the choices row below: include_after_care = false); placements whose legal basis is not in the store are counted; days = end minus start, a same-day stay one day, the year's end closing open placements.
-- unit: days; persons
-- dimensions: form (PERHEHOITO, SUKULAISPERHEHOITO, AMMATILLINEN_PERHEHOITO, LAITOSHOITO, MUU > total)
-- measures: days = placement days in the year, overlaps within a form merged; children = distinct person_key
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH choices AS (
    SELECT false AS include_after_care
),
-- Each placement as a half-open span clipped to the year (a same-day stay
-- becomes its one day).
clipped AS (
    SELECT
        pl.person_key,
        pl.form,
        greatest(pl.start, make_date(CAST($year AS INT), 1, 1)) AS s,
        least(
            CASE WHEN pl."end" = pl.start THEN pl.start + INTERVAL '1 day'
                 ELSE COALESCE(pl."end", make_date(CAST($year AS INT) + 1, 1, 1)) END,
            make_date(CAST($year AS INT) + 1, 1, 1)) AS e
    FROM cw_placement pl
    LEFT JOIN cw_legal_basis b ON b.basis_id = pl.basis_id
    CROSS JOIN choices ch
    WHERE (ch.include_after_care OR b.basis IS NULL OR b.basis <> 'JALKIHUOLTO')
),
-- Merging within one child and form: a span starts a new island unless an
-- earlier span of the same child and form reaches it.
ordered AS (
    SELECT
        person_key, form, s, e,
        MAX(e) OVER (PARTITION BY person_key, form ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM clipped
    WHERE s < e
),
islands AS (
    SELECT
        person_key, form, s, e,
        SUM(CASE WHEN reach IS NOT NULL AND reach >= s THEN 0 ELSE 1 END)
            OVER (PARTITION BY person_key, form ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
),
merged AS (
    SELECT person_key, form, MIN(s) AS s, MAX(e) AS e
    FROM islands
    GROUP BY person_key, form, island
),
days AS (
    SELECT form, person_key, care_days(s, e, make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') AS days
    FROM merged
)
SELECT form, COUNT(DISTINCT person_key) AS children, SUM(days) AS days
FROM days
WHERE days > 0
GROUP BY form
ORDER BY form
