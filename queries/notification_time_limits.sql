-- id: notification_time_limits
-- title.fi: Lastensuojeluasioiden käsittely lakisääteisissä määräajoissa
-- title.sv: Behandling av barnskyddsärenden inom de lagstadgade tidsfristerna
-- title.en: Child-welfare matters handled within the statutory time limits
-- description: THL's twice-yearly follow-up of the time limits of the Child Welfare Act (LsL 26 §) for the period [from, until) (THL collects 1.4.–30.9. and 1.10.–31.3.). The unit of both figures is the matter, not the notification: a child-welfare matter or the assessment of a child needing special support (SHL 36 §). 7 working days: matters opened in the period (a notification, other contact or special-support assessment received in it that did not arrive during an open matter of the same child) and how many of them were decided within 7 working days of the receipt (the day of receipt not counted). 3 months: service-needs assessments completed in the period, whenever the matter was opened, and how many were completed within 3 months of the day the matter was opened (the receipt of its first notification).
-- source: Lastensuojelulaki 417/2007 26 §; Sosiaalihuoltolaki 1301/2014 36 §; THL, Lastensuojelun käsittelyajat, https://thl.fi/tilastot-ja-data/tilastot-aiheittain/lapset-nuoret-ja-perheet/lastensuojelu/lastensuojelun-kasittelyajat; THL, Lastensuojelun määräaikojen seuranta (Lastensuojelun käsittelyajat), https://thl.fi/tilastot-ja-data/ohjeet-tietojen-toimittamiseen/lastensuojelun-maaraaikojen-seuranta; quality description https://thl.fi/tilastot-ja-data/aineistot-ja-palvelut/tilastojen-laatu-ja-periaatteet/laatuselosteet/lastensuojelun-kasittelyajat; Laki säädettyjen määräaikain laskemisesta 150/1930 5 §
-- choices: the 7-working-day limit by the parameter working_day_rule: STATUTORY (default) = the Act on the Calculation of Statutory Time Limits 150/1930: Saturdays, Sundays and public holidays do not count, Christmas Eve and Midsummer Eve inside the limit do (THL's handbook: "Arkipäivänä ei pidetä pyhäpäiviä eikä arkilauantaita"), and a limit whose 7th working day falls on an Eve ends on the next working day (5 §); EVES_OFF counts working days with the Eves as days off throughout, EVES_WORKING with the Eves as working days (a decision on a day off after the 7th working day then counts as in time); a release binds no value, and the default applies; any other value gives no 7-day figure (NULL), not a guess. The 3-month limit ends 3 calendar months after the matter was opened, moved to the next working day when that is a Saturday, Sunday, public holiday or Eve (150/1930 5 §). A matter is opened by a notification unless the same child's earlier notification still had an open matter when it arrived: decided later, or undecided, or with an assessment (SELVITYS) completed later or not yet completed; such a notification belongs to that matter and is not counted again. A notification about a child who is already a child-welfare client (outcome ASIAKKUUS_JO) opens no matter: it is handled within the client relationship and is neither counted nor late, whether or not it has a decision date. A matter with no decision date is not decided within 7 working days. The 3-month matter is one child's notifications with the same assessment completion day, opened on the earliest receipt among them; a matter is counted under the municipality of its first notification; assessments of children needing special support opened without a notification (SHL 36 §, opened_by ERITYINEN_TUKI) are matters in both figures, opened on their contact day, as in THL's release ("lastensuojelutarpeen tai erityistä tukea tarvitsevan lapsen palvelutarpeen arvioinnin käsittely alkoi … seitsemän arkipäivän kuluessa"); a matter opened by an application or another contact (MUU_YHTEYDENOTTO) counts like one opened by a notification; an empty opened_by is a notification.
-- unit: matters; percent
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: matters_opened = matters opened in the period; decided_in_7 = of them decided within 7 working days; decided_in_7_percent; assessments_completed = matters whose assessment was completed in the period; completed_in_3_months = of them completed within 3 months; completed_in_3_months_percent
-- of_which: decided_in_7 < matters_opened; completed_in_3_months < assessments_completed
-- privacy_unit: person_key
-- policy: thl
-- params: from, until, working_day_rule
WITH rule AS (
    -- A release binds a parameter it has no value for to its own name: the
    -- default rule then applies.
    SELECT CASE WHEN CAST($working_day_rule AS VARCHAR) = 'working_day_rule' THEN 'STATUTORY'
                ELSE CAST($working_day_rule AS VARCHAR) END AS name
),
-- Notifications, other contacts and assessments of children needing
-- special support (SHL 36 §) that can open a matter: not about an existing
-- client.
candidates AS (
    SELECT notification_id, person_key, received_date, decision_date, outcome, assessment_end, municipality_code
    FROM cw_notification
    WHERE outcome IS NULL OR outcome <> 'ASIAKKUUS_JO'
),
-- Notifications in the period that arrived while an earlier notification of
-- the same child still had an open matter: decided after the arrival (or
-- undecided), or with an assessment completed after it (or not yet).
absorbed AS (
    SELECT DISTINCT n.notification_id
    FROM candidates n
    JOIN candidates o ON o.person_key = n.person_key
    WHERE n.received_date >= CAST($from AS DATE) AND n.received_date < CAST($until AS DATE)
      AND (o.received_date < n.received_date
           OR (o.received_date = n.received_date AND o.notification_id < n.notification_id))
      AND CASE WHEN o.outcome = 'SELVITYS'
               THEN COALESCE(o.assessment_end, DATE '9999-12-31') > n.received_date
               ELSE COALESCE(o.decision_date, DATE '9999-12-31') > n.received_date END
),
opened AS (
    SELECT
        c.person_key,
        c.municipality_code,
        1 AS matter,
        CASE WHEN c.decision_date IS NOT NULL
              AND CASE WHEN r.name = 'STATUTORY' THEN c.decision_date <= time_limit_end(c.received_date, 7)
                       ELSE working_days_after(c.received_date, c.decision_date, r.name) <= 7 END
             THEN 1 ELSE 0 END AS decided_in_7,
        0 AS completed,
        0 AS completed_in_3
    FROM candidates c
    CROSS JOIN rule r
    LEFT JOIN absorbed a ON a.notification_id = c.notification_id
    WHERE c.received_date >= CAST($from AS DATE) AND c.received_date < CAST($until AS DATE)
      AND a.notification_id IS NULL
),
-- One row per matter completed in the period: the child's notifications
-- (and contacts, and assessments of children needing special support)
-- that share the assessment's completion day, opened by the earliest.
matters AS (
    SELECT
        person_key,
        assessment_end,
        MIN(received_date) AS opened,
        split_part(MIN(CAST(received_date AS VARCHAR) || chr(1) || municipality_code), chr(1), 2) AS municipality_code
    FROM cw_notification
    WHERE assessment_end IS NOT NULL
      AND assessment_end >= CAST($from AS DATE) AND assessment_end < CAST($until AS DATE)
    GROUP BY person_key, assessment_end
),
lines AS (
    SELECT person_key, municipality_code, matter, decided_in_7, completed, completed_in_3 FROM opened
    UNION ALL
    SELECT
        person_key, municipality_code, 0, 0, 1,
        CASE WHEN assessment_end <= deadline_day(add_months(opened, 3)) THEN 1 ELSE 0 END
    FROM matters
)
-- An unknown working-day rule (working_days_after gives NULL) leaves the
-- 7-day figure empty rather than counting every matter as late.
SELECT
    l.municipality_code,
    SUM(l.matter) AS matters_opened,
    CASE WHEN r.name IN ('STATUTORY', 'EVES_OFF', 'EVES_WORKING') THEN SUM(l.decided_in_7) END AS decided_in_7,
    CASE WHEN r.name IN ('STATUTORY', 'EVES_OFF', 'EVES_WORKING')
         THEN ROUND(100.0 * SUM(l.decided_in_7) / NULLIF(SUM(l.matter), 0), 1) END AS decided_in_7_percent,
    SUM(l.completed) AS assessments_completed,
    SUM(l.completed_in_3) AS completed_in_3_months,
    ROUND(100.0 * SUM(l.completed_in_3) / NULLIF(SUM(l.completed), 0), 1) AS completed_in_3_months_percent
FROM lines l
CROSS JOIN rule r
GROUP BY l.municipality_code, r.name
ORDER BY l.municipality_code
