-- Letters and decisions by the month of their decision, with the overturn rate and the case outcomes as the DWC reports them.
-- Grain: one calendar month of decision dates (month NULL: letters without a decision date).
-- Columns:
--   month                         first day of the month of the decision date
--   letters                       letters decided in the month
--   decisions                     disputed items decided in those letters
--   overturned                    of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate                 overturned / decisions
--   ci_low                        lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high                       upper bound of that interval
--   letters_upheld                letters whose every item was upheld (the DWC's case outcome Uphold)
--   letters_overturned            letters whose every item was overturned (Overturn)
--   letters_partially_overturned  letters with items of both decisions (Partial Overturn)
-- Read from dim_letter's kept counts: no decision row is read.
CREATE OR REPLACE VIEW v_outcomes_by_month AS
WITH letters AS (
    SELECT CAST(date_trunc('month', decision_date) AS DATE) AS month,
           decision_count,
           overturned_count
    FROM dim_letter
),
counts AS (
    SELECT month,
           count(*) AS letters,
           CAST(sum(decision_count) AS BIGINT) AS decisions,
           CAST(sum(overturned_count) AS BIGINT) AS overturned,
           count(CASE WHEN overturned_count = 0 THEN 1 END) AS letters_upheld,
           count(CASE WHEN overturned_count = decision_count THEN 1 END) AS letters_overturned,
           count(CASE WHEN overturned_count > 0 AND overturned_count < decision_count THEN 1 END)
               AS letters_partially_overturned
    FROM letters
    GROUP BY month
)
SELECT month,
       letters,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high,
       letters_upheld,
       letters_overturned,
       letters_partially_overturned
FROM counts
ORDER BY month;
