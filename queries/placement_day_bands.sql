-- id: placement_day_bands
-- title.fi: Sijoitettuna vietetyt päivät vuoden aikana
-- title.sv: Dagar placerad under året
-- title.en: Days placed during the year
-- description: Children aged 0–17 on 31.12. by the number of days they were placed outside the home during the year, on any legal basis (after-care of under-18s included, as in THL's table), counted from their placements merged so that no day counts twice (overlaps and same-day transfers between forms become one stay), banded by months (under 1, 1–5, 6–10, 11 or more; a month is 365.25/12 days), with the days in each band. THL's duration table of children placed during the year, clipped to the calendar year.
-- source: THL, Lastensuojelu (SVT), placement durations within the year of the children aged 0–17 placed outside the home, https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu/lastensuojelu; quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/lastensuojelu
-- choices: age on 31.12. (age_at_year_end) 0–17 (max_age = 17 below), as in THL's indicator of children placed outside the home, so a young person who turned 18 during the year is left out; a child with no birth date in the person register is left out; placements on every legal basis count, after-care (jälkihuolto, LsL 75 §) included for the under-18s (include_after_care = true below; young adults in after-care are out by their age); days = end minus start, a same-day stay one day; a month = 365.25/12 days.
-- unit: persons; days
-- dimensions: band (under_1, 1_to_5, 6_to_10, 11_or_more > total)
-- measures: children = distinct person_key; days = placement days in the year
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH choices AS (
    SELECT true AS include_after_care, 17 AS max_age
),
-- The children counted: aged 0 to max_age on 31.12.
children AS (
    SELECT p.person_key
    FROM person p
    CROSS JOIN choices ch
    WHERE age_at_year_end(p.birth_date, CAST($year AS BIGINT)) BETWEEN 0 AND ch.max_age
),
-- Each placement as a half-open span clipped to the year (a same-day stay
-- becomes its one day).
clipped AS (
    SELECT
        pl.person_key,
        greatest(pl.start, make_date(CAST($year AS INT), 1, 1)) AS s,
        least(
            CASE WHEN pl."end" = pl.start THEN pl.start + INTERVAL '1 day'
                 ELSE COALESCE(pl."end", make_date(CAST($year AS INT) + 1, 1, 1)) END,
            make_date(CAST($year AS INT) + 1, 1, 1)) AS e
    FROM cw_placement pl
    JOIN children c ON c.person_key = pl.person_key
    LEFT JOIN cw_legal_basis b ON b.basis_id = pl.basis_id
    CROSS JOIN choices ch
    WHERE (ch.include_after_care OR b.basis IS NULL OR b.basis <> 'JALKIHUOLTO')
),
-- Merging within one child: a span starts a new stay unless an earlier
-- span of the child reaches it.
ordered AS (
    SELECT
        person_key, s, e,
        MAX(e) OVER (PARTITION BY person_key ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM clipped
    WHERE s < e
),
islands AS (
    SELECT
        person_key, s, e,
        SUM(CASE WHEN reach IS NOT NULL AND reach >= s THEN 0 ELSE 1 END)
            OVER (PARTITION BY person_key ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
),
merged AS (
    SELECT person_key, MIN(s) AS s, MAX(e) AS e
    FROM islands
    GROUP BY person_key, island
),
days AS (
    SELECT
        person_key,
        SUM(care_days(s, e, make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL')) AS days
    FROM merged
    GROUP BY person_key
),
banded AS (
    SELECT
        person_key,
        days,
        CASE
            WHEN days * 12.0 / 365.25 < 1 THEN 'under_1'
            WHEN days * 12.0 / 365.25 < 6 THEN '1_to_5'
            WHEN days * 12.0 / 365.25 < 11 THEN '6_to_10'
            ELSE '11_or_more'
        END AS band
    FROM days
    WHERE days > 0
)
-- Grouped by the band's label, so that its total is found by name; the
-- order is the bands' own.
SELECT
    band,
    COUNT(*) AS children,
    SUM(days) AS days
FROM banded
GROUP BY band
ORDER BY CASE band WHEN 'under_1' THEN 1 WHEN '1_to_5' THEN 2 WHEN '6_to_10' THEN 3 WHEN '11_or_more' THEN 4 ELSE 5 END
