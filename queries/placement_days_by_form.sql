-- id: placement_days_by_form
-- title.fi: Sijoitusvuorokaudet sijoitusmuodoittain
-- title.sv: Placeringsdygn efter placeringsform
-- title.en: Placement days by placement form
-- description: Days placed outside the home during the year, clipped to the calendar year, by placement form, with the distinct children placed in that form. Family care (perhehoito) includes relative and close-person family care (sukulais- ja läheisperhehoito), which is also given as "of which" on the family-care row (children and days), as in THL's tables ("perhehoidossa, joista sukulais- ja läheisperhehoidossa") and in children_in_care. Overlapping or repeated placements of one child in one form are merged first, so no day counts twice in a form (a move from a foster family to a relative family is one family-care stay); a child placed in two forms counts once in each. Placements on an after-care basis (jälkihuolto, LsL 75 §) are left out: they are young adults' support, not placements of children. A same-day stay counts one day.
-- source: THL, Lastensuojelu (SVT), placement forms as in THL's tables (family care, of which relative and close-person family care; professional family care; institutional care), durations clipped to the calendar year, https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu/lastensuojelu; quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/lastensuojelu. THL publishes no placement-day table: this is a controlling figure in THL's classification.
-- choices: after-care placements excluded (the choices row below: include_after_care = false); placements whose legal basis is not in the store are counted; SUKULAISPERHEHOITO counted within PERHEHOITO and again in the "of which" columns relative_family and relative_family_days (columns, not a row of the form dimension, so that the form total does not count those days twice); professional family care (AMMATILLINEN_PERHEHOITO) is its own row, as in THL's tables; days = end minus start, a same-day stay one day, the year's end closing open placements.
-- unit: days; persons
-- dimensions: form (PERHEHOITO, AMMATILLINEN_PERHEHOITO, LAITOSHOITO, MUU > total)
-- measures: children = distinct person_key; days = placement days in the year, overlaps within a form merged; relative_family = of the family-care children those in relative or close-person family care; relative_family_days = their days in relative or close-person family care, overlaps merged
-- of_which: relative_family < children
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
        -- Relative family care is counted within family care.
        CASE WHEN pl.form = 'SUKULAISPERHEHOITO' THEN 'PERHEHOITO' ELSE pl.form END AS form,
        CASE WHEN pl.form = 'SUKULAISPERHEHOITO' THEN 1 ELSE 0 END AS relative,
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
-- Each placement once in its form, and relative family care once more on
-- its own (relative = 1), so that its days are merged apart.
spans AS (
    SELECT person_key, form, 0 AS relative, s, e FROM clipped
    UNION ALL
    SELECT person_key, form, 1 AS relative, s, e FROM clipped WHERE relative = 1
),
-- Merging within one child, form and relative flag: a span starts a new
-- island unless an earlier span of the same child and form reaches it.
ordered AS (
    SELECT
        person_key, form, relative, s, e,
        MAX(e) OVER (PARTITION BY person_key, form, relative ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM spans
    WHERE s < e
),
islands AS (
    SELECT
        person_key, form, relative, s, e,
        SUM(CASE WHEN reach IS NOT NULL AND reach >= s THEN 0 ELSE 1 END)
            OVER (PARTITION BY person_key, form, relative ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
),
merged AS (
    SELECT person_key, form, relative, MIN(s) AS s, MAX(e) AS e
    FROM islands
    GROUP BY person_key, form, relative, island
),
-- One row per child and form: the days in the form and, of them, in
-- relative family care.
per_child AS (
    SELECT
        form,
        person_key,
        SUM(CASE WHEN relative = 0 THEN care_days(s, e, make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') ELSE 0 END) AS days,
        SUM(CASE WHEN relative = 1 THEN care_days(s, e, make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') ELSE 0 END) AS relative_days
    FROM merged
    GROUP BY form, person_key
)
SELECT
    form,
    COUNT(DISTINCT person_key) AS children,
    SUM(days) AS days,
    SUM(CASE WHEN relative_days > 0 THEN 1 ELSE 0 END) AS relative_family,
    SUM(relative_days) AS relative_family_days
FROM per_child
WHERE days > 0
GROUP BY form
ORDER BY form
