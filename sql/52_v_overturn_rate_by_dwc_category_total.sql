-- Decisions and overturn rate with its 95% Wilson interval for each top-level DWC category: the roll-up the DWC's annual reports quote.
-- Grain: one dwc_category (all its subcategories together); 'Unclassified': items no rule fits.
-- Columns:
--   dwc_category        the DWC's treatment request category: Pharmaceuticals, Surgery, DMEPOS, …
--   decisions           decisions in the category
--   share_of_decisions  decisions / all decisions (the category's share of the IMR caseload)
--   overturned          of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate       overturned / decisions
--   ci_low              lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high             upper bound of that interval
CREATE OR REPLACE VIEW v_overturn_rate_by_dwc_category_total AS
WITH counts AS (
    SELECT dwc_category,
           CAST(count(*) AS BIGINT) AS decisions,
           CAST(sum(overturned) AS BIGINT) AS overturned
    FROM fact_decision
    GROUP BY dwc_category
)
SELECT dwc_category,
       decisions,
       decisions::DOUBLE PRECISION / sum(decisions) OVER () AS share_of_decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high
FROM counts
ORDER BY dwc_category;
