-- Staging: each guideline citation of a decision, with the guideline spelled out (feeds the citation views).
-- Grain: one citation (fact_citation joined to dim_guideline).
-- Columns:
--   decision_key  the decision that cites (fact_decision)
--   letter_key    its letter (dim_letter)
--   position      1, 2, … in the letter's order
--   cited_by      claims_administrator or reviewer
--   source        MTUS, ODG, ACOEM, AMA or OTHER
--   document      the guideline document
--   topic         what in the document (NULL: none given)
--   pages         pages as written (NULL: none given)
--   section       a regulation section such as 9792.24.1 (NULL: none)
CREATE OR REPLACE VIEW old_stg_citations AS
SELECT c.decision_key,
       c.letter_key,
       c.position,
       c.cited_by,
       g.source,
       g.document,
       g.topic,
       c.pages,
       c.section
FROM fact_citation AS c
JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key;
