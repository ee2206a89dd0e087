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
CREATE OR REPLACE VIEW old_v_overturn_rate_by_body_region AS
WITH counts AS (
    SELECT b.body_region,
           b.label,
           b.region_group,
           count(*) AS decisions,
           sum(d.overturned)::BIGINT AS overturned
    FROM fact_decision AS d
    LEFT JOIN dim_body_region AS b ON b.body_region_key = d.body_region_key
    GROUP BY b.body_region, b.label, b.region_group
)
SELECT body_region,
       decisions,
       overturned,
       overturned::DOUBLE / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE, decisions::DOUBLE) AS ci_low,
       wilson_high(overturned::DOUBLE, decisions::DOUBLE) AS ci_high,
       label,
       region_group
FROM counts
ORDER BY body_region;
