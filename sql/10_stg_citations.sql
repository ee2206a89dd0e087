-- Staging: each guideline citation of a decision, with its canonical document spelled out, for analysts' own queries (no view reads it: v_guideline_citations and v_overturn_rate_by_guideline read the kept agg_guideline_document, v_overturn_rate_by_guideline_source and v_citer_agreement fact_decision's citation summaries).
-- Grain: one citation (fact_citation joined to dim_guideline and dim_guideline_document).
-- Columns:
--   decision_key  the decision that cites (fact_decision)
--   letter_key    its letter (dim_letter)
--   position      1, 2, … in the letter's order
--   cited_by      claims_administrator or reviewer
--   source        the canonical document's source: MTUS, ODG, ACOEM, AMA or OTHER
--   document      the canonical document's name, however the letter spells it (dim_guideline has the spelling)
--   topic         what in the document, as written (NULL: none given)
--   pages         pages as written (NULL: none given)
--   section       a regulation section such as 9792.24.1 (NULL: none)
--   guideline_id  the canonical document and edition (dim_guideline_document)
--   topic_id      the canonical topic (NULL: none given)
CREATE OR REPLACE VIEW stg_citations AS
SELECT citation.decision_key,
       citation.letter_key,
       citation.position,
       citation.cited_by,
       catalogue.source,
       catalogue.document,
       guideline.topic,
       citation.pages,
       citation.section,
       guideline.guideline_id,
       guideline.topic_id
FROM fact_citation AS citation
JOIN dim_guideline AS guideline ON guideline.guideline_key = citation.guideline_key
JOIN dim_guideline_document AS catalogue ON catalogue.guideline_id = guideline.guideline_id;
