-- id: children_in_care
-- title.fi: Huostassa olleet lapset vuoden aikana ja 31.12. viimeisimmän sijoituspaikan mukaan
-- title.sv: Omhändertagna barn under året och den 31.12. efter senaste placeringsform
-- title.en: Children in care during the year and on 31.12., by latest placement form
-- description: Distinct children with at least one day under a care order (huostaanotto, LsL 40 §) during the year, including those who turned 18 during the year, and those in care on 31.12., by the form of their latest placement under the care order that began before the end of the year (after-care and other placements that follow the care order do not count). Family care (perhehoito) includes relative and close-person family care, which is also given as "of which" (joista sukulais- ja läheisperhehoidossa), as in THL's tables. THL, Lastensuojelu (SVT).
-- source: THL, Lastensuojelu (SVT) statistical report, https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu ("Luvuissa ovat mukana myös ne nuoret, jotka ovat vuoden aikana täyttäneet 18 vuotta"; "perhehoidossa, joista sukulais- tai läheisperheissä")
-- choices: no age limit (THL's count includes those who turned 18 during the year); latest placement = the placement under a care order with the latest start before 1.1. of the next year, two on the same day told apart by form; professional family care (ammatillinen perhehoito) is its own row, as in THL's tables; a child in care with no placement under the care order is under MUU.
-- unit: persons
-- dimensions: form (PERHEHOITO, AMMATILLINEN_PERHEHOITO, LAITOSHOITO, MUU > total)
-- measures: children_in_care = distinct person_key; in_care_31_12 = distinct person_key in care on 31.12.; relative_family = of them in relative or close-person family care; relative_family_31_12 = the same on 31.12.
-- of_which: relative_family_31_12 < in_care_31_12; relative_family_31_12 < relative_family; in_care_31_12 + relative_family - relative_family_31_12 < children_in_care
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH in_care AS (
    SELECT
        person_key,
        MAX(CASE
            WHEN start <= make_date(CAST($year AS INT), 12, 31)
             AND ("end" IS NULL OR "end" > make_date(CAST($year AS INT), 12, 31)) THEN 1 ELSE 0
        END) AS on_31_12
    FROM cw_legal_basis
    WHERE basis = 'HUOSTAANOTTO'
      AND care_days(start, "end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL') > 0
    GROUP BY person_key
),
-- Each child's latest placement under a care order, in one aggregate: the
-- largest of start and form joined by a separator below every letter, so
-- that the text sorts as the (start, form) pair does. A window numbering
-- each child's placements would say the same but costs far more with many
-- children.
latest AS (
    SELECT
        pl.person_key,
        NULLIF(split_part(MAX(CAST(pl.start AS VARCHAR) || chr(1) || COALESCE(pl.form, '')), chr(1), 2), '') AS form
    FROM cw_placement pl
    JOIN cw_legal_basis b ON b.basis_id = pl.basis_id
    WHERE b.basis = 'HUOSTAANOTTO'
      AND pl.start < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY pl.person_key
),
classed AS (
    SELECT
        c.person_key,
        c.on_31_12,
        -- Relative family care is counted within family care.
        CASE
            WHEN l.form IN ('PERHEHOITO', 'SUKULAISPERHEHOITO') THEN 'PERHEHOITO'
            WHEN l.form IN ('AMMATILLINEN_PERHEHOITO', 'LAITOSHOITO') THEN l.form
            ELSE 'MUU'
        END AS form,
        CASE WHEN l.form = 'SUKULAISPERHEHOITO' THEN 1 ELSE 0 END AS relative
    FROM in_care c
    LEFT JOIN latest l ON l.person_key = c.person_key
)
SELECT
    form,
    COUNT(DISTINCT person_key) AS children_in_care,
    SUM(on_31_12) AS in_care_31_12,
    SUM(relative) AS relative_family,
    SUM(relative * on_31_12) AS relative_family_31_12
FROM classed
GROUP BY form
ORDER BY form
