-- Overturn rate with its 95% Wilson interval for each specialty of the reviewers.
-- Grain: one reviewer specialty; a decision by a reviewer with several specialties counts once under each (NULL: none stated).
-- Columns:
--   specialty      a specialty of the reviewer, as the letters name it
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
CREATE OR REPLACE VIEW old_v_overturn_rate_by_reviewer_specialty AS
WITH counts AS (
    SELECT specialty,
           count(*) AS decisions,
           sum(overturned)::BIGINT AS overturned
    FROM (SELECT unnest(CASE WHEN r.specialties = '' THEN [NULL::VARCHAR]
                             ELSE string_split(r.specialties, '; ') END) AS specialty,
                 d.overturned
          FROM fact_decision AS d
          JOIN dim_reviewer AS r ON r.reviewer_key = d.reviewer_key) AS by_specialty
    GROUP BY specialty
)
SELECT specialty,
       decisions,
       overturned,
       overturned::DOUBLE / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE, decisions::DOUBLE) AS ci_low,
       wilson_high(overturned::DOUBLE, decisions::DOUBLE) AS ci_high
FROM counts
ORDER BY specialty;
