"""Stage 5d: the aggregates a load keeps, so the curated views need not
recompute them from every citation.

``agg_guideline_document`` (grain: cited_by, source, document) holds what
``v_guideline_citations`` and ``v_overturn_rate_by_guideline`` report.  Every
measure is a sum over letters — each letter's decisions, citations and the
letter itself count in its own contribution only — so the table is kept by
adding the contribution of the letters a batch writes and subtracting that of
the letters it replaces, in the batch's transaction.  ``imr-etl check``
compares it with :func:`contribution` over all the facts.

Plain SQL (no DuckDB-only functions): the views are to be ported to
PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Connection

MEASURES = ("citations", "decisions", "overturned", "letters", "both_cited")
GROUP = ("cited_by", "source", "document")


def contribution(citations: str, decisions: str) -> str:
    """The ``agg_guideline_document`` rows of the letters in ``citations``
    (a relation with decision_key, letter_key, guideline_key, cited_by) whose
    decisions are in ``decisions`` (decision_key, overturned).  A decision
    counts once per document its citer cites, whatever the topic or pages;
    ``both_cited`` counts those the other party also cites that document for."""
    return f"""
WITH cited AS (
    SELECT c.decision_key, c.letter_key, g.source, g.document,
           count(CASE WHEN c.cited_by = 'claims_administrator' THEN 1 END) AS by_claims_administrator,
           count(CASE WHEN c.cited_by = 'reviewer' THEN 1 END) AS by_reviewer
    FROM {citations} AS c
    JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key
    GROUP BY c.decision_key, c.letter_key, g.source, g.document
),
by_citer AS (
    SELECT 'claims_administrator' AS cited_by, source, document, decision_key, letter_key,
           by_claims_administrator AS citations, CASE WHEN by_reviewer > 0 THEN 1 ELSE 0 END AS other
    FROM cited WHERE by_claims_administrator > 0
    UNION ALL
    SELECT 'reviewer', source, document, decision_key, letter_key,
           by_reviewer, CASE WHEN by_claims_administrator > 0 THEN 1 ELSE 0 END
    FROM cited WHERE by_reviewer > 0
)
SELECT b.cited_by, b.source, b.document,
       CAST(sum(b.citations) AS BIGINT) AS citations,
       CAST(count(*) AS BIGINT) AS decisions,
       CAST(sum(d.overturned) AS BIGINT) AS overturned,
       CAST(count(DISTINCT b.letter_key) AS BIGINT) AS letters,
       CAST(sum(b.other) AS BIGINT) AS both_cited
FROM by_citer AS b
JOIN {decisions} AS d ON d.decision_key = b.decision_key
GROUP BY b.cited_by, b.source, b.document"""


_SAME_GROUP = ("a.cited_by = d.cited_by AND a.source = d.source "
               "AND (a.document = d.document OR (a.document IS NULL AND d.document IS NULL))")


def apply(conn: Connection, citations: str, decisions: str, sign: int) -> None:
    """Add (``sign`` 1) or subtract (-1) the contribution of the letters in
    ``citations`` / ``decisions`` to ``agg_guideline_document``; a group no
    decision cites any more is removed, as the views would not show it."""
    conn.exec_driver_sql(f"CREATE OR REPLACE TEMPORARY TABLE agg_delta AS {contribution(citations, decisions)}")
    sets = ", ".join(f"{m} = a.{m} {'+' if sign > 0 else '-'} d.{m}" for m in MEASURES)
    conn.exec_driver_sql(f"UPDATE agg_guideline_document AS a SET {sets} FROM agg_delta AS d WHERE {_SAME_GROUP}")
    if sign > 0:
        conn.exec_driver_sql(
            "INSERT INTO agg_guideline_document SELECT * FROM agg_delta AS d WHERE NOT EXISTS "
            f"(SELECT 1 FROM agg_guideline_document AS a WHERE {_SAME_GROUP})")
    else:
        conn.exec_driver_sql("DELETE FROM agg_guideline_document WHERE decisions = 0")
    conn.exec_driver_sql("DROP TABLE agg_delta")
