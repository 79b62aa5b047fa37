-- id: placement_day_bands
-- title.fi: Sijoitettuna vietetyt päivät vuoden aikana
-- title.sv: Dagar placerad under året
-- title.en: Days placed during the year
-- description: Children by the number of days they were placed outside the home during the year, counted from merged placement episodes so that no day counts twice, banded by months (under 1, 1–5, 6–10, 11 or more; a month is 365.25/12 days), with the days in each band. THL's duration table clipped to the calendar year: domain.md, report 5.
-- unit: persons; days
-- dimensions: band (under_1, 1_to_5, 6_to_10, 11_or_more > total)
-- measures: children = distinct person_key; days = placement days in the year
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH days AS (
    SELECT
        person_key,
        SUM(care_days(start, "end", make_date(CAST($year AS INT), 1, 1), make_date(CAST($year AS INT) + 1, 1, 1), 'STATISTICAL')) AS days
    FROM placement_episode
    GROUP BY person_key
),
banded AS (
    SELECT
        person_key,
        days,
        CASE
            WHEN days * 12.0 / 365.25 < 1 THEN 1
            WHEN days * 12.0 / 365.25 < 6 THEN 2
            WHEN days * 12.0 / 365.25 < 11 THEN 3
            ELSE 4
        END AS band_order
    FROM days
    WHERE days > 0
)
SELECT
    CASE band_order WHEN 1 THEN 'under_1' WHEN 2 THEN '1_to_5' WHEN 3 THEN '6_to_10' ELSE '11_or_more' END AS band,
    COUNT(*) AS children,
    SUM(days) AS days
FROM banded
GROUP BY band_order
ORDER BY band_order
