"""Stage 5d: the aggregates a load keeps, so the curated views need not
recompute them from every citation.

``agg_guideline_document`` (grain: cited_by and the canonical document,
``guideline_id``) holds what ``v_guideline_citations`` and
``v_overturn_rate_by_guideline`` report.  Every
measure is a sum over letters — each letter's decisions, citations and the
letter itself count in its own contribution only — so the table is kept by
adding the contribution of the letters a batch writes and subtracting that of
the letters it replaces, in the batch's transaction: a letter's share is
computed with its rows (:func:`letter_share`, in the worker), a replaced
letter's from its rows in the tables (:func:`contribution`, in SQL).
``imr-etl check`` compares the table with :func:`contribution` over all the
facts, so the two computations are held to each other.

A document is counted by its canonical id (``dim_guideline.guideline_id``),
however each party spells it: "both cited" means the other party cites the
same document, not the same spelling.  The shares carry only the id; the
document's source and name are copied from ``dim_guideline_document`` when
its row is added (:func:`merge`) or renamed (:func:`rename`).

Plain SQL (no DuckDB-only functions): the same statements run on DuckDB
and PostgreSQL (:mod:`imr_etl.dialect` runs them).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, Table

from imr_etl import dialect, schema

MEASURES = ("citations", "decisions", "overturned", "letters", "both_cited")
GROUP = ("cited_by", "guideline_id")  # a share's row: the group, then the measures
NAMES = ("source", "document")  # the document's, from dim_guideline_document


def contribution(citations: str, decisions: str) -> str:
    """The shares (cited_by, guideline_id, the measures) of the letters in
    ``citations`` (a relation with decision_key, letter_key, guideline_key,
    cited_by) whose decisions are in ``decisions`` (decision_key, overturned).
    A decision counts once per canonical document its citer cites, whatever
    the spelling, topic or pages; ``both_cited`` counts those the other party
    also cites that document for."""
    return f"""
WITH cited AS (
    SELECT c.decision_key, c.letter_key, g.guideline_id,
           count(CASE WHEN c.cited_by = 'claims_administrator' THEN 1 END) AS by_claims_administrator,
           count(CASE WHEN c.cited_by = 'reviewer' THEN 1 END) AS by_reviewer
    FROM {citations} AS c
    JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key
    GROUP BY c.decision_key, c.letter_key, g.guideline_id
),
by_citer AS (
    SELECT 'claims_administrator' AS cited_by, guideline_id, decision_key, letter_key,
           by_claims_administrator AS citations, CASE WHEN by_reviewer > 0 THEN 1 ELSE 0 END AS other
    FROM cited WHERE by_claims_administrator > 0
    UNION ALL
    SELECT 'reviewer', guideline_id, decision_key, letter_key,
           by_reviewer, CASE WHEN by_claims_administrator > 0 THEN 1 ELSE 0 END
    FROM cited WHERE by_reviewer > 0
)
SELECT b.cited_by, b.guideline_id,
       CAST(sum(b.citations) AS BIGINT) AS citations,
       CAST(count(*) AS BIGINT) AS decisions,
       CAST(sum(d.overturned) AS BIGINT) AS overturned,
       CAST(count(DISTINCT b.letter_key) AS BIGINT) AS letters,
       CAST(sum(b.other) AS BIGINT) AS both_cited
FROM by_citer AS b
JOIN {decisions} AS d ON d.decision_key = b.decision_key
GROUP BY b.cited_by, b.guideline_id"""


COLUMNS = ", ".join(c.name for c in schema.agg_guideline_document.columns)


def named(shares: str) -> str:
    """``shares`` (a query of :func:`contribution`'s columns) as
    ``agg_guideline_document`` rows: each document's source and name added."""
    measures = ", ".join(f"s.{m}" for m in MEASURES)
    return (f"SELECT s.cited_by, s.guideline_id, g.source, g.document, {measures} FROM ({shares}) AS s "
            "JOIN dim_guideline_document AS g ON g.guideline_id = s.guideline_id")


def recomputed() -> str:
    """``agg_guideline_document`` as the facts give it (what ``imr-etl check``
    compares it with, and what a re-mapping writes)."""
    return named(contribution("fact_citation", "fact_decision"))


def recompute(conn: Connection) -> None:
    """Replace the aggregate by its recomputation from every fact."""
    conn.exec_driver_sql("DELETE FROM agg_guideline_document")
    conn.exec_driver_sql(f"INSERT INTO agg_guideline_document ({COLUMNS}) {recomputed()}")


PARTIES = ("claims_administrator", "reviewer")


# ``fact_decision.shared_guidelines`` (revision 0005): the canonical documents
# both parties cite for a decision.  The load computes it with the letter's
# rows (imr_etl.rows.shared_guidelines); these are its SQL forms, for
# ``imr-etl check`` and for a re-mapping that moves a spelling to another document.
SHARED_DOCUMENTS = """
SELECT decision_key, count(*) AS documents
FROM (SELECT c.decision_key, g.guideline_id
      FROM fact_citation AS c JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key
      GROUP BY c.decision_key, g.guideline_id
      HAVING count(DISTINCT c.cited_by) = 2) AS both_cite
GROUP BY decision_key"""


def shared_guidelines() -> str:
    """Each decision's shared_guidelines as the facts give it."""
    return ("SELECT d.decision_key, CAST(coalesce(s.documents, 0) AS SMALLINT) AS shared_guidelines "
            f"FROM fact_decision AS d LEFT JOIN ({SHARED_DOCUMENTS}) AS s ON s.decision_key = d.decision_key")


def recompute_shared_guidelines(conn: Connection) -> None:
    conn.exec_driver_sql(
        "UPDATE fact_decision AS d SET shared_guidelines = s.shared_guidelines "
        f"FROM ({shared_guidelines()}) AS s WHERE s.decision_key = d.decision_key "
        "AND s.shared_guidelines <> d.shared_guidelines")


def letter_share(items: list[tuple[int, list[dict]]]) -> list[tuple]:
    """One letter's share, from its decisions as ``(overturned, citations)``
    pairs — :func:`contribution` for one letter, in Python, so a worker
    computes it with the letter's other rows."""
    groups: dict[tuple, list[int]] = {}
    for overturned, citations in items:
        by_document: dict[str, dict[str, int]] = {}
        for citation in citations:
            if citation["cited_by"] in PARTIES:
                counts = by_document.setdefault(citation["guideline_id"], dict.fromkeys(PARTIES, 0))
                counts[citation["cited_by"]] += 1
        for guideline_id, counts in by_document.items():
            for party, other in (PARTIES, PARTIES[::-1]):
                if counts[party]:
                    group = groups.setdefault((party, guideline_id), [0, 0, 0, 1, 0])
                    group[0] += counts[party]  # citations
                    group[1] += 1  # decisions
                    group[2] += overturned
                    group[4] += counts[other] > 0  # both_cited
    return [(*key, *measures) for key, measures in groups.items()]


def add_up(shares: list[list[tuple]]) -> list[tuple]:
    """The sum of several letters' shares, one row per group."""
    total: dict[tuple, list[int]] = {}
    for share in shares:
        for row in share:
            measures = total.setdefault(row[:len(GROUP)], [0] * len(MEASURES))
            for i, value in enumerate(row[len(GROUP):]):
                measures[i] += value
    return [(*key, *measures) for key, measures in total.items()]


_SAME_GROUP = "a.cited_by = d.cited_by AND a.guideline_id = d.guideline_id"


# A temporary table of the shares' columns: the rows a batch adds or takes away.
DELTA = Table("agg_delta", MetaData(), *(Column(c.name, c.type) for c in schema.agg_guideline_document.columns
                                         if c.name not in NAMES))
_DELTA_COLUMNS = ", ".join(c.name for c in DELTA.columns)


def new_delta(conn: Connection, select: str = f"SELECT {_DELTA_COLUMNS} FROM agg_guideline_document WHERE 1 = 0") -> None:
    """(Re)create the temporary table ``agg_delta`` from ``select`` (empty by default)."""
    dialect.run(conn, "DROP TABLE IF EXISTS agg_delta")
    dialect.run(conn, f"CREATE TEMPORARY TABLE agg_delta AS {select}")


def apply(conn: Connection, citations: str, decisions: str, sign: int) -> None:
    """Add (``sign`` 1) or subtract (-1) the contribution of the letters in
    ``citations`` / ``decisions``, computed in SQL."""
    new_delta(conn, contribution(citations, decisions))
    merge(conn, sign)


def merge(conn: Connection, sign: int) -> None:
    """Add (``sign`` 1) or subtract (-1) the rows of the temporary table
    ``agg_delta`` (the shares' columns) to the aggregate, and drop it; a new
    group takes its document's names from ``dim_guideline_document``; a group
    no decision cites any more is removed, as the views would not show it."""
    sets = ", ".join(f"{m} = a.{m} {'+' if sign > 0 else '-'} d.{m}" for m in MEASURES)
    conn.exec_driver_sql(f"UPDATE agg_guideline_document AS a SET {sets} FROM agg_delta AS d WHERE {_SAME_GROUP}")
    if sign > 0:
        new = (f"SELECT {_DELTA_COLUMNS} FROM agg_delta AS d WHERE NOT EXISTS "
               f"(SELECT 1 FROM agg_guideline_document AS a WHERE {_SAME_GROUP})")
        conn.exec_driver_sql(f"INSERT INTO agg_guideline_document ({COLUMNS}) {named(new)}")
    else:
        conn.exec_driver_sql("DELETE FROM agg_guideline_document WHERE decisions = 0")
    conn.exec_driver_sql("DROP TABLE agg_delta")


def rename(conn: Connection) -> None:
    """Copy the documents' source and name from ``dim_guideline_document``
    where they changed (a re-mapping, or a spelling that names a document
    the catalogue lacks better than the one it was named by)."""
    conn.exec_driver_sql(
        "UPDATE agg_guideline_document AS a SET source = g.source, document = g.document "
        "FROM dim_guideline_document AS g WHERE g.guideline_id = a.guideline_id "
        "AND (a.source <> g.source OR a.document <> g.document OR (a.document IS NULL) <> (g.document IS NULL))")
