"""`imr_etl.checks`: every assertion holds on a clean load, and each one
fails when the warehouse is damaged the way it guards against."""

from __future__ import annotations

import shutil

import pytest

from helpers import REAL, SEEDS
from imr_etl import checks, warehouse
from imr_etl.writer import load


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory) -> str:
    letters = tmp_path_factory.mktemp("letters")
    for path in SEEDS + REAL[:3]:
        shutil.copy(path, letters / path.name)
    db = str(tmp_path_factory.mktemp("wh") / "imr.duckdb")
    load([letters], db)
    return db


@pytest.fixture
def db(clean_db, tmp_path) -> str:
    copy = tmp_path / "imr.duckdb"
    shutil.copy(clean_db, copy)
    return str(copy)


def failures(db: str, damage: str | None = None) -> dict[str, int]:
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        if damage:
            with conn.begin():
                for statement in damage.split(";"):
                    conn.exec_driver_sql(statement)
        return {r.check.name: r.violations for r in checks.run(conn) if not r.ok}


def test_a_clean_load_passes_every_check(db):
    assert failures(db) == {}


@pytest.mark.parametrize("damage, failed", [
    # (a letter with diagnoses: the seeds' keys hash their temporary paths, so "the first letter" varies)
    ("DELETE FROM dim_letter WHERE letter_key = (SELECT min(letter_key) FROM dim_letter WHERE diagnosis_count > 0)",
     {"decision_has_letter", "diagnosis_has_letter", "load_runs_reconcile", "views_agree_with_facts"}),
    ("DELETE FROM dim_service WHERE service_key = (SELECT min(service_key) FROM fact_decision)",
     {"decision_has_service", "views_agree_with_facts"}),
    ("DELETE FROM dim_reviewer", {"decision_has_reviewer", "letter_has_reviewer", "views_agree_with_facts",
                                  "reviewer_specialty_bridge"}),
    # the kept counts (dim_letter.overturned_count, agg_guideline_document) no longer add up
    ("UPDATE fact_decision SET overturned = 1 - overturned WHERE ordinal = 1",
     {"decision_word_matches_measure", "letter_overturned_count", "guideline_aggregate"}),
    ("DELETE FROM fact_decision WHERE ordinal = 1",
     {"citation_has_decision", "letter_has_its_decisions", "letter_overturned_count", "guideline_aggregate"}),
    ("DELETE FROM dim_guideline WHERE source = 'ODG'",
     {"citation_has_guideline", "decision_citation_summary", "guideline_aggregate", "decision_shared_guidelines"}),
    # the fact tables declare no key: a row written twice is caught here (the row
    # duplicated is named by an ORDER BY: which checks fail depends on it)
    ("INSERT INTO fact_decision SELECT * FROM fact_decision WHERE decision = 'upheld' "
     "ORDER BY decision_key LIMIT 1",
     {"decision_key_unique", "letter_has_its_decisions", "decision_citation_summary", "guideline_aggregate"}),
    ("UPDATE fact_decision SET shared_guidelines = shared_guidelines + 1 WHERE ordinal = 1",
     {"decision_shared_guidelines"}),
    ("UPDATE fact_decision SET original_request = 'X' WHERE NOT partial_authorization",
     {"partial_authorization_parts"}),
    ("INSERT INTO fact_citation SELECT * FROM fact_citation ORDER BY decision_key, position LIMIT 1",
     {"citation_key_unique", "decision_citation_summary", "guideline_aggregate"}),
    # a kept aggregate or summary edited by hand
    ("UPDATE agg_guideline_document SET letters = letters + 1 WHERE source = 'MTUS' AND cited_by = 'reviewer'",
     {"guideline_aggregate"}),
    ("UPDATE fact_decision SET reviewer_sources = 'AMA' WHERE ordinal = 1", {"decision_citation_summary"}),
    ("UPDATE dim_letter SET overturned_count = overturned_count + 1 WHERE overturned_count = 0",
     {"letter_overturned_count"}),
    ("DELETE FROM dim_date WHERE year < 2013", {"decision_dates_in_dim_date"}),
    # the conformed dimensions (revision 0004)
    ("UPDATE fact_decision SET drug_key = 42 WHERE ordinal = 1", {"decision_has_drug"}),
    ("DELETE FROM dim_condition WHERE condition_key = (SELECT min(condition_key) FROM fact_diagnosis)",
     {"diagnosis_has_condition"}),
    ("DELETE FROM fact_diagnosis WHERE position = 2", {"letter_has_its_diagnoses"}),
    ("UPDATE fact_diagnosis SET diagnosis = upper(diagnosis) WHERE position = 1", {"letter_has_its_diagnoses"}),
    ("INSERT INTO fact_diagnosis SELECT * FROM fact_diagnosis ORDER BY letter_key, position LIMIT 1",
     {"diagnosis_key_unique", "letter_has_its_diagnoses"}),
    # a spelling moved to a document the aggregate does not count it under, or to none at all
    ("UPDATE dim_guideline SET guideline_id = 'mtus/elsewhere' WHERE guideline_key = "
     "(SELECT min(guideline_key) FROM dim_guideline WHERE source = 'MTUS')",
     {"guideline_has_document", "guideline_aggregate"}),
    ("DELETE FROM dim_guideline_document WHERE source = 'ODG'", {"guideline_has_document", "guideline_aggregate"}),
    ("UPDATE agg_guideline_document SET document = 'renamed' WHERE source = 'MTUS'", {"guideline_aggregate"}),
    # a profile's board specialties that its bridge rows do not give, and the other way round
    ("UPDATE dim_reviewer SET board_specialties = 'Dermatology' WHERE specialties <> ''", {"reviewer_specialty_bridge"}),
    ("UPDATE bridge_reviewer_specialty SET board_specialty = NULL", {"reviewer_specialty_bridge"}),
    ("DELETE FROM bridge_reviewer_specialty WHERE position = 1", {"reviewer_specialty_bridge"}),
    ("INSERT INTO bridge_reviewer_specialty SELECT * FROM bridge_reviewer_specialty "
     "ORDER BY reviewer_key, position LIMIT 1",
     {"reviewer_specialty_unique"}),
    ("INSERT INTO etl_quarantine (source_path, sha256, run_id, quarantined_at, stage, reason) "
     "SELECT source_path, sha256, load_run_id, now(), 'parse', 'test' FROM dim_letter ORDER BY letter_key LIMIT 1",
     {"not_loaded_and_quarantined"}),
    ("UPDATE etl_load_run SET letters_new = letters_new + 1", {"load_runs_reconcile"}),
    # the growing tables declare no key on DuckDB either (revision 0008): a row written twice
    ("INSERT INTO dim_letter SELECT * FROM dim_letter WHERE decision_count = 1 ORDER BY letter_key LIMIT 1",
     {"letter_key_unique", "load_runs_reconcile", "letter_has_its_diagnoses", "views_agree_with_facts"}),
    ("INSERT INTO etl_source_file SELECT * FROM etl_source_file ORDER BY source_path LIMIT 1",
     {"source_file_key_unique"}),
    ("INSERT INTO etl_pdf_text VALUES ('0a', 'pdfium', 1, '\\x00'::BLOB), ('0a', 'pdfium', 1, '\\x00'::BLOB)",
     {"pdf_text_key_unique"}),
    ("INSERT INTO dim_service SELECT * FROM dim_service ORDER BY service_key LIMIT 1",
     {"service_key_unique", "views_agree_with_facts"}),
    ("INSERT INTO dim_reviewer SELECT * FROM dim_reviewer ORDER BY reviewer_key LIMIT 1",
     {"reviewer_key_unique", "reviewer_specialty_bridge", "views_agree_with_facts"}),
    ("INSERT INTO dim_guideline SELECT * FROM dim_guideline ORDER BY guideline_key LIMIT 1",
     {"guideline_key_unique", "decision_citation_summary", "guideline_aggregate"}),
    ("INSERT INTO dim_condition SELECT * FROM dim_condition ORDER BY condition_key LIMIT 1",
     {"condition_key_unique"}),
])
def test_each_kind_of_damage_is_caught(db, damage, failed):
    # v_decisions joins its dimensions: a decision that lost one drops out of it.
    assert set(failures(db, damage)) == failed


def test_the_check_command_passes_then_names_what_failed(db):
    from click.testing import CliRunner

    from imr_etl.cli import main

    ok = CliRunner().invoke(main, ["check", "--db", db])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == f"{len(checks.all_checks())} of {len(checks.all_checks())} checks hold"
    failures(db, "UPDATE fact_decision SET decision = 'upheld' WHERE overturned = 1")
    bad = CliRunner().invoke(main, ["check", "--db", db])
    assert bad.exit_code == 1
    assert bad.output.startswith("FAILED decision_word_matches_measure: ")
    assert bad.output.strip().endswith(f"{len(checks.all_checks()) - 1} of {len(checks.all_checks())} checks hold")
