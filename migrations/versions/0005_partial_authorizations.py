"""Partial authorizations and the parties' agreement on guidelines, per decision.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

``fact_decision`` gains, at its end:

* ``partial_authorization`` (true when the item's heading states what the
  claims administrator authorized of the request), ``original_request``,
  ``original_quantity``, ``authorized``, ``authorized_quantity`` — the record's
  ``items[].partial_authorization``.  The warehouse never kept a heading's
  wording, so decisions written before this revision have them NULL
  (unknown) until their letters are read again (``imr-etl load --force``);
* ``shared_guidelines``: how many canonical guideline documents both parties
  cite for the decision (``v_citer_agreement``), filled here from the citations.

fact_decision declares no key (revision 0003), so DuckDB adds the columns in
place.  The curated views are dropped first (a PostgreSQL view that reads a
column blocks dropping it on the way down); imr-etl creates them again.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (
    ("partial_authorization", sa.Boolean),
    ("original_request", sa.String),
    ("original_quantity", sa.Double),
    ("authorized", sa.String),
    ("authorized_quantity", sa.Double),
    ("shared_guidelines", sa.SmallInteger),
)


def _drop_views() -> None:
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)


def upgrade() -> None:
    _drop_views()
    for name, kind in COLUMNS:
        op.add_column("fact_decision", sa.Column(name, kind))
    op.execute("UPDATE fact_decision SET shared_guidelines = 0")
    op.execute("""
        UPDATE fact_decision SET shared_guidelines = shared.documents
        FROM (SELECT decision_key, count(*) AS documents
              FROM (SELECT c.decision_key, g.guideline_id
                    FROM fact_citation AS c
                    JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key
                    GROUP BY c.decision_key, g.guideline_id
                    HAVING count(DISTINCT c.cited_by) = 2) AS both_cite
              GROUP BY decision_key) AS shared
        WHERE fact_decision.decision_key = shared.decision_key""")


def downgrade() -> None:
    _drop_views()
    for name, _ in reversed(COLUMNS):
        op.drop_column("fact_decision", name)
