-- Citation counts by citer and canonical guideline document, and how often the other party cites the same document.
-- Grain: one (cited_by, guideline_id): a canonical document and edition, however the letters spell it.  For cited_by = 'claims_administrator', both_cited_rate is how often the reviewer cites the document the claims administrator cited, in whatever words.
-- Columns:
--   cited_by         claims_administrator or reviewer
--   source           the document's source: MTUS, ODG, ACOEM, AMA or OTHER
--   document         the canonical document's name (dim_guideline_document; ODG's chapters share ODG's)
--   guideline_id     the canonical document and edition, 'odg/low-back'
--   label            how to show it: source, name, chapter and edition ('MTUS Low Back Complaints (ACOEM ch. 12, 2004)')
--   citations        citations (a decision may cite one document for several topics)
--   decisions        decisions whose citer cites the document
--   letters          letters with such a decision
--   both_cited       of those decisions, how many the other party also cites the same document for
--   both_cited_rate  both_cited / decisions
-- The counts are kept by the load in agg_guideline_document (revisions 0003,
-- 0004; `imr-etl check` asserts they equal their recomputation from the citations).
CREATE OR REPLACE VIEW v_guideline_citations AS
SELECT kept.cited_by,
       kept.source,
       kept.document,
       kept.guideline_id,
       catalogue.label,
       kept.citations,
       kept.decisions,
       kept.letters,
       kept.both_cited,
       CAST(kept.both_cited AS DOUBLE PRECISION) / kept.decisions AS both_cited_rate
FROM agg_guideline_document AS kept
JOIN dim_guideline_document AS catalogue ON catalogue.guideline_id = kept.guideline_id
ORDER BY kept.cited_by, kept.decisions DESC, kept.source, kept.document, kept.guideline_id;
