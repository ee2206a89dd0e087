-- Overturn rate with its 95% Wilson interval for each treatment category and subcategory.
-- Grain: one treatment subcategory of the taxonomy (vocab/taxonomy.csv) that has decisions.
-- Columns:
--   treatment_category     taxonomy category
--   treatment_subcategory  taxonomy subcategory
--   decisions              decisions in the group
--   overturned             of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate          overturned / decisions
--   ci_low                 lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high                upper bound of that interval
--   treatment_label        the subcategory's label
CREATE OR REPLACE VIEW v_overturn_rate_by_treatment AS
WITH counts AS (
    SELECT s.treatment_category,
           s.treatment_subcategory,
           s.subcategory_label,
           count(*) AS decisions,
           sum(d.overturned)::BIGINT AS overturned
    FROM fact_decision AS d
    JOIN dim_service AS s ON s.service_key = d.service_key
    GROUP BY s.treatment_category, s.treatment_subcategory, s.subcategory_label
),
-- Wilson score interval of a proportion p = k / n at z = 1.96 (95%); exactly 0 / 1 at k = 0 / k = n.
wilson AS (
    SELECT *, overturned::DOUBLE / decisions AS p, decisions::DOUBLE AS n, 1.96::DOUBLE AS z
    FROM counts
)
SELECT treatment_category,
       treatment_subcategory,
       decisions,
       overturned,
       p AS overturn_rate,
       CASE WHEN overturned = 0 THEN 0.0
            ELSE (p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
       END AS ci_low,
       CASE WHEN overturned = decisions THEN 1.0
            ELSE (p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
       END AS ci_high,
       subcategory_label AS treatment_label
FROM wilson
ORDER BY treatment_category, treatment_subcategory;
