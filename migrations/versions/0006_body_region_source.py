"""Where a decision's body region comes from, and the region re-read by the
rule that uses a guideline's chapter only for a treatment given to a region.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

``fact_decision`` gains ``body_region_source``: ``service`` (the service
names the region), ``guideline`` (the chapters of the guidelines cited for it
agree on one) or NULL (no region).  The rule for the second changed with it:
a chapter names the treated region only for a treatment given to a region
(``region_from_guideline`` in vocab/taxonomy.csv: not a drug, a lab test, a
consultation), and not through a topic for any region ("Preoperative lab
testing").  So the upgrade reads every decision's region again with the
library's rule — :func:`imr_etl.classify.body_region` of the service, else
:func:`imr_etl.classify.cited_region` of its citations as the warehouse holds
them — and writes the region and its source; an upgraded warehouse holds what
a load of its letters by this release holds.  The downgrade drops the column
and keeps the regions as re-read.

fact_decision declares no key (revision 0003), so DuckDB adds the column in
place.  The curated views are dropped first; imr-etl creates them again.
"""
from collections import defaultdict
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHUNK = 50_000  # rows bound as arrays per UPDATE


def _drop_views() -> None:
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)


def _regions(bind) -> list[tuple[int, int | None, str | None]]:
    """(decision_key, body_region_key, body_region_source) of every decision, by the rule."""
    from imr_etl import classify, rows

    cited = defaultdict(list)
    for key, source, document, topic in bind.exec_driver_sql(
            "SELECT c.decision_key, g.source, g.document, g.topic FROM fact_citation AS c "
            "JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key"):
        cited[key].append({"source": source, "document": document, "topic": topic})
    out = []
    for key, service, category, subcategory in bind.exec_driver_sql(
            "SELECT d.decision_key, d.service, s.treatment_category, s.treatment_subcategory "
            "FROM fact_decision AS d JOIN dim_service AS s ON s.service_key = d.service_key"):
        named = classify.body_region(service)
        found = (classify.cited_region(cited.get(key, []))
                 if named is None and classify.treats_a_region(category, subcategory) else None)
        region = named or found
        out.append((key, rows.body_region_row(region)[0] if region else None,
                    "service" if named else "guideline" if found else None))
    return out


def upgrade() -> None:
    from imr_etl import dialect

    _drop_views()
    op.add_column("fact_decision", sa.Column("body_region_source", sa.String))
    bind = op.get_bind()
    found = _regions(bind)
    for start in range(0, len(found), CHUNK):
        keys, regions, sources = (list(column) for column in zip(*found[start:start + CHUNK]))
        dialect.execute(bind,
            "UPDATE fact_decision AS d SET body_region_key = m.body_region_key, "
            "body_region_source = m.body_region_source "
            "FROM (SELECT unnest(?::BIGINT[]) AS decision_key, unnest(?::BIGINT[]) AS body_region_key, "
            "unnest(?::VARCHAR[]) AS body_region_source) AS m WHERE d.decision_key = m.decision_key",
            (keys, regions, sources))


def downgrade() -> None:
    _drop_views()
    op.drop_column("fact_decision", "body_region_source")
