-- Citation counts by citer and canonical guideline document, and how often the other party cites the same document.
-- Grain: one (cited_by, guideline_id): a canonical document and edition, however the letters spell it.  For cited_by = 'claims_administrator', both_cited_rate is how often the reviewer cites the document the claims administrator cited, in whatever words.
-- Columns:
--   cited_by         claims_administrator or reviewer
--   source           the document's source: MTUS, ODG, ACOEM, AMA or OTHER
--   document         the canonical document's name (dim_guideline_document)
--   guideline_id     the canonical document and edition, 'odg/low-back'
--   citations        citations (a decision may cite one document for several topics)
--   decisions        decisions whose citer cites the document
--   letters          letters with such a decision
--   both_cited       of those decisions, how many the other party also cites the same document for
--   both_cited_rate  both_cited / decisions
-- The counts are kept by the load in agg_guideline_document (revisions 0003,
-- 0004; `imr-etl check` asserts they equal their recomputation from the citations).
CREATE OR REPLACE VIEW v_guideline_citations AS
SELECT cited_by,
       source,
       document,
       guideline_id,
       citations,
       decisions,
       letters,
       both_cited,
       CAST(both_cited AS DOUBLE PRECISION) / decisions AS both_cited_rate
FROM agg_guideline_document
ORDER BY cited_by, decisions DESC, source, document, guideline_id;
