-- Overturn rate with its 95% Wilson interval for the decisions that cite each guideline document, by who cites it.
-- Grain: one (cited_by, guideline_id): a canonical document and edition, however the letters spell it; a decision counts once per document its citer cites, whatever the spelling, topic or pages.
-- Columns:
--   cited_by       claims_administrator or reviewer
--   source         the document's source: MTUS, ODG, ACOEM, AMA or OTHER
--   document       the canonical document's name (dim_guideline_document; ODG's chapters share ODG's)
--   guideline_id   the canonical document and edition, 'mtus/chronic-pain/2016', 'odg/low-back'
--   label          how to show it: source, name, chapter and edition ('ODG Low Back - Lumbar & Thoracic (Acute & Chronic)', 'MTUS Low Back Complaints (ACOEM ch. 12, 2004)')
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
-- The counts are kept by the load in agg_guideline_document (revisions 0003,
-- 0004; `imr-etl check` asserts they equal their recomputation from the citations).
CREATE OR REPLACE VIEW v_overturn_rate_by_guideline AS
WITH counts AS (
    SELECT kept.cited_by, kept.source, kept.document, kept.guideline_id, catalogue.label, kept.decisions, kept.overturned
    FROM agg_guideline_document AS kept
    JOIN dim_guideline_document AS catalogue ON catalogue.guideline_id = kept.guideline_id
)
SELECT cited_by,
       source,
       document,
       guideline_id,
       label,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high
FROM counts
ORDER BY cited_by, source, document, guideline_id;
