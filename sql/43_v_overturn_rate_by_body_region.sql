-- Overturn rate with its 95% Wilson interval for each body region the disputed services name.
-- Grain: one body region (vocab/regions.csv); NULL: the service and its guidelines name none.
-- Columns:
--   body_region    the region's key
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
--   label          the region's label
--   region_group   spine, upper_extremity, lower_extremity, trunk, head or multiple
CREATE OR REPLACE VIEW v_overturn_rate_by_body_region AS
-- Counted per region key first, then labelled.
WITH by_region AS (
    SELECT body_region_key, count(*) AS decisions, sum(overturned) AS overturned
    FROM fact_decision
    GROUP BY body_region_key
),
counts AS (
    SELECT region.body_region,
           region.label,
           region.region_group,
           CAST(sum(by_region.decisions) AS BIGINT) AS decisions,
           CAST(sum(by_region.overturned) AS BIGINT) AS overturned
    FROM by_region
    LEFT JOIN dim_body_region AS region ON region.body_region_key = by_region.body_region_key
    GROUP BY region.body_region, region.label, region.region_group
)
SELECT body_region,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high,
       label,
       region_group
FROM counts
ORDER BY body_region;
