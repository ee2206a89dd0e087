-- Overturn rate with its 95% Wilson interval for each DWC board specialty of the reviewers.
-- Grain: one DWC board specialty (dim_reviewer.board_specialties); a decision by a reviewer with several counts once under each.  NULL: reviewers whose letter states no specialty, or none that names a DWC board specialty (bridge_reviewer_specialty shows which specialty as written mapped to none).
-- Columns:
--   specialty      a DWC board specialty of the reviewer, as the DWC names it ('Physical Medicine & Rehabilitation')
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
CREATE OR REPLACE VIEW v_overturn_rate_by_reviewer_specialty AS
-- Counted per reviewer profile first (a few thousand groups), then split into board specialties.
WITH by_reviewer AS (
    SELECT reviewer_key, count(*) AS decisions, sum(overturned) AS overturned
    FROM fact_decision
    GROUP BY reviewer_key
),
counts AS (
    SELECT specialty,
           CAST(sum(decisions) AS BIGINT) AS decisions,
           CAST(sum(overturned) AS BIGINT) AS overturned
    FROM (SELECT unnest(CASE WHEN reviewer.board_specialties = '' THEN ARRAY[NULL::VARCHAR]
                             ELSE string_to_array(reviewer.board_specialties, '; ') END) AS specialty,
                 by_reviewer.decisions,
                 by_reviewer.overturned
          FROM by_reviewer
          JOIN dim_reviewer AS reviewer ON reviewer.reviewer_key = by_reviewer.reviewer_key) AS by_specialty
    GROUP BY specialty
)
SELECT specialty,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high
FROM counts
ORDER BY specialty;
