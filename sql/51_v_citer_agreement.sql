-- Whether the expert reviewer cites a guideline document the claims administrator cited, and the overturn rate either way, by DWC category.
-- Grain: one DWC category (dwc_category).
-- A decision agrees when the two parties cite at least one canonical guideline document in common
-- (guideline_id: however each spells it); it disagrees when both cite guidelines, none in common;
-- it is one-sided when either cites none.
-- Columns:
--   dwc_category                the DWC's category of the items
--   decisions                   decisions in the category
--   agreeing                    decisions where both parties cite a document in common
--   agreeing_overturned         of which overturned
--   agreeing_overturn_rate      agreeing_overturned / agreeing (NULL: none agree)
--   agreeing_ci_low             lower bound of the 95% Wilson score interval of agreeing_overturn_rate
--   agreeing_ci_high            upper bound of that interval
--   disagreeing                 decisions where both parties cite guidelines but none in common
--   disagreeing_overturned      of which overturned
--   disagreeing_overturn_rate   disagreeing_overturned / disagreeing (NULL: none disagree)
--   disagreeing_ci_low          lower bound of the 95% Wilson score interval of disagreeing_overturn_rate
--   disagreeing_ci_high         upper bound of that interval
--   one_sided                   decisions where a party cites no guideline
-- fact_decision.shared_guidelines (revision 0005) counts the documents both cite; the view reads no citation.
CREATE OR REPLACE VIEW v_citer_agreement AS
WITH counts AS (
    SELECT dwc_category,
           count(*) AS decisions,
           count(CASE WHEN shared_guidelines > 0 THEN 1 END) AS agreeing,
           count(CASE WHEN shared_guidelines > 0 AND overturned = 1 THEN 1 END) AS agreeing_overturned,
           count(CASE WHEN shared_guidelines = 0 AND claims_administrator_citations > 0
                           AND reviewer_citations > 0 THEN 1 END) AS disagreeing,
           count(CASE WHEN shared_guidelines = 0 AND claims_administrator_citations > 0
                           AND reviewer_citations > 0 AND overturned = 1 THEN 1 END) AS disagreeing_overturned,
           count(CASE WHEN claims_administrator_citations = 0 OR reviewer_citations = 0 THEN 1 END) AS one_sided
    FROM fact_decision
    GROUP BY dwc_category
)
SELECT dwc_category,
       decisions,
       agreeing,
       agreeing_overturned,
       agreeing_overturned::DOUBLE PRECISION / NULLIF(agreeing, 0) AS agreeing_overturn_rate,
       wilson_low(agreeing_overturned::DOUBLE PRECISION, agreeing::DOUBLE PRECISION) AS agreeing_ci_low,
       wilson_high(agreeing_overturned::DOUBLE PRECISION, agreeing::DOUBLE PRECISION) AS agreeing_ci_high,
       disagreeing,
       disagreeing_overturned,
       disagreeing_overturned::DOUBLE PRECISION / NULLIF(disagreeing, 0) AS disagreeing_overturn_rate,
       wilson_low(disagreeing_overturned::DOUBLE PRECISION, disagreeing::DOUBLE PRECISION) AS disagreeing_ci_low,
       wilson_high(disagreeing_overturned::DOUBLE PRECISION, disagreeing::DOUBLE PRECISION) AS disagreeing_ci_high,
       one_sided
FROM counts
ORDER BY dwc_category;
