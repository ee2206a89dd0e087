-- Citation counts by citer, source and document, and how often the other party cites the same document.
-- Grain: one (cited_by, guideline_id): a canonical document, however spelled.  For cited_by = 'claims_administrator', both_cited_rate is how often the reviewer cites what the claims administrator cited.
-- Columns:
--   cited_by         claims_administrator or reviewer
--   source           MTUS, ODG, ACOEM, AMA or OTHER
--   document         the guideline document
--   guideline_id     the canonical document
--   label            its label
--   citations        citations (a decision may cite one document for several topics)
--   decisions        decisions whose citer cites the document
--   letters          letters with such a decision
--   both_cited       of those decisions, how many the other party also cites the same document for
--   both_cited_rate  both_cited / decisions
CREATE OR REPLACE VIEW old_v_guideline_citations AS
-- One pass over the citations: per decision and document, how often each
-- party cites it; "both cited" is then a flag, with no self-join.
WITH cited AS (
    SELECT decision_key, letter_key, guideline_id, source, document,
           count(*) FILTER (WHERE cited_by = 'claims_administrator') AS by_claims_administrator,
           count(*) FILTER (WHERE cited_by = 'reviewer') AS by_reviewer
    FROM old_stg_citations
    GROUP BY decision_key, letter_key, guideline_id, source, document
),
by_citer AS (
    SELECT 'claims_administrator' AS cited_by, guideline_id, source, document, letter_key,
           by_claims_administrator AS citations, by_reviewer > 0 AS other_cites_it
    FROM cited WHERE by_claims_administrator > 0
    UNION ALL
    SELECT 'reviewer', guideline_id, source, document, letter_key, by_reviewer, by_claims_administrator > 0
    FROM cited WHERE by_reviewer > 0
)
SELECT cited_by,
       source,
       document,
       guideline_id,
       (SELECT label FROM dim_guideline_document AS g WHERE g.guideline_id = by_citer.guideline_id) AS label,
       sum(citations)::BIGINT AS citations,
       count(*) AS decisions,
       count(DISTINCT letter_key) AS letters,
       count(*) FILTER (WHERE other_cites_it) AS both_cited,
       (count(*) FILTER (WHERE other_cites_it))::DOUBLE / count(*) AS both_cited_rate
FROM by_citer
GROUP BY cited_by, guideline_id, source, document
ORDER BY cited_by, decisions DESC, source, document, guideline_id;
