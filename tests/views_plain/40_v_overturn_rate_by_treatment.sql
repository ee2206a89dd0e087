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
CREATE OR REPLACE VIEW old_v_overturn_rate_by_treatment AS
WITH counts AS (
    SELECT s.treatment_category,
           s.treatment_subcategory,
           s.subcategory_label,
           count(*) AS decisions,
           sum(d.overturned)::BIGINT AS overturned
    FROM fact_decision AS d
    JOIN dim_service AS s ON s.service_key = d.service_key
    GROUP BY s.treatment_category, s.treatment_subcategory, s.subcategory_label
)
SELECT treatment_category,
       treatment_subcategory,
       decisions,
       overturned,
       overturned::DOUBLE / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE, decisions::DOUBLE) AS ci_low,
       wilson_high(overturned::DOUBLE, decisions::DOUBLE) AS ci_high,
       subcategory_label AS treatment_label
FROM counts
ORDER BY treatment_category, treatment_subcategory;
