"""Star schema: decisions and citations, their dimensions, load bookkeeping.

Revision ID: 0001
Revises:
Create Date: 2024-11-26

A frozen copy of imr_etl/schema.py as it was at this revision (a test checks
that head and schema.py agree).  Keys are application-computed hashes, so no
sequences; relationships are not declared as foreign keys (see schema.py).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "etl_load_run",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("paths", sa.String),
        sa.Column("letters_seen", sa.Integer, nullable=False),
        sa.Column("letters_new", sa.Integer, nullable=False),
        sa.Column("letters_updated", sa.Integer, nullable=False),
        sa.Column("letters_unchanged", sa.Integer, nullable=False),
        sa.Column("letters_quarantined", sa.Integer, nullable=False),
        sa.Column("decisions_written", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Double),
        sa.Column("imr_etl_version", sa.String),
        sa.Column("message", sa.String),
    )
    op.create_table(
        "etl_quarantine",
        sa.Column("source_path", sa.String, primary_key=True),
        sa.Column("sha256", sa.String, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("quarantined_at", sa.DateTime, nullable=False),
        sa.Column("stage", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("line_number", sa.Integer),
        sa.Column("column_number", sa.Integer),
        sa.Column("expected", sa.String),
        sa.Column("size_bytes", sa.Integer),
        sa.Column("raw_text", sa.String),
        sa.Column("raw_bytes", sa.LargeBinary),
    )
    op.create_table(
        "dim_date",
        sa.Column("date_key", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("quarter", sa.SmallInteger, nullable=False),
        sa.Column("month", sa.SmallInteger, nullable=False),
        sa.Column("month_name", sa.String, nullable=False),
        sa.Column("year_month", sa.String, nullable=False),
        sa.Column("day_of_month", sa.SmallInteger, nullable=False),
        sa.Column("day_of_week", sa.SmallInteger, nullable=False),
        sa.Column("day_name", sa.String, nullable=False),
        sa.Column("is_weekend", sa.Boolean, nullable=False),
    )
    op.create_table(
        "dim_body_region",
        sa.Column("body_region_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("body_region", sa.String, nullable=False),
        sa.Column("label", sa.String, nullable=False),
        sa.Column("region_group", sa.String, nullable=False),
    )
    op.create_table(
        "dim_service",
        sa.Column("service_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("service_label", sa.String, nullable=False),
        sa.Column("treatment_category", sa.String, nullable=False),
        sa.Column("treatment_subcategory", sa.String, nullable=False),
        sa.Column("category_label", sa.String, nullable=False),
        sa.Column("subcategory_label", sa.String, nullable=False),
    )
    op.create_table(
        "dim_reviewer",
        sa.Column("reviewer_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("specialties", sa.String, nullable=False),
        sa.Column("subspecialties", sa.String, nullable=False),
        sa.Column("board_certified", sa.Boolean),
        sa.Column("licensure_states", sa.String, nullable=False),
        sa.Column("licensed_in_california", sa.Boolean, nullable=False),
        sa.Column("primary_specialty", sa.String),
        sa.Column("specialty_count", sa.SmallInteger, nullable=False),
    )
    op.create_table(
        "dim_guideline",
        sa.Column("guideline_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("document", sa.String),
        sa.Column("topic", sa.String),
    )
    op.create_table(
        "dim_letter",
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
        sa.Column("reviewer_key", sa.BigInteger, nullable=False),
        sa.Column("load_run_id", sa.Integer, nullable=False),
        sa.Column("loaded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "fact_decision",
        sa.Column("decision_key", sa.BigInteger, primary_key=True, autoincrement=False),
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
    )
    op.create_table(
        "fact_citation",
        sa.Column("decision_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("position", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("letter_key", sa.BigInteger, nullable=False),
        sa.Column("guideline_key", sa.BigInteger, nullable=False),
        sa.Column("cited_by", sa.String, nullable=False),
        sa.Column("pages", sa.String),
        sa.Column("section", sa.String),
    )


TABLES = ("fact_citation", "fact_decision", "dim_letter", "dim_guideline", "dim_reviewer",
          "dim_service", "dim_body_region", "dim_date", "etl_quarantine", "etl_load_run")


def downgrade() -> None:
    # The curated views (sql/) read these tables: drop them first.
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)
    for table in TABLES:
        op.drop_table(table)
