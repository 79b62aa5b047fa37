-- id: compensation_reconciliation
-- title.fi: Laskennallisten korvausten täsmäytys: odotettu ja maksettu kuukausittain, saajittain ja kunnittain
-- title.sv: Avstämning av de kalkylerade ersättningarna: förväntat och utbetalt per månad, mottagare och kommun
-- title.en: Flat-rate compensations reconciled: expected against paid, by month, recipient and municipality
-- description: The flat-rate state compensations (laskennallinen korvaus) the municipality and the wellbeing county should receive for each month of the year under the Integration Act (kotoutumislaki 681/2023), by recipient and home municipality, against what KEHA-keskus paid. Flat rate: a twelfth of the yearly rate for each month whose 1st day falls in the person's compensation period, to the municipality whose resident the person is on the 1st of the month (KEHA: "sille kunnalle, jonka asukkaana korvauksen piiriin kuuluva henkilö on kuukauden ensimmäisenä päivänä"; from the residence periods) and to its wellbeing county; no month is paid without a registered home municipality on its 1st; the period starts from the person's first home municipality in Finland and lasts 2 years, 3 for quota refugees (UlkL 90 §) and their family members, when it began in 2025 or later, 3 and 4 years when it began earlier; a family member with a permit for family ties (UlkL 114 § 1 mom, 115 §) has the period of the sponsor's basis (sponsor_permit_basis); citizenship ends it, except for victims of trafficking (UlkL 52 a §); rate by age under 7 or 7 and over. Initial assessment under the old act 1386/2010 50 § (ALKUKARTOITUS): 700 € per person, once, for an assessment the municipality arranged (not one the TE office made for a registered jobseeker), in the month the first one started. The compensations of actual costs (social assistance, interpreting, special costs, unaccompanied minors) are claimed item by item and reconciled in actual_cost_claims.
-- source: Kotoutumislaki 681/2023 as amended by 322/2024 (HE 21/2024); kotoutuminen.fi, Laskennallinen korvaus https://kotoutuminen.fi/laskennallinen-korvaus and Kenestä korvaus maksetaan https://kotoutuminen.fi/kenesta-korvaus-maksetaan; Maksaminen ja hakeminen https://kotoutuminen.fi/maksaminen-ja-hakeminen (the month is paid to the municipality of residence on its 1st day)
-- choices: the lengths in force are chosen by the day the period began (a period begun before 1.1.2025 keeps 4 and 3 years: our reading of the transitional provision of 322/2024, not confirmed from its text); a family member (114, 115 §) whose sponsor's basis is not recorded gets the period of everyone else (2 or 3 years), never the quota refugees' longer one; an initial assessment counts as the municipality's unless the service record marks the person a jobseeker; a month is paid when its 1st day falls in the compensation period [start, end) and the person has a home municipality on that day in the residence periods (KEHA's rule), so a period starting on 15.3. is paid from April and its last month is the one it ends in (24 twelfths for 2 years either way), and a month without a registered home municipality on its 1st (no residence period, or a gap) is not paid to anyone (the client record's municipality is not a substitute); the municipality's rates by year come from peitto.toml, the county's share is 345 € (7 and over) and 342 € (under 7) a year; a payment without a recipient is the municipality's; a payment covering several months is spread over them by days; actual-cost compensations are left out (actual_cost_claims), so that a municipality's flat-rate months can be published by municipality.
-- unit: euros
-- dimensions: month (1–12 > year); recipient (KUNTA, HVA > all); compensation_type (type > all types); municipality_code (municipality > wellbeing county > whole country)
-- measures: expected_eur; paid_eur; difference = expected_eur - paid_eur
-- discrepancies: expected_eur <> paid_eur
-- privacy_unit: person_key
-- policy: ely
-- params: year
WITH
-- The months as VALUES: a table of known size, which DataFusion makes the
-- small side of the cross joins below (12 rows against each batch of
-- clients or claims), not the other way round.
months AS (
    SELECT
        make_date(CAST($year AS INT), m, 1) AS month_start,
        add_months(make_date(CAST($year AS INT), m, 1), 1) AS next_month
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS t(m)
),
recipients AS (
    SELECT recipient FROM (VALUES ('KUNTA'), ('HVA')) AS r(recipient)
),
-- The compensation period starts from the first home municipality in
-- Finland: the earliest of the residence periods and the client record's
-- home-municipality date (a later municipality records the day the person
-- moved there).
firsts AS (
    SELECT
        c.person_key,
        c.permit_basis,
        c.sponsor_permit_basis,
        c.citizenship_date,
        CASE
            WHEN MIN(r.valid_from) IS NULL THEN c.home_municipality_date
            WHEN c.home_municipality_date IS NULL THEN MIN(r.valid_from)
            ELSE least(MIN(r.valid_from), c.home_municipality_date)
        END AS first_home
    FROM integration_client c
    LEFT JOIN person_residence r ON r.person_key = c.person_key
    GROUP BY c.person_key, c.permit_basis, c.sponsor_permit_basis, c.citizenship_date, c.home_municipality_date
),
windows AS (
    SELECT
        person_key,
        first_home AS window_start,
        compensation_end(first_home, permit_basis, citizenship_date, sponsor_permit_basis) AS window_end
    FROM firsts
    WHERE first_home IS NOT NULL
),
-- Per person, month and recipient: the flat rate, to the municipality
-- whose resident the person is on the 1st of the month (KEHA's rule). A
-- month is paid when its 1st lies in the window and the person has a home
-- municipality that day; compensation_month is asked about that one month
-- alone (a window of the month itself), so it gives the month's twelfth by
-- age and the rates of the month's year.
flat_rate AS (
    SELECT
        m.month_start,
        rc.recipient,
        'LASKENNALLINEN' AS compensation_type,
        w.person_key,
        h.municipality_code,
        compensation_month(p.birth_date, m.month_start, m.month_start, m.next_month, rc.recipient) AS expected_eur,
        0.0 AS paid_eur
    FROM windows w
    JOIN person p ON p.person_key = w.person_key
    CROSS JOIN months m
    CROSS JOIN recipients rc
    JOIN person_residence h
        ON h.person_key = w.person_key
        AND h.valid_from <= m.month_start
        AND (h.valid_to IS NULL OR h.valid_to > m.month_start)
    WHERE m.month_start >= w.window_start
      AND m.month_start < w.window_end
),
-- 700 € per person for an initial assessment under the old law (1386/2010
-- 50 §) that the municipality arranged, once only, in the month the first
-- one started: the TE office assessed registered jobseekers, and those
-- earned the municipality nothing.
first_assessments AS (
    SELECT s.person_key, MIN(s.start) AS start
    FROM integration_service s
    WHERE s.kind = 'ALKUKARTOITUS'
      AND s.law = '1386/2010'
      AND NOT COALESCE(s.jobseeker, FALSE)
    GROUP BY s.person_key
),
assessments AS (
    SELECT
        make_date(CAST($year AS INT), CAST(EXTRACT(MONTH FROM f.start) AS INT), 1) AS month_start,
        'KUNTA' AS recipient,
        'ALKUKARTOITUS' AS compensation_type,
        f.person_key,
        MIN(s.municipality_code) AS municipality_code,
        700.0 AS expected_eur,
        0.0 AS paid_eur
    FROM first_assessments f
    JOIN integration_service s
        ON s.person_key = f.person_key
        AND s.start = f.start
        AND s.kind = 'ALKUKARTOITUS'
        AND s.law = '1386/2010'
        AND NOT COALESCE(s.jobseeker, FALSE)
    WHERE f.start >= make_date(CAST($year AS INT), 1, 1)
      AND f.start < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY f.person_key, f.start
),
-- KEHA's payments of the flat rate and of initial assessments, each spread
-- over the months its period (both ends counted) covers, in proportion to
-- its days in the month. What was expected comes from the windows and
-- assessments above, not from the claims.
claims AS (
    SELECT
        k.month_start,
        k.recipient,
        k.compensation_type,
        k.person_key,
        k.municipality_code,
        0.0 AS expected_eur,
        COALESCE(CAST(k.paid_eur AS DOUBLE), 0.0) * k.share AS paid_eur
    FROM (
        SELECT
            sc.compensation_type, COALESCE(sc.recipient, 'KUNTA') AS recipient, sc.person_key,
            sc.municipality_code, sc.claimed_eur, sc.paid_eur, m.month_start,
            CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), m.month_start, m.next_month, 'INCLUSIVE') AS DOUBLE)
              / CAST(care_days(sc.period_start, COALESCE(sc.period_end, sc.period_start), sc.period_start, add_months(COALESCE(sc.period_end, sc.period_start), 1), 'INCLUSIVE') AS DOUBLE) AS share
        FROM state_compensation sc
        CROSS JOIN months m
        WHERE sc.compensation_type IN ('LASKENNALLINEN', 'ALKUKARTOITUS')
          AND sc.period_start < m.next_month
          AND COALESCE(sc.period_end, sc.period_start) >= m.month_start
    ) k
),
lines AS (
    SELECT * FROM flat_rate WHERE expected_eur > 0
    UNION ALL
    SELECT * FROM assessments
    UNION ALL
    SELECT * FROM claims
),
by_type AS (
    SELECT month_start, recipient, compensation_type, municipality_code,
           SUM(expected_eur) AS expected_eur, SUM(paid_eur) AS paid_eur
    FROM lines
    GROUP BY month_start, recipient, compensation_type, municipality_code
)
SELECT
    month_start AS month,
    recipient,
    compensation_type,
    municipality_code,
    ROUND(expected_eur, 2) AS expected_eur,
    ROUND(paid_eur, 2) AS paid_eur,
    ROUND(expected_eur - paid_eur, 2) AS difference
FROM by_type
ORDER BY 1, 3, 2, 4
