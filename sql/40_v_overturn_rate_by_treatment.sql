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
-- Counted per service key first (a few thousand groups), then per subcategory.
WITH by_service AS (
    SELECT service_key, count(*) AS decisions, sum(overturned) AS overturned
    FROM fact_decision
    GROUP BY service_key
),
counts AS (
    SELECT service.treatment_category,
           service.treatment_subcategory,
           service.subcategory_label,
           CAST(sum(by_service.decisions) AS BIGINT) AS decisions,
           CAST(sum(by_service.overturned) AS BIGINT) AS overturned
    FROM by_service
    JOIN dim_service AS service ON service.service_key = by_service.service_key
    GROUP BY service.treatment_category, service.treatment_subcategory, service.subcategory_label
)
SELECT treatment_category,
       treatment_subcategory,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high,
       subcategory_label AS treatment_label
FROM counts
ORDER BY treatment_category, treatment_subcategory;
