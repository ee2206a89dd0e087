"""The tables that grow with the letters lose their declared keys on DuckDB.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``dim_letter``, ``etl_source_file``, ``etl_pdf_text``, ``dim_service``,
``dim_reviewer``, ``dim_guideline`` and ``dim_condition`` gain a row with
(nearly) every new letter.  DuckDB keeps a declared key's ART index in memory
and, once the index has been written to the file, reads it back node by node
as inserts probe it, in memory it neither reports nor caps: a long load's
writer grew by ~0.5 KiB a letter (benchmarks/README.md, issue 15).  As
revision 0003 did for the fact tables, the keys stay unique by the load's
construction (delete before write; insert only keys no row has) and
``imr-etl check`` asserts them.

DuckDB cannot drop a primary key, so each table is rebuilt: its rows copied
in order, its NOT NULL columns (the key's among them) kept NOT NULL.  The
downgrade declares the keys again (``ALTER TABLE … ADD PRIMARY KEY``), which
fails if a key is doubled.  PostgreSQL keeps the keys (its indexes live on
disk and serve the load's look-ups): nothing changes there.  The curated
views are dropped first (they read these tables); imr-etl creates them again.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEYS = {
    "dim_letter": "letter_key",
    "etl_source_file": "source_path",
    "etl_pdf_text": "sha256",
    "dim_service": "service_key",
    "dim_reviewer": "reviewer_key",
    "dim_guideline": "guideline_key",
    "dim_condition": "condition_key",
}


def _changes_here() -> bool:
    from imr_etl import dialect

    return not dialect.keeps_declared_keys(op.get_bind())


def _drop_views() -> None:
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)


def _not_null(table: str) -> list[str]:
    return [name for name, in op.get_bind().exec_driver_sql(
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name = '{table}' AND is_nullable = 'NO' "
        "ORDER BY ordinal_position")]


def _rebuild_without_key(table: str) -> None:
    not_null = _not_null(table)
    op.execute(f"CREATE TABLE {table}_rebuilt AS SELECT * FROM {table}")
    for column in not_null:
        op.execute(f'ALTER TABLE {table}_rebuilt ALTER COLUMN "{column}" SET NOT NULL')
    op.drop_table(table)
    op.rename_table(f"{table}_rebuilt", table)


def upgrade() -> None:
    if not _changes_here():
        return
    _drop_views()
    for table in KEYS:
        _rebuild_without_key(table)


def downgrade() -> None:
    if not _changes_here():
        return
    _drop_views()
    for table, key in KEYS.items():
        op.execute(f'ALTER TABLE {table} ADD PRIMARY KEY ("{key}")')
