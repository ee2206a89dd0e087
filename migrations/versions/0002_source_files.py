"""etl_source_file: each source file as last read, so a re-run skips it after a stat.

Revision ID: 0002
Revises: 0001
Create Date: 2024-11-27

One row per source file path: its size and mtime (ns) and the sha256 of the
bytes when a load last read it.  A load skips a file whose size and mtime
are unchanged without opening it; a file whose stat changed but whose bytes
hash the same is unchanged without parsing.

The upgrade backfills the table from ``dim_letter`` (path and sha256, size
and mtime unknown), so the first load after upgrading hashes each file once
instead of re-parsing it.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "etl_source_file",
        sa.Column("source_path", sa.String, primary_key=True),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("mtime_ns", sa.BigInteger),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
    )
    # The letters already loaded, by the file each was last read from (a path
    # that held several letters over time keeps the latest).  Size and mtime
    # stay NULL: not known.  (A window, not DuckDB's arg_max: PostgreSQL too.)
    op.execute(
        "INSERT INTO etl_source_file (source_path, sha256, run_id) "
        "SELECT source_path, sha256, load_run_id FROM (SELECT source_path, sha256, load_run_id, "
        "row_number() OVER (PARTITION BY source_path ORDER BY loaded_at DESC) AS latest "
        "FROM dim_letter) AS by_path WHERE latest = 1")


def downgrade() -> None:
    op.drop_table("etl_source_file")
