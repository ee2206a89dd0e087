"""Stage 5a: the warehouse's star schema — the one place its tables are defined.

SQLAlchemy Core tables.  The Alembic revisions in ``migrations/versions``
create them (a test checks that the migrated warehouse matches this module);
:mod:`imr_etl.rows` turns a parse record into rows for them, in column order.

Grain and keys
--------------
* ``fact_decision`` — one disputed item of one letter.  ``decision_key`` and
  the dimension keys are 63-bit hashes of natural keys (:func:`imr_etl.rows.key`),
  so a letter's rows are computed from its record alone, with no look-ups —
  the same letter always gets the same keys, in any process.
* ``fact_citation`` — bridge: one guideline citation of one decision.
* ``dim_letter``, ``dim_reviewer`` (a qualification profile: reviewers are
  anonymous), ``dim_service``, ``dim_guideline``, ``dim_body_region``,
  ``dim_date`` (key ``yyyymmdd``).
* ``etl_load_run``, ``etl_quarantine`` — bookkeeping of the loads;
  ``etl_source_file`` — each source file as last read (path, size, mtime,
  sha256), so a re-run skips an unchanged file after a ``stat``, unread.

The fact tables declare no PRIMARY KEY (revision 0003): DuckDB keeps a
declared key's ART index in memory, which grew with the warehouse (~330 MiB
for the two fact tables at a million letters) and made every insert pay for
it.  Their keys are unique by construction — a letter's rows are deleted
before they are written again, one letter identity at a time per
transaction, and a decision's key is its letter's identity and ordinal — and
``imr-etl check`` asserts it.  Dimensions keep their keys (small, and their
rows are shared: ``ON CONFLICT DO NOTHING``).

``agg_guideline_document`` is an aggregate the load keeps up to date (it adds
the contribution of each letter it writes and subtracts that of each letter
it replaces), so the guideline views read a few thousand rows instead of
every citation; ``imr-etl check`` asserts it equals its recomputation.

Relationships (``fact_decision.letter_key`` → ``dim_letter.letter_key`` …) are
documented here, not declared as FOREIGN KEYs: DuckDB refuses to delete and
re-insert a referenced row within one transaction, which is exactly how a
changed letter replaces its rows.  Dates and timestamps are UTC.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Double, Integer, LargeBinary,
                        MetaData, SmallInteger, String, Table)

metadata = MetaData()

# ------------------------------------------------------------------ bookkeeping

etl_load_run = Table(
    "etl_load_run", metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String, nullable=False),  # running, succeeded, failed, aborted
    Column("paths", String),  # what the run was asked to load, '; '-separated
    Column("letters_seen", Integer, nullable=False),
    Column("letters_new", Integer, nullable=False),
    Column("letters_updated", Integer, nullable=False),
    Column("letters_unchanged", Integer, nullable=False),
    Column("letters_quarantined", Integer, nullable=False),
    Column("decisions_written", Integer, nullable=False),
    Column("seconds", Double),
    Column("imr_etl_version", String),
    Column("message", String),  # why a run failed or was aborted
)

etl_quarantine = Table(
    "etl_quarantine", metadata,
    Column("source_path", String, primary_key=True),
    Column("sha256", String, primary_key=True),
    Column("run_id", Integer, nullable=False),  # the latest run that tried it
    Column("quarantined_at", DateTime, nullable=False),
    Column("stage", String, nullable=False),  # read, parse, load
    Column("reason", String, nullable=False),
    Column("line_number", Integer),
    Column("column_number", Integer),
    Column("expected", String),  # what the grammar expected there, '; '-separated
    Column("size_bytes", Integer),
    Column("raw_text", String),  # the file decoded as the parser decodes it
    Column("raw_bytes", LargeBinary),  # the file exactly as read: nothing is lost
)

etl_source_file = Table(
    "etl_source_file", metadata,
    Column("source_path", String, primary_key=True),  # the file, resolved, as the load found it
    Column("size_bytes", BigInteger),  # as last read; NULL: not known (recorded before revision 0002)
    Column("mtime_ns", BigInteger),  # as last read; NULL: too recent to trust, or not known
    Column("sha256", String, nullable=False),  # of the bytes last read
    Column("run_id", Integer, nullable=False),  # the run that last read it
)

# ------------------------------------------------------------------- dimensions

dim_date = Table(
    "dim_date", metadata,
    Column("date_key", Integer, primary_key=True, autoincrement=False),  # yyyymmdd
    Column("date", Date, nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("quarter", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    Column("month_name", String, nullable=False),
    Column("year_month", String, nullable=False),  # 2016-12
    Column("day_of_month", SmallInteger, nullable=False),
    Column("day_of_week", SmallInteger, nullable=False),  # ISO: 1 = Monday
    Column("day_name", String, nullable=False),
    Column("is_weekend", Boolean, nullable=False),
)

dim_body_region = Table(
    "dim_body_region", metadata,
    Column("body_region_key", BigInteger, primary_key=True, autoincrement=False),
    Column("body_region", String, nullable=False),  # key of vocab/regions.csv
    Column("label", String, nullable=False),
    Column("region_group", String, nullable=False),  # spine, upper_extremity, …
)

dim_service = Table(
    "dim_service", metadata,
    Column("service_key", BigInteger, primary_key=True, autoincrement=False),
    Column("service_label", String, nullable=False),  # normalized service text
    Column("treatment_category", String, nullable=False),
    Column("treatment_subcategory", String, nullable=False),
    Column("category_label", String, nullable=False),
    Column("subcategory_label", String, nullable=False),
)

dim_reviewer = Table(
    "dim_reviewer", metadata,
    Column("reviewer_key", BigInteger, primary_key=True, autoincrement=False),
    Column("specialties", String, nullable=False),  # '; '-separated, as the letter lists them
    Column("subspecialties", String, nullable=False),
    Column("board_certified", Boolean),
    Column("licensure_states", String, nullable=False),  # 'TX, NY, CA'
    Column("licensed_in_california", Boolean, nullable=False),
    Column("primary_specialty", String),
    Column("specialty_count", SmallInteger, nullable=False),
)

dim_guideline = Table(
    "dim_guideline", metadata,
    Column("guideline_key", BigInteger, primary_key=True, autoincrement=False),
    Column("source", String, nullable=False),  # MTUS, ODG, ACOEM, AMA, OTHER
    Column("document", String),
    Column("topic", String),
)

dim_letter = Table(
    "dim_letter", metadata,
    Column("letter_key", BigInteger, primary_key=True, autoincrement=False),
    Column("letter_id", String, nullable=False),  # case number, else source path
    Column("case_number", String),
    Column("source_path", String, nullable=False),
    Column("sha256", String, nullable=False),
    Column("format", String, nullable=False),
    Column("date_assigned", Date),
    Column("decision_date", Date),
    Column("ur_denial_date", Date),
    Column("application_received", Date),
    Column("header_injury_date", Date),
    Column("priority", String),
    Column("header_other", String),  # JSON object of other header fields
    Column("patient_age", SmallInteger),
    Column("age_band", String),
    Column("patient_sex", String),
    Column("injury_date", Date),
    Column("diagnoses", String),  # '; '-separated
    Column("diagnosis_count", SmallInteger, nullable=False),
    Column("decision_count", SmallInteger, nullable=False),
    Column("overturned_count", SmallInteger, nullable=False),  # of decision_count, overturned (revision 0003)
    Column("reviewer_key", BigInteger, nullable=False),  # → dim_reviewer
    Column("load_run_id", Integer, nullable=False),  # → etl_load_run: the run that last wrote it
    Column("loaded_at", DateTime, nullable=False),
)

# ------------------------------------------------------------------------ facts

fact_decision = Table(
    "fact_decision", metadata,
    Column("decision_key", BigInteger, nullable=False),  # unique by construction (see above)
    Column("letter_key", BigInteger, nullable=False),  # → dim_letter
    Column("ordinal", SmallInteger, nullable=False),
    Column("service_key", BigInteger, nullable=False),  # → dim_service
    Column("reviewer_key", BigInteger, nullable=False),  # → dim_reviewer
    Column("body_region_key", BigInteger),  # → dim_body_region; NULL: none named
    Column("decision_date_key", Integer),  # → dim_date
    Column("ur_denial_date_key", Integer),  # → dim_date
    Column("injury_date_key", Integer),  # → dim_date
    Column("decision", String, nullable=False),  # upheld, overturned
    Column("overturned", SmallInteger, nullable=False),  # 0/1 measure
    Column("quantity", Double),  # requested amount, in quantity_unit
    Column("quantity_unit", String),
    Column("service", String, nullable=False),  # as written in the letter
    Column("rationale", String),
    Column("start_line", Integer),
    Column("end_line", Integer),
    Column("citation_count", SmallInteger, nullable=False),
    # the decision's citations summed up (revision 0003), so v_decisions need not read fact_citation
    Column("claims_administrator_citations", SmallInteger, nullable=False),
    Column("reviewer_citations", SmallInteger, nullable=False),
    Column("claims_administrator_sources", String),  # distinct sources, sorted: 'MTUS, ODG'; NULL: none
    Column("reviewer_sources", String),
)

fact_citation = Table(
    "fact_citation", metadata,
    Column("decision_key", BigInteger, nullable=False),  # → fact_decision; with position unique by construction
    Column("position", SmallInteger, nullable=False),  # 1, 2, … in letter order
    Column("letter_key", BigInteger, nullable=False),  # → dim_letter (for set-wise replacement)
    Column("guideline_key", BigInteger, nullable=False),  # → dim_guideline
    Column("cited_by", String, nullable=False),  # claims_administrator, reviewer
    Column("pages", String),
    Column("section", String),
)

# ------------------------------------------------------------------- aggregates

agg_guideline_document = Table(
    "agg_guideline_document", metadata,
    # kept by every load (imr_etl.aggregates): what v_guideline_citations and
    # v_overturn_rate_by_guideline would otherwise compute from all citations
    Column("cited_by", String, nullable=False),  # claims_administrator, reviewer
    Column("source", String, nullable=False),
    Column("document", String),
    Column("citations", BigInteger, nullable=False),  # citations of the document by cited_by
    Column("decisions", BigInteger, nullable=False),  # decisions whose cited_by cites it
    Column("overturned", BigInteger, nullable=False),  # of those, overturned
    Column("letters", BigInteger, nullable=False),  # letters with such a decision
    Column("both_cited", BigInteger, nullable=False),  # of those decisions, the other party cites it too
)

# Write order: dimensions before the facts that point at them.
DIMENSIONS = (dim_date, dim_body_region, dim_service, dim_reviewer, dim_guideline)
LETTER_TABLES = (dim_letter, fact_decision, fact_citation)
