"""Lineage: which parser derived each letter, and the PDFs' extracted text.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

* ``dim_letter`` gains ``parser_fingerprint`` (the parser that derived the
  letter's rows, :func:`imr_etl.lineage.fingerprint`) and ``record_sha256``
  (the digest of those rows);
* ``etl_source_file`` gains ``parser_fingerprint`` (the parser of the run that
  last read the file);
* ``etl_load_run`` gains ``letters_rederived``;
* ``etl_pdf_text`` keeps each loaded PDF's extracted text, compressed.

Rows written before this revision have NULL lineage: the next load re-derives
their letters once (a NULL fingerprint is never the running one) and fills
it in.  ``letters_rederived`` is NULL for the runs before, as the view says.
The curated views are dropped first; imr-etl creates them again.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (
    ("dim_letter", "parser_fingerprint"),
    ("dim_letter", "record_sha256"),
    ("etl_source_file", "parser_fingerprint"),
)


def _drop_views() -> None:
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)


def upgrade() -> None:
    _drop_views()
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.String))
    op.add_column("etl_load_run", sa.Column("letters_rederived", sa.Integer))
    op.create_table(
        "etl_pdf_text",
        sa.Column("sha256", sa.String, primary_key=True),
        sa.Column("extractor", sa.String, nullable=False),
        sa.Column("text_bytes", sa.Integer, nullable=False),
        sa.Column("text_zlib", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    _drop_views()
    op.drop_table("etl_pdf_text")
    op.drop_column("etl_load_run", "letters_rederived")
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column)
