-- id: notification_time_limits
-- title.fi: Lastensuojeluilmoitusten käsittely määräajassa
-- title.sv: Behandling av barnskyddsanmälningar inom tidsfristerna
-- title.en: Child-welfare notifications handled within the time limits
-- description: Notifications received in the period [from, until) (THL collects 1.4.–30.9. and 1.10.–31.3.): how many were decided within 7 working days (the day of receipt not counted, Saturdays and holidays excluded) and how many assessments were completed within 3 months of receipt (LsL 26 §). domain.md, report 7.
-- unit: notifications; percent
-- dimensions: municipality_code (municipality > wellbeing county > whole country)
-- measures: notifications; decided_in_7 = decided within 7 working days; decided_in_7_percent; assessments = notifications leading to an assessment; assessed_in_3_months
-- privacy_unit: person_key
-- policy: thl
-- params: from, until
SELECT
    municipality_code,
    COUNT(*) AS notifications,
    SUM(CASE WHEN decision_date IS NOT NULL AND working_days_after(received_date, decision_date) <= 7 THEN 1 ELSE 0 END) AS decided_in_7,
    ROUND(100.0 * SUM(CASE WHEN decision_date IS NOT NULL AND working_days_after(received_date, decision_date) <= 7 THEN 1 ELSE 0 END) / COUNT(*), 1) AS decided_in_7_percent,
    SUM(CASE WHEN outcome = 'SELVITYS' THEN 1 ELSE 0 END) AS assessments,
    SUM(CASE WHEN outcome = 'SELVITYS' AND assessment_end IS NOT NULL AND assessment_end <= add_months(received_date, 3) THEN 1 ELSE 0 END) AS assessed_in_3_months
FROM cw_notification
WHERE received_date >= CAST($from AS DATE) AND received_date < CAST($until AS DATE)
GROUP BY municipality_code
ORDER BY municipality_code
