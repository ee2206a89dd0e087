-- Overturn rate with its 95% Wilson interval for each category and subcategory of the DWC's own classification.
-- Grain: one (dwc_category, dwc_subcategory) that has decisions (docs/dwc-taxonomy.md): the terms of the DWC's IMR decision search and annual reports, to compare with theirs.  'Unclassified': an item no rule fits.
-- Columns:
--   dwc_category     the DWC's treatment request category: Pharmaceuticals, Surgery, DMEPOS, …
--   dwc_subcategory  its subcategory, 'Imaging › Radiology' (NULL: the category has none)
--   decisions        decisions in the group
--   overturned       of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate    overturned / decisions
--   ci_low           lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high          upper bound of that interval
CREATE OR REPLACE VIEW old_v_overturn_rate_by_dwc_category AS
WITH counts AS (
    SELECT dwc_category,
           dwc_subcategory,
           CAST(count(*) AS BIGINT) AS decisions,
           CAST(sum(overturned) AS BIGINT) AS overturned
    FROM fact_decision
    GROUP BY dwc_category, dwc_subcategory
)
SELECT dwc_category,
       dwc_subcategory,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high
FROM counts
ORDER BY dwc_category, dwc_subcategory;
