-- id: children_in_care
-- title.fi: Huostassa olleet lapset ja 31.12. huostassa olleet viimeisimmän sijoituspaikan mukaan
-- title.sv: Omhändertagna barn under året och den 31.12. enligt senaste placeringsform
-- title.en: Children in care during the year and on 31.12., by latest placement form
-- description: Distinct children with at least one day under a care order (huostaanotto) during the year, including those who turned 18, and the stock in care on 31.12., by the form of their latest placement that began before the end of the year. THL definition: domain.md, report 3.
-- unit: persons
-- dimensions: form (PERHEHOITO, SUKULAISPERHEHOITO, AMMATILLINEN_PERHEHOITO, LAITOSHOITO, MUU > total)
-- measures: children_in_care = distinct person_key; in_care_31_12 = distinct person_key in care on 31.12.
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
-- Each child's latest placement's form, in one aggregate: the largest of
-- start and form joined by a separator below every letter, so that the text
-- sorts as the (start, form) pair does (two placements starting on the same
-- day are told apart by form: their order in the register is not known).
-- A window numbering each child's placements would say the same but costs
-- far more with many children.
latest AS (
    SELECT
        person_key,
        NULLIF(split_part(MAX(CAST(start AS VARCHAR) || chr(1) || COALESCE(form, '')), chr(1), 2), '') AS form
    FROM cw_placement
    WHERE start < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY person_key
)
SELECT
    COALESCE(l.form, 'MUU') AS form,
    COUNT(*) AS children_in_care,
    SUM(c.on_31_12) AS in_care_31_12
FROM in_care c
LEFT JOIN latest l ON l.person_key = c.person_key
GROUP BY COALESCE(l.form, 'MUU')
ORDER BY form
