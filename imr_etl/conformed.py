"""The conformed dimensions' mappings, kept in step with imr-etl's vocabularies.

A dimension row is written by the first letter that names its key and never
again (an anti-join on the key, or ``ON CONFLICT DO NOTHING`` where the key is
declared).  Most dimensions are functions of their
key; three hold a mapping the vocabularies decide, which a new release of
imr-etl may change:

* ``dim_guideline.guideline_id`` and ``topic_id``: the canonical document a
  spelling names (:func:`imr_etl.guidelines.canonical`);
* ``dim_guideline_document``: each document's names (the catalogue,
  :func:`imr_etl.guidelines.documents`, else its first spelling);
* ``dim_reviewer.board_specialties`` and ``bridge_reviewer_specialty``: the
  DWC board specialties a profile's specialties name
  (:func:`imr_etl.classify.board_specialties`).

:func:`remap` recomputes them from the rows' own spellings and rewrites what
changed; a spelling that moved to another document makes it recompute
``agg_guideline_document`` and ``fact_decision.shared_guidelines`` from the
facts (both count by document).  A
load calls it first whenever the code and vocabularies differ from the last
run's (the parser's fingerprint, :func:`imr_etl.lineage.fingerprint`, kept in
``etl_load_run.vocabulary_sha256``), so old rows and
the rows its workers map with the new vocabularies agree.  A fact's own
mapping (a decision's DWC category and drug, a diagnosis's condition) is
made when its letter is parsed: the same load re-derives the letters of
another fingerprint (:mod:`imr_etl.lineage`), which re-maps those.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Connection

from imr_etl import aggregates, classify, dialect, guidelines, rows, schema



def last_digest(conn: Connection) -> str | None:
    """The digest the latest load run recorded (None: no run, or one before revision 0004)."""
    return conn.exec_driver_sql(
        "SELECT vocabulary_sha256 FROM etl_load_run ORDER BY run_id DESC LIMIT 1").scalar()


@dataclass(frozen=True)
class Remapped:
    spellings: int  # dim_guideline rows given another document or topic
    documents: bool  # dim_guideline_document rewritten
    reviewers: int  # dim_reviewer rows given other board specialties
    bridge: bool  # bridge_reviewer_specialty rewritten

    @property
    def any(self) -> bool:
        return bool(self.spellings or self.documents or self.reviewers or self.bridge)


def _columns(table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


def remap(conn: Connection) -> Remapped:
    """Bring the conformed dimensions' mappings in line with the vocabularies
    (in the caller's transaction)."""
    spellings, documents = _remap_guidelines(conn)
    reviewers, bridge = _remap_reviewers(conn)
    if spellings:
        aggregates.recompute(conn)
        aggregates.recompute_shared_guidelines(conn)
    elif documents:
        aggregates.rename(conn)
    return Remapped(spellings, documents, reviewers, bridge)


def _remap_guidelines(conn: Connection) -> tuple[int, bool]:
    moved: list[tuple[int, str, str | None]] = []
    candidates = []
    for key, source, document, topic, guideline_id, topic_id in conn.exec_driver_sql(
            "SELECT guideline_key, source, document, topic, guideline_id, topic_id FROM dim_guideline").fetchall():
        mapped = guidelines.canonical(source, document, topic)
        if mapped != (guideline_id, topic_id):
            moved.append((key, *mapped))
        candidates.append(rows.guideline_document_row(mapped[0], source, document))
    if moved:
        keys, ids, topics = (list(column) for column in zip(*moved))
        dialect.execute(conn,
            "UPDATE dim_guideline AS g SET guideline_id = m.guideline_id, topic_id = m.topic_id "
            "FROM (SELECT unnest(?::BIGINT[]) AS guideline_key, unnest(?::VARCHAR[]) AS guideline_id, "
            "unnest(?::VARCHAR[]) AS topic_id) AS m WHERE g.guideline_key = m.guideline_key",
            (keys, ids, topics))
    wanted = rows.first_document(candidates)
    table = schema.dim_guideline_document
    stored = {r[0]: tuple(r) for r in conn.exec_driver_sql(f"SELECT {_columns(table)} FROM {table.name}")}
    if wanted == stored:
        return len(moved), False
    conn.exec_driver_sql(f"DELETE FROM {table.name}")
    dialect.insert_rows(conn, table, list(wanted.values()))
    return len(moved), True


def _remap_reviewers(conn: Connection) -> tuple[int, bool]:
    profiles = conn.exec_driver_sql(
        "SELECT reviewer_key, specialties, board_specialties FROM dim_reviewer").fetchall()
    changed = []
    for key, specialties, boards in profiles:
        mapped = "; ".join(classify.board_specialties(specialties.split("; ") if specialties else []))
        if mapped != boards:
            changed.append((key, mapped))
    if changed:
        keys, boards = (list(column) for column in zip(*changed))
        dialect.execute(conn,
            "UPDATE dim_reviewer AS r SET board_specialties = m.board_specialties "
            "FROM (SELECT unnest(?::BIGINT[]) AS reviewer_key, unnest(?::VARCHAR[]) AS board_specialties) AS m "
            "WHERE r.reviewer_key = m.reviewer_key", (keys, boards))
    table = schema.bridge_reviewer_specialty
    wanted = [r for key, specialties, _ in profiles for r in rows.specialty_rows(key, specialties)]
    stored = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {_columns(table)} FROM {table.name}")]
    if Counter(wanted) == Counter(stored):
        return len(changed), False
    conn.exec_driver_sql(f"DELETE FROM {table.name}")
    dialect.insert_rows(conn, table, wanted)
    return len(changed), True


# What a dimension row is kept for: the rows that point at it.  A clean load
# writes a dimension row only for a letter that names it; a letter rewritten
# (a new version of its file, or re-derived by a new parser) may name it no
# more.  (dim_body_region holds the whole vocabulary: always kept.)
_LETTER_DATES = " UNION ".join(
    f"SELECT {column} AS day FROM dim_letter" for column in
    ("date_assigned", "decision_date", "ur_denial_date", "application_received", "header_injury_date", "injury_date"))
_ORPHANS = (
    ("dim_service", "service_key NOT IN (SELECT service_key FROM fact_decision)"),
    ("dim_drug", "drug_key NOT IN (SELECT drug_key FROM fact_decision WHERE drug_key IS NOT NULL)"),
    ("dim_guideline", "guideline_key NOT IN (SELECT guideline_key FROM fact_citation)"),
    ("dim_condition", "condition_key NOT IN (SELECT condition_key FROM fact_diagnosis)"),
    ("bridge_reviewer_specialty", "reviewer_key NOT IN (SELECT reviewer_key FROM dim_letter)"),
    ("dim_reviewer", "reviewer_key NOT IN (SELECT reviewer_key FROM dim_letter)"),
    ("dim_date", f"date NOT IN (SELECT day FROM ({_LETTER_DATES}) AS named WHERE day IS NOT NULL)"),
    ("dim_guideline_document", "guideline_id NOT IN (SELECT guideline_id FROM dim_guideline)"),
)


def prune(conn: Connection) -> int:
    """Delete the dimension rows no letter names any more (in the caller's
    transaction), so the warehouse holds what a clean load of its letters
    holds; the number of rows deleted."""
    deleted = 0
    for table, orphan in _ORPHANS:
        deleted += conn.exec_driver_sql(f"DELETE FROM {table} WHERE {orphan}").rowcount or 0
    return deleted
