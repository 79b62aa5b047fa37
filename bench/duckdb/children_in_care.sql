-- DuckDB equivalent of queries/children_in_care.sql (benchmark only), with
-- care_days(…, 'STATISTICAL') > 0 written out and each child's latest
-- placement found with a window (DuckDB's fastest way), ties on the start
-- day broken by form as peitto's query does. Parameter: $year.
WITH in_care AS (
    SELECT
        person_key,
        MAX(CASE
            WHEN start <= make_date($year, 12, 31)
             AND ("end" IS NULL OR "end" > make_date($year, 12, 31)) THEN 1 ELSE 0
        END) AS on_31_12
    FROM cw_legal_basis
    WHERE basis = 'HUOSTAANOTTO'
      AND GREATEST(0, date_diff('day',
            GREATEST(start, make_date($year, 1, 1)),
            LEAST(CASE WHEN "end" IS NULL THEN make_date($year + 1, 1, 1)
                       WHEN "end" <= start THEN start + 1
                       ELSE "end" END,
                  make_date($year + 1, 1, 1)))) > 0
    GROUP BY person_key
),
latest AS (
    SELECT person_key, form
    FROM (
        SELECT person_key, form,
               ROW_NUMBER() OVER (PARTITION BY person_key ORDER BY start DESC, form DESC) AS rn
        FROM cw_placement
        WHERE start < make_date($year + 1, 1, 1)
    ) ranked
    WHERE rn = 1
)
SELECT
    COALESCE(l.form, 'MUU') AS form,
    COUNT(*) AS children_in_care,
    SUM(c.on_31_12) AS in_care_31_12
FROM in_care c
LEFT JOIN latest l ON l.person_key = c.person_key
GROUP BY COALESCE(l.form, 'MUU')
ORDER BY form
