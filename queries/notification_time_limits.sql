-- id: notification_time_limits
-- title.fi: Lastensuojeluasioiden käsittely lakisääteisissä määräajoissa
-- title.sv: Behandling av barnskyddsärenden inom de lagstadgade tidsfristerna
-- title.en: Child-welfare matters handled within the statutory time limits
-- description: THL's twice-yearly follow-up of the time limits of the Child Welfare Act (LsL 26 §) for the period [from, until) (THL collects 1.4.–30.9. and 1.10.–31.3.). 7 working days: notifications received in the period and how many were decided within 7 working days (the day of receipt not counted). 3 months: service-needs assessments completed in the period, whenever the matter was opened, and how many were completed within 3 months of the day the matter was opened (the receipt of its first notification). The unit of the 3-month figure is the matter: notifications of the same child that led to one assessment count once.
-- source: Lastensuojelulaki 417/2007 26 §; THL, Lastensuojelun määräaikojen seuranta, https://thl.fi/tilastot-ja-data/ohjeet-tietojen-toimittamiseen/lastensuojelun-maaraaikojen-seuranta; Laki säädettyjen määräaikain laskemisesta 150/1930 5 §
-- choices: working days = not Saturday, Sunday or a public holiday, and not Christmas Eve or Midsummer Eve (rule EVES_OFF of working_days_after, after 150/1930 5 §; EVES_WORKING counts the Eves as working days); a matter is one child's notifications with the same assessment completion day, opened on the earliest receipt among them; a matter is counted under the municipality of its first notification; assessments opened without a notification (children needing special support, LsL 26 §) are not in the register model yet and are missing from the 3-month figure.
-- unit: notifications; matters; percent
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: notifications = notifications received in the period; decided_in_7 = decided within 7 working days; decided_in_7_percent; assessments_completed = matters whose assessment was completed in the period; completed_in_3_months = of them completed within 3 months; completed_in_3_months_percent
-- privacy_unit: person_key
-- policy: thl
-- params: from, until
WITH received AS (
    SELECT
        person_key,
        municipality_code,
        1 AS notification,
        CASE WHEN decision_date IS NOT NULL
              AND working_days_after(received_date, decision_date, 'EVES_OFF') <= 7 THEN 1 ELSE 0 END AS decided_in_7,
        0 AS completed,
        0 AS completed_in_3
    FROM cw_notification
    WHERE received_date >= CAST($from AS DATE) AND received_date < CAST($until AS DATE)
),
-- One row per matter completed in the period: the child's notifications
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
    SELECT person_key, municipality_code, notification, decided_in_7, completed, completed_in_3 FROM received
    UNION ALL
    SELECT
        person_key, municipality_code, 0, 0, 1,
        CASE WHEN assessment_end <= add_months(opened, 3) THEN 1 ELSE 0 END
    FROM matters
)
SELECT
    municipality_code,
    SUM(notification) AS notifications,
    SUM(decided_in_7) AS decided_in_7,
    ROUND(100.0 * SUM(decided_in_7) / NULLIF(SUM(notification), 0), 1) AS decided_in_7_percent,
    SUM(completed) AS assessments_completed,
    SUM(completed_in_3) AS completed_in_3_months,
    ROUND(100.0 * SUM(completed_in_3) / NULLIF(SUM(completed), 0), 1) AS completed_in_3_months_percent
FROM lines
GROUP BY municipality_code
ORDER BY municipality_code
