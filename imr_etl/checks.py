"""Data-quality assertions over the warehouse, for the nightly job to run
after ``load`` and alert on (``imr-etl check``).

Each check is a query that returns the offending rows: none means it holds.
They read the tables and views the way an analyst would, so a broken load,
a hand edit or a bug in a view shows up here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from imr_etl import aggregates, dialect, lineage, schema


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    sql: str  # returns one row per violation; its first column names the offender


@dataclass(frozen=True)
class Result:
    check: Check
    violations: int
    examples: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.violations == 0


def _orphans(child: str, column: str, parent: str, parent_column: str | None = None) -> str:
    """Rows of ``child`` whose ``column`` (when set) has no row in ``parent``."""
    return (f"SELECT c.{column} FROM {child} AS c LEFT JOIN {parent} AS p "
            f"ON p.{parent_column or column} = c.{column} "
            f"WHERE c.{column} IS NOT NULL AND p.{parent_column or column} IS NULL")


def _rates(view: str) -> str:
    return (f"SELECT * FROM {view} WHERE NOT (overturn_rate BETWEEN 0 AND 1 AND ci_low BETWEEN 0 AND 1 "
            f"AND ci_high BETWEEN 0 AND 1 AND ci_low <= overturn_rate AND overturn_rate <= ci_high "
            f"AND overturned <= decisions)")


def _duplicates(table: str, columns: str) -> str:
    """Keys that occur more than once (the fact tables declare no PRIMARY KEY)."""
    return f"SELECT {columns} FROM {table} GROUP BY {columns} HAVING count(*) > 1"


# The keys revision 0008 stopped declaring on DuckDB (imr_etl.schema): each check's name → its table.
_KEPT_KEYS = {
    "letter_key_unique": "dim_letter",
    "source_file_key_unique": "etl_source_file",
    "pdf_text_key_unique": "etl_pdf_text",
    "service_key_unique": "dim_service",
    "reviewer_key_unique": "dim_reviewer",
    "guideline_key_unique": "dim_guideline",
    "condition_key_unique": "dim_condition",
}


def _kept_key(name: str, table: str) -> Check:
    columns = ", ".join(schema.key_columns(schema.metadata.tables[table]))
    return Check(name, f"no {columns} is in {table} twice", _duplicates(table, columns))


def _differs(kept: str, recomputed: str) -> str:
    """Rows of either query that the other lacks (as many times as they occur)."""
    return f"(({kept}) EXCEPT ALL ({recomputed})) UNION ALL (({recomputed}) EXCEPT ALL ({kept}))"


_SOURCES = "string_agg(DISTINCT g.source, ', ' ORDER BY g.source) FILTER (WHERE c.cited_by = '{0}')"
_CITATION_SUMMARY = _differs(
    "SELECT decision_key, citation_count, claims_administrator_citations, reviewer_citations, "
    "claims_administrator_sources, reviewer_sources FROM fact_decision",
    "SELECT d.decision_key, count(c.decision_key), "
    "count(*) FILTER (WHERE c.cited_by = 'claims_administrator'), count(*) FILTER (WHERE c.cited_by = 'reviewer'), "
    f"{_SOURCES.format('claims_administrator')}, {_SOURCES.format('reviewer')} "
    "FROM fact_decision AS d LEFT JOIN fact_citation AS c ON c.decision_key = d.decision_key "
    "LEFT JOIN dim_guideline AS g ON g.guideline_key = c.guideline_key GROUP BY d.decision_key")

# Each profile's specialties and (sorted) board specialties, from dim_reviewer
# and as the bridge rows spell them out.
_BOARDS_SORTED = ("SELECT reviewer_key, string_agg(board, '; ' ORDER BY board) AS boards FROM "
                  "(SELECT reviewer_key, unnest(string_to_array(board_specialties, '; ')) AS board "
                  "FROM dim_reviewer WHERE board_specialties <> '') AS b GROUP BY reviewer_key")
_SPECIALTY_BRIDGE = _differs(
    "SELECT r.reviewer_key, r.specialties, coalesce(b.boards, '') FROM dim_reviewer AS r "
    f"LEFT JOIN ({_BOARDS_SORTED}) AS b ON b.reviewer_key = r.reviewer_key WHERE r.specialties <> ''",
    "SELECT s.reviewer_key, s.specialties, coalesce(b.boards, '') FROM "
    "(SELECT reviewer_key, string_agg(specialty, '; ' ORDER BY position) AS specialties FROM "
    " (SELECT DISTINCT reviewer_key, position, specialty FROM bridge_reviewer_specialty) AS p "
    " GROUP BY reviewer_key) AS s "
    "LEFT JOIN (SELECT reviewer_key, string_agg(DISTINCT board_specialty, '; ' ORDER BY board_specialty) AS boards "
    " FROM bridge_reviewer_specialty WHERE board_specialty IS NOT NULL GROUP BY reviewer_key) AS b "
    "ON b.reviewer_key = s.reviewer_key")

CHECKS = (
    Check("decision_has_letter", "every decision belongs to a loaded letter",
          _orphans("fact_decision", "letter_key", "dim_letter")),
    Check("decision_has_service", "every decision has its service",
          _orphans("fact_decision", "service_key", "dim_service")),
    Check("decision_has_reviewer", "every decision has its reviewer profile",
          _orphans("fact_decision", "reviewer_key", "dim_reviewer")),
    Check("decision_has_body_region", "every body region a decision names is in dim_body_region",
          _orphans("fact_decision", "body_region_key", "dim_body_region")),
    Check("decision_has_drug", "every drug a decision names is in dim_drug",
          _orphans("fact_decision", "drug_key", "dim_drug")),
    Check("decision_dates_in_dim_date", "every date a decision points at is in dim_date",
          " UNION ALL ".join(_orphans("fact_decision", c, "dim_date", "date_key")
                             for c in ("decision_date_key", "ur_denial_date_key", "injury_date_key"))),
    Check("decision_word_matches_measure", "decision is upheld/overturned and overturned is 0/1 to match",
          "SELECT decision_key FROM fact_decision WHERE NOT ((decision = 'upheld' AND overturned = 0) "
          "OR (decision = 'overturned' AND overturned = 1))"),
    Check("citation_has_decision", "every citation belongs to a decision",
          _orphans("fact_citation", "decision_key", "fact_decision")),
    Check("citation_has_guideline", "every citation names a guideline in dim_guideline",
          _orphans("fact_citation", "guideline_key", "dim_guideline")),
    Check("guideline_has_document", "every spelling in dim_guideline maps to a document in dim_guideline_document",
          _orphans("dim_guideline", "guideline_id", "dim_guideline_document")),
    Check("diagnosis_has_letter", "every diagnosis belongs to a loaded letter",
          _orphans("fact_diagnosis", "letter_key", "dim_letter")),
    Check("diagnosis_has_condition", "every diagnosis names a condition in dim_condition",
          _orphans("fact_diagnosis", "condition_key", "dim_condition")),
    Check("diagnosis_key_unique", "no diagnosis is in fact_diagnosis twice",
          _duplicates("fact_diagnosis", "letter_key, position")),
    Check("letter_has_its_diagnoses", "each letter's diagnosis_count and diagnoses match its fact_diagnosis rows",
          _differs("SELECT letter_key, diagnosis_count, diagnoses FROM dim_letter",
                   "SELECT l.letter_key, count(f.letter_key), string_agg(f.diagnosis, '; ' ORDER BY f.position) "
                   "FROM dim_letter AS l LEFT JOIN fact_diagnosis AS f ON f.letter_key = l.letter_key "
                   "GROUP BY l.letter_key")),
    Check("reviewer_specialty_bridge", "bridge_reviewer_specialty lists each profile's specialties and "
          "exactly the board specialties of dim_reviewer.board_specialties", _SPECIALTY_BRIDGE),
    Check("reviewer_specialty_unique", "no specialty mapping is in bridge_reviewer_specialty twice",
          _duplicates("bridge_reviewer_specialty", "reviewer_key, position, board_specialty")),
    Check("letter_has_reviewer", "every letter has its reviewer profile",
          _orphans("dim_letter", "reviewer_key", "dim_reviewer")),
    Check("letter_has_its_decisions", "each letter's decision_count equals its rows in fact_decision",
          "SELECT l.letter_id FROM dim_letter AS l LEFT JOIN (SELECT letter_key, count(*) AS n "
          "FROM fact_decision GROUP BY letter_key) AS d USING (letter_key) "
          "WHERE l.decision_count <> coalesce(d.n, 0) OR l.decision_count = 0"),
    Check("letter_overturned_count", "each letter's overturned_count equals its overturned decisions",
          "SELECT l.letter_id FROM dim_letter AS l LEFT JOIN (SELECT letter_key, sum(overturned) AS n "
          "FROM fact_decision GROUP BY letter_key) AS d USING (letter_key) "
          "WHERE l.overturned_count <> coalesce(d.n, 0)"),
    Check("decision_key_unique", "no decision is in fact_decision twice", _duplicates("fact_decision", "decision_key")),
    Check("citation_key_unique", "no citation is in fact_citation twice",
          _duplicates("fact_citation", "decision_key, position")),
    Check("decision_citation_summary", "each decision's citation counts and sources match its fact_citation rows",
          _CITATION_SUMMARY),
    Check("decision_shared_guidelines", "each decision's shared_guidelines is the number of canonical documents "
          "both parties cite for it",
          _differs("SELECT decision_key, shared_guidelines FROM fact_decision", aggregates.shared_guidelines())),
    Check("body_region_has_its_source", "a decision's body_region_source is service or guideline when it "
          "names a region, and NULL when it names none",
          "SELECT decision_key FROM fact_decision WHERE (body_region_key IS NULL) <> (body_region_source IS NULL) "
          "OR body_region_source NOT IN ('service', 'guideline')"),
    Check("partial_authorization_parts", "a partial authorization has its original request and what was "
          "authorized; any other decision has neither",
          "SELECT decision_key FROM fact_decision WHERE partial_authorization "
          "AND (original_request IS NULL OR authorized IS NULL) OR NOT partial_authorization "
          "AND (original_request IS NOT NULL OR authorized IS NOT NULL)"),
    Check("guideline_aggregate", "agg_guideline_document equals its recomputation from the citations, "
          "by canonical document",
          _differs(f"SELECT {aggregates.COLUMNS} FROM agg_guideline_document", aggregates.recomputed())),
    Check("letter_written_by_a_run", "every letter was written by a recorded load run",
          _orphans("dim_letter", "load_run_id", "etl_load_run", "run_id")),
    Check("load_runs_reconcile", "letters in the warehouse = new letters counted by the runs "
          "(unless a run was killed before it could count)",
          "SELECT 'dim_letter' WHERE NOT EXISTS (SELECT 1 FROM etl_load_run WHERE status IN "
          "('running', 'aborted')) AND (SELECT count(*) FROM dim_letter) <> "
          "(SELECT coalesce(sum(letters_new), 0) FROM etl_load_run)"),
    Check("not_loaded_and_quarantined", "no file content is both loaded and quarantined",
          "SELECT q.source_path FROM etl_quarantine AS q JOIN dim_letter AS l ON l.sha256 = q.sha256"),
    *(Check(f"rates_in_range_{view}", f"{view}: rates and intervals lie in [0, 1], "
            "ci_low <= rate <= ci_high", _rates(view))
      for view in ("v_overturn_rate_by_treatment", "v_overturn_rate_by_reviewer_specialty",
                   "v_overturn_rate_by_guideline", "v_overturn_rate_by_body_region",
                   "v_overturn_rate_by_dwc_category", "v_overturn_rate_by_drug")),
    *(_kept_key(name, table) for name, table in _KEPT_KEYS.items()),
    Check("views_agree_with_facts", "v_decisions has one row per decision",
          "SELECT 'v_decisions' WHERE (SELECT count(*) FROM v_decisions) <> "
          "(SELECT count(*) FROM fact_decision)"),
)


def lineage_check() -> Check:
    """Letters derived by another parser than this release's: an upgrade
    whose letters the next load has not re-derived yet (or whose files it no
    longer finds)."""
    return Check("letter_derived_by_this_parser",
                 "every letter was derived by this release's parser (load its files again to re-derive it)",
                 "SELECT letter_id FROM dim_letter WHERE parser_fingerprint IS NULL "
                 f"OR parser_fingerprint <> '{lineage.fingerprint()}'")


def all_checks() -> tuple[Check, ...]:
    """Every check, the lineage one with the running parser's fingerprint."""
    return (*CHECKS, lineage_check())


def run(conn: Connection, examples: int = 3) -> list[Result]:
    """Run every check; each result has the count of violations and a few examples."""
    results = []
    for check in all_checks():
        rows = dialect.run(conn, f"SELECT * FROM ({check.sql}) AS violations").fetchall()
        results.append(Result(check, len(rows), tuple(str(row[0]) for row in rows[:examples])))
    return results


def check(db: str | None = None, examples: int = 3) -> list[Result]:
    """Run every check on the warehouse ``db`` (``--db``'s forms), read-only."""
    from imr_etl import warehouse

    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        return run(conn, examples)
