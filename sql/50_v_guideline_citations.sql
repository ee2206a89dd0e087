-- Citation counts by citer, source and document, and how often the other party cites the same document.
-- Grain: one (cited_by, source, document).  For cited_by = 'claims_administrator', both_cited_rate is how often the reviewer cites what the claims administrator cited.
-- Columns:
--   cited_by         claims_administrator or reviewer
--   source           MTUS, ODG, ACOEM, AMA or OTHER
--   document         the guideline document
--   citations        citations (a decision may cite one document for several topics)
--   decisions        decisions whose citer cites the document
--   letters          letters with such a decision
--   both_cited       of those decisions, how many the other party also cites the same document for
--   both_cited_rate  both_cited / decisions
CREATE OR REPLACE VIEW v_guideline_citations AS
WITH cited AS (
    SELECT decision_key, letter_key, cited_by, source, document, count(*) AS citations
    FROM stg_citations
    GROUP BY decision_key, letter_key, cited_by, source, document
)
SELECT a.cited_by,
       a.source,
       a.document,
       sum(a.citations)::BIGINT AS citations,
       count(*) AS decisions,
       count(DISTINCT a.letter_key) AS letters,
       count(b.decision_key) AS both_cited,
       count(b.decision_key)::DOUBLE / count(*) AS both_cited_rate
FROM cited AS a
LEFT JOIN cited AS b
       ON b.decision_key = a.decision_key
      AND b.cited_by <> a.cited_by
      AND b.source = a.source
      AND b.document IS NOT DISTINCT FROM a.document
GROUP BY a.cited_by, a.source, a.document
ORDER BY a.cited_by, decisions DESC, a.source, a.document;
