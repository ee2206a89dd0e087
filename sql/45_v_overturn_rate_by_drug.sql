-- Overturn rate with its 95% Wilson interval for each drug the Pharmaceuticals decisions name, by DWC drug class.
-- Grain: one (drug_class, drug_generic) of the decisions the DWC files under Pharmaceuticals (dim_drug); NULL, NULL: a Pharmaceuticals item that names no drug the vocabulary knows ("Medications", "Compound cream").
-- Columns:
--   drug_class     the DWC drug class: Opioids, NSAID, Muscle Relaxant, Topical Compounds, …
--   drug_generic   the generic ingredient(s), lower case, '/'-joined: 'hydrocodone/acetaminophen'
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
CREATE OR REPLACE VIEW v_overturn_rate_by_drug AS
-- Counted per drug key first, then named.
WITH by_drug AS (
    SELECT drug_key, count(*) AS decisions, sum(overturned) AS overturned
    FROM fact_decision
    WHERE dwc_category = 'Pharmaceuticals'
    GROUP BY drug_key
),
counts AS (
    SELECT drug.drug_class,
           drug.generic AS drug_generic,
           CAST(sum(by_drug.decisions) AS BIGINT) AS decisions,
           CAST(sum(by_drug.overturned) AS BIGINT) AS overturned
    FROM by_drug
    LEFT JOIN dim_drug AS drug ON drug.drug_key = by_drug.drug_key
    GROUP BY drug.drug_class, drug.generic
)
SELECT drug_class,
       drug_generic,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high
FROM counts
ORDER BY drug_class, drug_generic;
