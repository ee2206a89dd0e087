-- Overturn rate with its 95% Wilson interval for the decisions that cite each guideline document, by who cites it.
-- Grain: one (cited_by, guideline_id); a decision counts once per canonical document its citer cites, whatever the spelling, topic or pages.
-- Columns:
--   cited_by       claims_administrator or reviewer
--   source         MTUS, ODG, ACOEM, AMA or OTHER
--   document       the guideline document
--   guideline_id   the canonical document
--   label          its label
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
CREATE OR REPLACE VIEW old_v_overturn_rate_by_guideline AS
WITH counts AS (
    SELECT c.cited_by,
           c.source,
           c.document,
           c.guideline_id,
           g.label,
           count(*) AS decisions,
           sum(d.overturned)::BIGINT AS overturned
    FROM (SELECT DISTINCT decision_key, cited_by, guideline_id, source, document FROM old_stg_citations) AS c
    JOIN fact_decision AS d ON d.decision_key = c.decision_key
    JOIN dim_guideline_document AS g ON g.guideline_id = c.guideline_id
    GROUP BY c.cited_by, c.guideline_id, c.source, c.document, g.label
)
SELECT cited_by,
       source,
       document,
       guideline_id,
       label,
       decisions,
       overturned,
       overturned::DOUBLE / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE, decisions::DOUBLE) AS ci_low,
       wilson_high(overturned::DOUBLE, decisions::DOUBLE) AS ci_high
FROM counts
ORDER BY cited_by, source, document, guideline_id;
