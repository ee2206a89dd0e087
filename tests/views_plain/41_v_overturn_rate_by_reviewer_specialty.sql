-- Overturn rate with its 95% Wilson interval for each DWC board specialty of the reviewers.
-- Grain: one DWC board specialty; a decision counts once under each of its reviewer's (NULL: none).
-- Columns:
--   specialty      a DWC board specialty of the reviewer (from bridge_reviewer_specialty)
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
CREATE OR REPLACE VIEW old_v_overturn_rate_by_reviewer_specialty AS
-- From the bridge's rows, not dim_reviewer.board_specialties as the view reads them
WITH boards AS (
    SELECT DISTINCT reviewer_key, board_specialty FROM bridge_reviewer_specialty WHERE board_specialty IS NOT NULL
),
counts AS (
    SELECT b.board_specialty AS specialty,
           count(*) AS decisions,
           sum(d.overturned)::BIGINT AS overturned
    FROM fact_decision AS d
    LEFT JOIN boards AS b ON b.reviewer_key = d.reviewer_key
    GROUP BY b.board_specialty
)
SELECT specialty,
       decisions,
       overturned,
       overturned::DOUBLE / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE, decisions::DOUBLE) AS ci_low,
       wilson_high(overturned::DOUBLE, decisions::DOUBLE) AS ci_high
FROM counts
ORDER BY specialty;
