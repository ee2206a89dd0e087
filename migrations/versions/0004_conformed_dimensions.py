"""Conformed dimensions: canonical guideline documents, DWC board specialties,
the DWC's classification and the drug of each item, diagnoses as rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

* ``dim_guideline`` (one row per spelling) gains ``guideline_id`` and
  ``topic_id``, the canonical document and topic it names; the new
  ``dim_guideline_document`` describes each canonical document;
* ``agg_guideline_document`` is grouped by (cited_by, guideline_id): a
  decision counts once per canonical document, and "both cited" means the
  other party cites the same document however it spells it; ``source`` and
  ``document`` are the canonical document's;
* ``dim_reviewer`` gains ``board_specialties`` (DWC names) and the new bridge
  ``bridge_reviewer_specialty`` shows how each specialty as written mapped;
* ``fact_decision`` gains the DWC's ``dwc_category`` / ``dwc_subcategory``
  and the drug: ``drug_key`` (→ the new ``dim_drug``: generic, class) and
  ``drug_brand``, ``drug_strength``, ``drug_dose_form`` as written;
* the new ``fact_diagnosis`` (→ the new ``dim_condition``) holds each letter's
  diagnoses as rows;
* ``etl_load_run`` gains ``decisions_unclassified`` and ``vocabulary_sha256``
  (NULL for the runs before).

The upgrade fills every new column and table from the rows already there,
with the library's mapping functions — the ones the parser calls —
(imr_etl.guidelines.canonical and documents, classify.board_specialties,
dwc.classify, drugs.drug, conditions.condition), and recomputes the
aggregate, so an upgraded warehouse holds what a load of its letters by this
release would: nothing needs reloading.  The spellings are mapped in Python
once each (a dimension's rows, a distinct service, a distinct diagnosis);
the facts are rebuilt in SQL from those maps.  The row builders are frozen
here (a later release's imr_etl.rows writes a later schema); the first load
after the upgrade re-maps the dimensions anyway (imr_etl.conformed: no run
has recorded this release's vocabulary digest yet).

DuckDB (1.x) cannot alter a table that has an index, nor add a NOT NULL
column to one with rows, so the altered tables are rebuilt as in 0003.  The
downgrade rebuilds them as 0003 had them, keeping every row, and regroups
the aggregate by spelling.  The curated views are dropped first; imr-etl
creates them again.
"""
from typing import Iterable, Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHUNK = 50_000  # rows bound as arrays per INSERT
PHARMACEUTICALS = "Pharmaceuticals"
UNCLASSIFIED = "Unclassified"


# --------------------------------------------------------------- columns

def _run_columns(conformed: bool) -> list[sa.Column]:
    return [
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
        *([sa.Column("decisions_unclassified", sa.Integer),
           sa.Column("vocabulary_sha256", sa.String)] if conformed else []),
    ]


def _reviewer_columns(conformed: bool) -> list[sa.Column]:
    return [
        sa.Column("reviewer_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("specialties", sa.String, nullable=False),
        sa.Column("subspecialties", sa.String, nullable=False),
        sa.Column("board_certified", sa.Boolean),
        sa.Column("licensure_states", sa.String, nullable=False),
        sa.Column("licensed_in_california", sa.Boolean, nullable=False),
        sa.Column("primary_specialty", sa.String),
        sa.Column("specialty_count", sa.SmallInteger, nullable=False),
        *([sa.Column("board_specialties", sa.String, nullable=False)] if conformed else []),
    ]


def _guideline_columns(conformed: bool) -> list[sa.Column]:
    return [
        sa.Column("guideline_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("document", sa.String),
        sa.Column("topic", sa.String),
        *([sa.Column("guideline_id", sa.String, nullable=False),
           sa.Column("topic_id", sa.String)] if conformed else []),
    ]


DECISION_0003 = ("decision_key", "letter_key", "ordinal", "service_key", "reviewer_key", "body_region_key",
                 "decision_date_key", "ur_denial_date_key", "injury_date_key", "decision", "overturned",
                 "quantity", "quantity_unit", "service", "rationale", "start_line", "end_line", "citation_count",
                 "claims_administrator_citations", "reviewer_citations", "claims_administrator_sources",
                 "reviewer_sources")


def _decision_columns(conformed: bool) -> list[sa.Column]:
    return [
        sa.Column("decision_key", sa.BigInteger, nullable=False),
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
        sa.Column("claims_administrator_citations", sa.SmallInteger, nullable=False),
        sa.Column("reviewer_citations", sa.SmallInteger, nullable=False),
        sa.Column("claims_administrator_sources", sa.String),
        sa.Column("reviewer_sources", sa.String),
        *([sa.Column("dwc_category", sa.String, nullable=False),
           sa.Column("dwc_subcategory", sa.String),
           sa.Column("drug_key", sa.BigInteger),
           sa.Column("drug_brand", sa.String),
           sa.Column("drug_strength", sa.String),
           sa.Column("drug_dose_form", sa.String)] if conformed else []),
    ]


def _aggregate_columns(conformed: bool) -> list[sa.Column]:
    return [
        sa.Column("cited_by", sa.String, nullable=False),
        *([sa.Column("guideline_id", sa.String, nullable=False)] if conformed else []),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("document", sa.String),
        sa.Column("citations", sa.BigInteger, nullable=False),
        sa.Column("decisions", sa.BigInteger, nullable=False),
        sa.Column("overturned", sa.BigInteger, nullable=False),
        sa.Column("letters", sa.BigInteger, nullable=False),
        sa.Column("both_cited", sa.BigInteger, nullable=False),
    ]


DOCUMENT_COLUMNS = ("guideline_id", "source", "document", "edition", "chapter", "acoem_chapter", "label")


def _create_conformed_tables() -> dict[str, sa.Table]:
    return {
        "dim_guideline_document": op.create_table(
            "dim_guideline_document",
            sa.Column("guideline_id", sa.String, primary_key=True),
            sa.Column("source", sa.String, nullable=False),
            sa.Column("document", sa.String),
            sa.Column("edition", sa.String),
            sa.Column("chapter", sa.String),
            sa.Column("acoem_chapter", sa.SmallInteger),
            sa.Column("label", sa.String, nullable=False)),
        "bridge_reviewer_specialty": op.create_table(
            "bridge_reviewer_specialty",
            sa.Column("reviewer_key", sa.BigInteger, nullable=False),
            sa.Column("position", sa.SmallInteger, nullable=False),
            sa.Column("specialty", sa.String, nullable=False),
            sa.Column("board_specialty", sa.String)),
        "dim_drug": op.create_table(
            "dim_drug",
            sa.Column("drug_key", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("generic", sa.String),
            sa.Column("drug_class", sa.String)),
        "dim_condition": op.create_table(
            "dim_condition",
            sa.Column("condition_key", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("condition", sa.String, nullable=False),
            sa.Column("body_region", sa.String)),
        "fact_diagnosis": op.create_table(
            "fact_diagnosis",
            sa.Column("letter_key", sa.BigInteger, nullable=False),
            sa.Column("position", sa.SmallInteger, nullable=False),
            sa.Column("condition_key", sa.BigInteger, nullable=False),
            sa.Column("diagnosis", sa.String, nullable=False)),
    }


# ---------------------------------------------------------------- helpers

def _drop_views() -> None:
    from imr_etl import dialect

    bind = op.get_bind()
    for name in dialect.user_views(bind):
        dialect.drop_view(bind, name)


def _insert(table: sa.Table, rows: Iterable[tuple]) -> None:
    from imr_etl import dialect

    rows = list(rows)
    for start in range(0, len(rows), CHUNK):
        dialect.insert_rows(op.get_bind(), table, rows[start:start + CHUNK])


def _fetch(sql: str) -> list[tuple]:
    return [tuple(r) for r in op.get_bind().exec_driver_sql(sql)]


def _rebuild(table: str, columns: list[sa.Column], select: str | None = None,
             rows: Iterable[tuple] = ()) -> None:
    """Replace ``table`` by one with ``columns``, filled by ``select`` (which
    reads the old table) or with ``rows``."""
    new = op.create_table(f"{table}_rebuilt", *columns)
    if select is not None:
        names = ", ".join(f'"{c.name}"' for c in columns)
        op.execute(f"INSERT INTO {table}_rebuilt ({names}) {select}")
    else:
        _insert(new, rows)
    op.drop_table(table)
    op.rename_table(f"{table}_rebuilt", table)


def _key(*parts: object) -> int:
    from imr_etl.rows import key

    return key(*parts)


# ------------------------------------------------------------- mappings
# Frozen copies of imr_etl.rows' builders as of this revision; the mapping
# functions themselves are the library's.

def _document_rows(spellings: Iterable[tuple[str, str, str | None]]) -> list[tuple]:
    """dim_guideline_document: per canonical id, the catalogue's row
    (imr_etl.rows.catalogue: guidelines.documents() as imr-etl ships it, not
    the documents this process met), else the one its first spelling (named
    first, then alphabetically) names."""
    from imr_etl.rows import catalogue, document_label

    out: dict[str, tuple] = {}
    for guideline_id, source, document in spellings:
        known = catalogue().get(guideline_id)
        if known is not None:
            candidate = tuple(known.get(c) for c in DOCUMENT_COLUMNS)
        else:
            candidate = (guideline_id, source, document, None, None, None, document_label(source, document))
        kept = out.get(guideline_id)
        if kept is None or _order(candidate) < _order(kept):
            out[guideline_id] = candidate
    return list(out.values())


def _order(row: tuple) -> tuple:
    return tuple((value is None, value or "") for value in row)


def _upgrade_guidelines(tables: dict[str, sa.Table]) -> None:
    from imr_etl import guidelines

    rows = [(*spelling, *guidelines.canonical(*spelling[1:]))
            for spelling in _fetch("SELECT guideline_key, source, document, topic FROM dim_guideline")]
    _rebuild("dim_guideline", _guideline_columns(conformed=True), rows=rows)
    _insert(tables["dim_guideline_document"], _document_rows((r[4], r[1], r[2]) for r in rows))


def _upgrade_reviewers(tables: dict[str, sa.Table]) -> None:
    from imr_etl import classify

    profiles = _fetch("SELECT * FROM dim_reviewer")  # reviewer_key, specialties, … as 0001 created them
    rows, bridge = [], []
    for profile in profiles:
        key, specialties = profile[0], profile[1].split("; ") if profile[1] else []
        rows.append((*profile, "; ".join(classify.board_specialties(specialties))))
        bridge += [(key, position, specialty, board)
                   for position, specialty in enumerate(specialties, 1)
                   for board in classify.board_specialties([specialty]) or [None]]
    _rebuild("dim_reviewer", _reviewer_columns(conformed=True), rows=rows)
    _insert(tables["bridge_reviewer_specialty"], bridge)


def _upgrade_decisions(tables: dict[str, sa.Table]) -> None:
    """The DWC's classification and the drug of each distinct (service as
    written, our category, subcategory), as the parser makes them, then
    fact_decision rebuilt with them."""
    from imr_etl import classify, drugs, dwc

    items = op.create_table(
        "migration_0004_item",
        sa.Column("service", sa.String), sa.Column("treatment_category", sa.String),
        sa.Column("treatment_subcategory", sa.String), sa.Column("dwc_category", sa.String),
        sa.Column("dwc_subcategory", sa.String), sa.Column("drug_key", sa.BigInteger),
        sa.Column("drug_brand", sa.String), sa.Column("drug_strength", sa.String),
        sa.Column("drug_dose_form", sa.String))
    mapped, found_drugs = [], {}
    for service, category, subcategory in _fetch(
            "SELECT DISTINCT d.service, s.treatment_category, s.treatment_subcategory "
            "FROM fact_decision AS d JOIN dim_service AS s ON s.service_key = d.service_key"):
        dwc_category, dwc_subcategory = dwc.classify(service, category, subcategory, classify.body_region(service))
        drug = (drugs.drug(service) if dwc_category == PHARMACEUTICALS else None) or {}
        drug_key = None
        if drug:
            drug_key = _key("drug", drug.get("generic"), drug.get("drug_class"))
            found_drugs[drug_key] = (drug_key, drug.get("generic"), drug.get("drug_class"))
        mapped.append((service, category, subcategory, dwc_category, dwc_subcategory, drug_key,
                       drug.get("brand"), drug.get("strength"), drug.get("dose_form")))
    _insert(items, mapped)
    _insert(tables["dim_drug"], found_drugs.values())
    kept = ", ".join(f"t.{c}" for c in DECISION_0003)
    # LEFT JOINs: a decision whose service row is missing keeps its row, Unclassified
    _rebuild("fact_decision", _decision_columns(conformed=True), f"""
        SELECT {kept}, coalesce(m.dwc_category, '{UNCLASSIFIED}'), m.dwc_subcategory, m.drug_key,
               m.drug_brand, m.drug_strength, m.drug_dose_form
        FROM fact_decision AS t
        LEFT JOIN dim_service AS s ON s.service_key = t.service_key
        LEFT JOIN migration_0004_item AS m ON m.service = t.service
            AND m.treatment_category = s.treatment_category AND m.treatment_subcategory = s.treatment_subcategory""")
    op.drop_table("migration_0004_item")


def _upgrade_diagnoses(tables: dict[str, sa.Table]) -> None:
    """Each distinct diagnosis as a condition, then each letter's
    '; '-separated diagnoses as fact_diagnosis rows, in their order."""
    from imr_etl import conditions

    diagnoses = op.create_table("migration_0004_diagnosis", sa.Column("diagnosis", sa.String),
                                sa.Column("condition_key", sa.BigInteger))
    mapped, found = [], {}
    for (diagnosis,) in _fetch("SELECT DISTINCT unnest(string_to_array(diagnoses, '; ')) FROM dim_letter "
                               "WHERE diagnoses IS NOT NULL"):
        condition, region = conditions.condition(diagnosis)
        key = _key("condition", condition, region)
        found[key] = (key, condition, region)
        mapped.append((diagnosis, key))
    _insert(diagnoses, mapped)
    _insert(tables["dim_condition"], found.values())
    op.execute("""
        INSERT INTO fact_diagnosis (letter_key, position, condition_key, diagnosis)
        SELECT u.letter_key, u.position, m.condition_key, u.diagnosis
        FROM (SELECT letter_key, unnest(string_to_array(diagnoses, '; ')) AS diagnosis,
                     generate_subscripts(string_to_array(diagnoses, '; '), 1) AS position
              FROM dim_letter WHERE diagnoses IS NOT NULL) AS u
        JOIN migration_0004_diagnosis AS m ON m.diagnosis = u.diagnosis""")
    op.drop_table("migration_0004_diagnosis")


# The aggregate as imr_etl.aggregates computes it at each revision, frozen here.
_CITED = """
WITH cited AS (
    SELECT c.decision_key, c.letter_key, {group},
           count(CASE WHEN c.cited_by = 'claims_administrator' THEN 1 END) AS by_claims_administrator,
           count(CASE WHEN c.cited_by = 'reviewer' THEN 1 END) AS by_reviewer
    FROM fact_citation AS c
    JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key
    GROUP BY c.decision_key, c.letter_key, {group}
),
by_citer AS (
    SELECT 'claims_administrator' AS cited_by, {names}, decision_key, letter_key,
           by_claims_administrator AS citations, CASE WHEN by_reviewer > 0 THEN 1 ELSE 0 END AS other
    FROM cited WHERE by_claims_administrator > 0
    UNION ALL
    SELECT 'reviewer', {names}, decision_key, letter_key,
           by_reviewer, CASE WHEN by_claims_administrator > 0 THEN 1 ELSE 0 END
    FROM cited WHERE by_reviewer > 0
),
counts AS (
    SELECT b.cited_by, {b_names},
           CAST(sum(b.citations) AS BIGINT) AS citations, CAST(count(*) AS BIGINT) AS decisions,
           CAST(sum(d.overturned) AS BIGINT) AS overturned, CAST(count(DISTINCT b.letter_key) AS BIGINT) AS letters,
           CAST(sum(b.other) AS BIGINT) AS both_cited
    FROM by_citer AS b
    JOIN fact_decision AS d ON d.decision_key = b.decision_key
    GROUP BY b.cited_by, {b_names}
)"""
CONTRIBUTION_0004 = _CITED.format(group="g.guideline_id", names="guideline_id", b_names="b.guideline_id") + """
SELECT c.cited_by, c.guideline_id, g.source, g.document,
       c.citations, c.decisions, c.overturned, c.letters, c.both_cited
FROM counts AS c JOIN dim_guideline_document AS g ON g.guideline_id = c.guideline_id"""
CONTRIBUTION_0003 = _CITED.format(group="g.source, g.document", names="source, document",
                                  b_names="b.source, b.document") + """
SELECT * FROM counts"""


def _aggregate(conformed: bool) -> None:
    op.drop_table("agg_guideline_document")
    columns = _aggregate_columns(conformed)
    op.create_table("agg_guideline_document", *columns)
    names = ", ".join(c.name for c in columns)
    op.execute(f"INSERT INTO agg_guideline_document ({names}) "
               f"{CONTRIBUTION_0004 if conformed else CONTRIBUTION_0003}")


# ------------------------------------------------------------- upgrade

def upgrade() -> None:
    # The catalogue as imr-etl ships it, read before this process maps a spelling
    # (imr_etl.rows.catalogue: documents() also lists the documents a process met).
    from imr_etl.rows import catalogue

    catalogue()
    _drop_views()
    tables = _create_conformed_tables()
    _upgrade_guidelines(tables)
    _upgrade_reviewers(tables)
    _upgrade_decisions(tables)
    _upgrade_diagnoses(tables)
    run = ", ".join(f"t.{c.name}" for c in _run_columns(conformed=False))
    _rebuild("etl_load_run", _run_columns(conformed=True), f"SELECT {run}, NULL, NULL FROM etl_load_run AS t")
    _aggregate(conformed=True)


def downgrade() -> None:
    _drop_views()
    for table in ("fact_diagnosis", "dim_condition", "dim_drug", "bridge_reviewer_specialty"):
        op.drop_table(table)
    for table, columns in (("etl_load_run", _run_columns(conformed=False)),
                           ("fact_decision", _decision_columns(conformed=False)),
                           ("dim_reviewer", _reviewer_columns(conformed=False)),
                           ("dim_guideline", _guideline_columns(conformed=False))):
        kept = ", ".join(f"t.{c.name}" for c in columns)
        _rebuild(table, columns, f"SELECT {kept} FROM {table} AS t")
    _aggregate(conformed=False)
    op.drop_table("dim_guideline_document")
