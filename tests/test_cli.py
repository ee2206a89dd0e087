"""The imr-etl command line: parse output and error reporting."""

from __future__ import annotations

import json

from click.testing import CliRunner

from helpers import REAL, SEEDS
from imr_etl.cli import main

KEYS = {"source_path", "sha256", "format", "header", "reviewer", "patient", "diagnoses", "outcome", "items"}
ITEM_KEYS = {"ordinal", "service", "decision", "treatment_category", "treatment_subcategory",
             "quantity", "quantity_unit", "body_region", "body_region_source", "dwc_category", "dwc_subcategory", "drug",
             "partial_authorization", "citations", "rationale", "span"}
CITATION_KEYS = {"cited_by", "source", "document", "topic", "pages", "section", "guideline_id", "topic_id"}


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_parse_prints_json_lines_with_exactly_the_contract_keys():
    result = run("parse", str(SEEDS[0]), str(REAL[0]))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 2
    for record in records:
        assert set(record) == KEYS
        assert set(record["header"]) == {"case_number", "date_assigned", "injury_date", "decision_date",
                                          "ur_denial_date", "priority", "application_received", "other"}
        assert set(record["reviewer"]) == {"specialties", "subspecialties", "board_certified", "licensure_states",
                                           "board_specialties"}
        assert set(record["patient"]) == {"age", "sex", "injury_date"}
        for item in record["items"]:
            assert set(item) == ITEM_KEYS
            assert all(set(citation) == CITATION_KEYS for citation in item["citations"])
            assert set(item["span"]) == {"start_line", "end_line"}
    assert records[1]["header"]["case_number"] == REAL[0].stem


def test_every_sample_letter_parses():
    result = run("parse", *map(str, SEEDS + REAL))
    assert result.exit_code == 0, result.output[-2000:]
    assert len(result.output.splitlines()) == len(SEEDS) + len(REAL) == 110


def test_unknown_decision_word_is_one_line_with_line_column_and_expectation(tmp_path):
    text = SEEDS[0].read_text().replace("Acupuncture, eight visits:  Upheld", "Acupuncture, eight visits:  Modified")
    bad = tmp_path / "bad.txt"
    bad.write_text(text)
    result = run("parse", str(bad))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    line_no = text.splitlines().index("Acupuncture, eight visits:  Modified ") + 1
    assert lines[0].startswith(f"{bad}:{line_no}:")
    assert "Modified" in lines[0] and "Upheld or Overturned" in lines[0]


def test_text_that_is_not_a_letter(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("Shopping list\nmilk\neggs\n")
    result = run("parse", str(bad))
    assert result.exit_code == 2
    assert result.output.startswith(f"{bad}:1:1: found ")
    assert "HOW THE IMR FINAL DETERMINATION WAS MADE" in result.output


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("parse", str(empty), str(tmp_path / "missing.txt"), str(SEEDS[1]))
    assert result.exit_code == 2
    err = [line for line in result.output.splitlines() if not line.startswith("{")]
    assert err == [f"{empty}: empty letter: no text", f"{tmp_path / 'missing.txt'}: cannot read: No such file or directory"]
    # the good letter still printed its record
    assert sum(line.startswith("{") for line in result.output.splitlines()) == 1


def test_truncated_letter_names_the_last_line(tmp_path):
    text = SEEDS[1].read_text()
    cut = text[: text.index("MAXIMUS guideline:")]
    bad = tmp_path / "cut.txt"
    bad.write_text(cut)
    result = run("parse", str(bad))
    assert result.exit_code == 2
    assert "end of letter" in result.output and "MAXIMUS guideline:" in result.output


def test_every_subcommand_has_help():
    for args in (["--help"], ["parse", "--help"]):
        result = run(*args)
        assert result.exit_code == 0 and "Usage" in result.output
