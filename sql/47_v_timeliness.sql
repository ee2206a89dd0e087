-- How long decisions took, against the statutory limits, by month of decision and priority.
-- Grain: one (month of the decision date, priority) (NULL month: no decision date; NULL priority: none stated).
-- The IMR organisation must decide within 30 days of receiving the request and its documents (Standard),
-- 3 days when Expedited (Labor Code 4610.6(d)). The letters do not state when the documents arrived, so the
-- limit is counted from the date the case was assigned to the review organisation (Date Assigned).
-- A missing date leaves its letter out of that measure only.
-- Columns:
--   month                           first day of the month of the decision date
--   priority                        Standard or Expedited, as the header states it
--   letters                         letters in the group
--   median_days_from_application    median days from Application Received to the decision
--   p90_days_from_application       90th percentile of those days
--   median_days_from_assignment     median days from Date Assigned to the decision
--   p90_days_from_assignment        90th percentile of those days
--   median_days_from_ur_denial      median days from the UR denial to the decision
--   p90_days_from_ur_denial         90th percentile of those days
--   statutory_limit_days            30 for Standard, 3 for Expedited (NULL: priority unknown)
--   letters_timed                   letters with a Date Assigned, a decision date and a known limit
--   decided_within_limit            of those, decided within the limit of their priority
--   share_within_limit              decided_within_limit / letters_timed (NULL: none timed)
CREATE OR REPLACE VIEW v_timeliness AS
WITH letters AS (
    SELECT CAST(date_trunc('month', decision_date) AS DATE) AS month,
           priority,
           CASE lower(priority) WHEN 'standard' THEN 30 WHEN 'expedited' THEN 3 END AS limit_days,
           decision_date - application_received AS days_from_application,
           decision_date - date_assigned AS days_from_assignment,
           decision_date - ur_denial_date AS days_from_ur_denial
    FROM dim_letter
),
counts AS (
    SELECT month,
           priority,
           count(*) AS letters,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days_from_application) AS median_days_from_application,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days_from_application) AS p90_days_from_application,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days_from_assignment) AS median_days_from_assignment,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days_from_assignment) AS p90_days_from_assignment,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days_from_ur_denial) AS median_days_from_ur_denial,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days_from_ur_denial) AS p90_days_from_ur_denial,
           max(limit_days) AS statutory_limit_days,
           count(CASE WHEN days_from_assignment IS NOT NULL AND limit_days IS NOT NULL THEN 1 END) AS letters_timed,
           count(CASE WHEN days_from_assignment <= limit_days THEN 1 END) AS decided_within_limit
    FROM letters
    GROUP BY month, priority
)
SELECT month,
       priority,
       letters,
       median_days_from_application,
       p90_days_from_application,
       median_days_from_assignment,
       p90_days_from_assignment,
       median_days_from_ur_denial,
       p90_days_from_ur_denial,
       statutory_limit_days,
       letters_timed,
       decided_within_limit,
       decided_within_limit::DOUBLE PRECISION / NULLIF(letters_timed, 0) AS share_within_limit
FROM counts
ORDER BY month, priority;
