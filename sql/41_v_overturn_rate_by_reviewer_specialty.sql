-- Overturn rate with its 95% Wilson interval for each specialty of the reviewers.
-- Grain: one reviewer specialty; a decision by a reviewer with several specialties counts once under each (NULL: none stated).
-- Columns:
--   specialty      a specialty of the reviewer, as the letters name it
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
CREATE OR REPLACE VIEW v_overturn_rate_by_reviewer_specialty AS
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
),
-- Wilson score interval of a proportion p = k / n at z = 1.96 (95%); exactly 0 / 1 at k = 0 / k = n.
wilson AS (
    SELECT *, overturned::DOUBLE / decisions AS p, decisions::DOUBLE AS n, 1.96::DOUBLE AS z
    FROM counts
)
SELECT specialty,
       decisions,
       overturned,
       p AS overturn_rate,
       CASE WHEN overturned = 0 THEN 0.0
            ELSE (p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
       END AS ci_low,
       CASE WHEN overturned = decisions THEN 1.0
            ELSE (p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
       END AS ci_high
FROM wilson
ORDER BY specialty;
