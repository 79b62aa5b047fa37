-- id: notifications_and_children
-- title.fi: Lastensuojeluilmoitukset ja lapset, joita ne koskivat
-- title.sv: Barnskyddsanmälningar och barnen de gällde
-- title.en: Child-welfare notifications and the children they concerned
-- description: Child-welfare notifications (lastensuojeluilmoitus, LsL 25 §) received during the year and the distinct children they concerned, by the child's home municipality on 31.12., with the population aged 0–17 on 31.12. and the children as a percentage of it. THL's summary collection reports the number of notifications and the number of children they concern, and Sotkanet the share of 0–17-year-olds with a notification.
-- source: THL, Lastensuojelu (SVT), summary collection (yhteenvetotiedonkeruu: lastensuojeluilmoitukset ja lapset, joita ne koskivat), https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu/lastensuojelu; quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/lastensuojelu
-- choices: a notification counts in the year it was received; only notifications count (opened_by ILMOITUS or not recorded), not applications, other contacts or assessments of children needing special support (SHL 36 §); area = the child's home municipality on 31.12. from the residence periods, else the municipality of the child's latest notification; no age limit on the children counted (notifications concern children), the population is those aged 0–17.
-- unit: notifications; persons; percent of population
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: notifications; children = distinct person_key; population = 0–17 on 31.12.; percent = 100 × children / population
-- privacy_unit: person_key
-- policy: thl
-- params: year
WITH notified AS (
    SELECT
        person_key,
        COUNT(*) AS notifications,
        split_part(MAX(CAST(received_date AS VARCHAR) || chr(1) || municipality_code), chr(1), 2) AS notified_code
    FROM cw_notification
    -- Only notifications: not applications, other contacts or assessments
    -- of children needing special support kept in the same register.
    WHERE COALESCE(opened_by, 'ILMOITUS') = 'ILMOITUS'
      AND received_date >= make_date(CAST($year AS INT), 1, 1)
      AND received_date < make_date(CAST($year AS INT) + 1, 1, 1)
    GROUP BY person_key
),
-- Home municipality on 31.12.: the latest residence period starting on or before it.
home AS (
    SELECT
        person_key,
        split_part(MAX(CAST(valid_from AS VARCHAR) || chr(1) || municipality_code), chr(1), 2) AS home_code
    FROM person_residence
    WHERE valid_from <= make_date(CAST($year AS INT), 12, 31)
    GROUP BY person_key
),
counted AS (
    SELECT
        COALESCE(h.home_code, n.notified_code) AS municipality_code,
        SUM(n.notifications) AS notifications,
        COUNT(*) AS children
    FROM notified n
    LEFT JOIN home h ON h.person_key = n.person_key
    GROUP BY COALESCE(h.home_code, n.notified_code)
),
pop AS (
    SELECT area_code, SUM(persons) AS population
    FROM area_population
    WHERE year = CAST($year AS BIGINT) AND age BETWEEN 0 AND 17
    GROUP BY area_code
)
SELECT
    c.municipality_code,
    c.notifications,
    c.children,
    pop.population,
    ROUND(100.0 * c.children / pop.population, 2) AS percent
FROM counted c
LEFT JOIN pop ON pop.area_code = c.municipality_code
ORDER BY c.municipality_code
