-- Overturn rate with its 95% Wilson interval by the guideline sources each party cites (MTUS, ODG, ACOEM, AMA, OTHER).
-- Grain: one (cited_by, source); a decision counts once under each source its citer cites (NULL source: cites none).
-- Columns:
--   cited_by       claims_administrator or reviewer
--   source         MTUS, ODG, ACOEM, AMA or OTHER (NULL: the party cites no guideline for the decision)
--   decisions      decisions in the group
--   overturned     of which overturned (the IMR reviewer reversed the utilization review denial)
--   overturn_rate  overturned / decisions
--   ci_low         lower bound of the 95% Wilson score interval of overturn_rate (z = 1.96)
--   ci_high        upper bound of that interval
-- Counted per combination of the two parties' sources first (fact_decision keeps them, revision 0003),
-- then split into sources: a few dozen groups, not every citation.
CREATE OR REPLACE VIEW v_overturn_rate_by_guideline_source AS
WITH by_sources AS (
    SELECT claims_administrator_sources,
           reviewer_sources,
           count(*) AS decisions,
           sum(overturned) AS overturned
    FROM fact_decision
    GROUP BY claims_administrator_sources, reviewer_sources
),
by_party AS (
    SELECT 'claims_administrator' AS cited_by, claims_administrator_sources AS sources, decisions, overturned
    FROM by_sources
    UNION ALL
    SELECT 'reviewer' AS cited_by, reviewer_sources AS sources, decisions, overturned
    FROM by_sources
),
counts AS (
    SELECT cited_by,
           source,
           CAST(sum(decisions) AS BIGINT) AS decisions,
           CAST(sum(overturned) AS BIGINT) AS overturned
    FROM (SELECT cited_by,
                 unnest(CASE WHEN sources IS NULL THEN ARRAY[NULL::VARCHAR]
                             ELSE string_to_array(sources, ', ') END) AS source,
                 decisions,
                 overturned
          FROM by_party) AS by_source
    GROUP BY cited_by, source
)
SELECT cited_by,
       source,
       decisions,
       overturned,
       overturned::DOUBLE PRECISION / decisions AS overturn_rate,
       wilson_low(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_low,
       wilson_high(overturned::DOUBLE PRECISION, decisions::DOUBLE PRECISION) AS ci_high
FROM counts
ORDER BY cited_by, source;
