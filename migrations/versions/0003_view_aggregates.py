"""Aggregates kept at load time for the curated views; fact tables without declared keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

* ``fact_decision`` gains its citation summary (``claims_administrator_citations``,
  ``reviewer_citations``, ``claims_administrator_sources``, ``reviewer_sources``),
  which ``v_decisions`` read from every citation before;
* ``dim_letter`` gains ``overturned_count`` (``v_letters`` grouped every decision);
* ``agg_guideline_document`` (cited_by, source, document) holds the counts of
  ``v_guideline_citations`` and ``v_overturn_rate_by_guideline``; the load
  keeps it (imr_etl.aggregates);
* ``fact_decision`` and ``fact_citation`` lose their PRIMARY KEYs: DuckDB held
  their ART indexes in memory, growing with the warehouse.  Their keys are
  unique by construction and ``imr-etl check`` asserts it.

DuckDB can neither drop a primary key nor add a NOT NULL column to a table
with rows, so the three tables are rebuilt (rows copied, then renamed); the
upgrade computes the new columns and the aggregate from the rows already
there.  The downgrade rebuilds them as revision 0002 had them: every row is
kept, the derived columns and the aggregate are dropped.  The curated views
are dropped first (they read these tables); ``imr-etl`` creates them again.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _letter_columns(with_overturned: bool) -> list[sa.Column]:
    return [
        sa.Column("letter_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("letter_id", sa.String, nullable=False),
        sa.Column("case_number", sa.String),
        sa.Column("source_path", sa.String, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("date_assigned", sa.Date),
        sa.Column("decision_date", sa.Date),
        sa.Column("ur_denial_date", sa.Date),
        sa.Column("application_received", sa.Date),
        sa.Column("header_injury_date", sa.Date),
        sa.Column("priority", sa.String),
        sa.Column("header_other", sa.String),
        sa.Column("patient_age", sa.SmallInteger),
        sa.Column("age_band", sa.String),
        sa.Column("patient_sex", sa.String),
        sa.Column("injury_date", sa.Date),
        sa.Column("diagnoses", sa.String),
        sa.Column("diagnosis_count", sa.SmallInteger, nullable=False),
        sa.Column("decision_count", sa.SmallInteger, nullable=False),
        *([sa.Column("overturned_count", sa.SmallInteger, nullable=False)] if with_overturned else []),
        sa.Column("reviewer_key", sa.BigInteger, nullable=False),
        sa.Column("load_run_id", sa.Integer, nullable=False),
        sa.Column("loaded_at", sa.DateTime, nullable=False),
    ]


def _decision_columns(keyed: bool) -> list[sa.Column]:
    return [
        sa.Column("decision_key", sa.BigInteger, primary_key=keyed, autoincrement=False, nullable=False),
        sa.Column("letter_key", sa.BigInteger, nullable=False),
        sa.Column("ordinal", sa.SmallInteger, nullable=False),
        sa.Column("service_key", sa.BigInteger, nullable=False),
        sa.Column("reviewer_key", sa.BigInteger, nullable=False),
        sa.Column("body_region_key", sa.BigInteger),
        sa.Column("decision_date_key", sa.Integer),
        sa.Column("ur_denial_date_key", sa.Integer),
        sa.Column("injury_date_key", sa.Integer),
        sa.Column("decision", sa.String, nullable=False),
        sa.Column("overturned", sa.SmallInteger, nullable=False),
        sa.Column("quantity", sa.Double),
        sa.Column("quantity_unit", sa.String),
        sa.Column("service", sa.String, nullable=False),
        sa.Column("rationale", sa.String),
        sa.Column("start_line", sa.Integer),
        sa.Column("end_line", sa.Integer),
        sa.Column("citation_count", sa.SmallInteger, nullable=False),
        *([] if keyed else [
            sa.Column("claims_administrator_citations", sa.SmallInteger, nullable=False),
            sa.Column("reviewer_citations", sa.SmallInteger, nullable=False),
            sa.Column("claims_administrator_sources", sa.String),
            sa.Column("reviewer_sources", sa.String),
        ]),
    ]


def _citation_columns(keyed: bool) -> list[sa.Column]:
    return [
        sa.Column("decision_key", sa.BigInteger, primary_key=keyed, autoincrement=False, nullable=False),
        sa.Column("position", sa.SmallInteger, primary_key=keyed, autoincrement=False, nullable=False),
        sa.Column("letter_key", sa.BigInteger, nullable=False),
        sa.Column("guideline_key", sa.BigInteger, nullable=False),
        sa.Column("cited_by", sa.String, nullable=False),
        sa.Column("pages", sa.String),
        sa.Column("section", sa.String),
    ]


def _drop_views() -> None:
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)


def _rebuild(table: str, columns: list[sa.Column], select: str) -> None:
    """Replace ``table`` by one with ``columns``, filled by ``select`` (which
    reads the old table as ``t``)."""
    op.create_table(f"{table}_rebuilt", *columns)
    names = ", ".join(f'"{c.name}"' for c in columns)
    op.execute(f"INSERT INTO {table}_rebuilt ({names}) {select}")
    op.drop_table(table)
    op.rename_table(f"{table}_rebuilt", table)


def _summary(party: str) -> str:
    # distinct sources, sorted, ', '-separated; NULL when the party cites none
    return (f"string_agg(DISTINCT g.source, ', ' ORDER BY g.source) FILTER (WHERE c.cited_by = '{party}') "
            f"AS {party}_sources")


# The aggregate as imr_etl.aggregates.contribution computes it, frozen here.
CONTRIBUTION = """
WITH cited AS (
    SELECT c.decision_key, c.letter_key, g.source, g.document,
           count(CASE WHEN c.cited_by = 'claims_administrator' THEN 1 END) AS by_claims_administrator,
           count(CASE WHEN c.cited_by = 'reviewer' THEN 1 END) AS by_reviewer
    FROM fact_citation AS c
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
       CAST(sum(b.citations) AS BIGINT), CAST(count(*) AS BIGINT), CAST(sum(d.overturned) AS BIGINT),
       CAST(count(DISTINCT b.letter_key) AS BIGINT), CAST(sum(b.other) AS BIGINT)
FROM by_citer AS b
JOIN fact_decision AS d ON d.decision_key = b.decision_key
GROUP BY b.cited_by, b.source, b.document"""


def upgrade() -> None:
    _drop_views()
    _rebuild("fact_citation", _citation_columns(keyed=False), "SELECT * FROM fact_citation AS t")
    _rebuild("fact_decision", _decision_columns(keyed=False), f"""
        WITH summary AS (
            SELECT c.decision_key,
                   count(*) FILTER (WHERE c.cited_by = 'claims_administrator') AS claims_administrator_citations,
                   count(*) FILTER (WHERE c.cited_by = 'reviewer') AS reviewer_citations,
                   {_summary('claims_administrator')},
                   {_summary('reviewer')}
            FROM fact_citation AS c JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key
            GROUP BY c.decision_key
        )
        SELECT t.*, coalesce(s.claims_administrator_citations, 0), coalesce(s.reviewer_citations, 0),
               s.claims_administrator_sources, s.reviewer_sources
        FROM fact_decision AS t LEFT JOIN summary AS s ON s.decision_key = t.decision_key""")
    letter = ", ".join("coalesce(o.overturned, 0)" if c.name == "overturned_count" else f"t.{c.name}"
                       for c in _letter_columns(with_overturned=True))
    _rebuild("dim_letter", _letter_columns(with_overturned=True), f"""
        SELECT {letter} FROM dim_letter AS t
        LEFT JOIN (SELECT letter_key, sum(overturned) AS overturned FROM fact_decision GROUP BY letter_key) AS o
            ON o.letter_key = t.letter_key""")
    op.create_table(
        "agg_guideline_document",
        sa.Column("cited_by", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("document", sa.String),
        sa.Column("citations", sa.BigInteger, nullable=False),
        sa.Column("decisions", sa.BigInteger, nullable=False),
        sa.Column("overturned", sa.BigInteger, nullable=False),
        sa.Column("letters", sa.BigInteger, nullable=False),
        sa.Column("both_cited", sa.BigInteger, nullable=False),
    )
    op.execute(f"INSERT INTO agg_guideline_document {CONTRIBUTION}")


def downgrade() -> None:
    _drop_views()
    op.drop_table("agg_guideline_document")
    letter = ", ".join(f"t.{c.name}" for c in _letter_columns(with_overturned=False))
    _rebuild("dim_letter", _letter_columns(with_overturned=False), f"SELECT {letter} FROM dim_letter AS t")
    decision = ", ".join(f"t.{c.name}" for c in _decision_columns(keyed=True))
    _rebuild("fact_decision", _decision_columns(keyed=True), f"SELECT {decision} FROM fact_decision AS t")
    _rebuild("fact_citation", _citation_columns(keyed=True), "SELECT * FROM fact_citation AS t")
