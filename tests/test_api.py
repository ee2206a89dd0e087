"""The library's entry points (imr_etl/__init__.py): each opens what it needs
from a path or a --db-style location, and every error it raises on purpose
is an ImrEtlError carrying its quarantine stage and exit status."""

from __future__ import annotations

import pytest

import imr_etl
from helpers import REAL, SEEDS, query
from imr_etl.errors import EXIT_BUSY, one_line

LETTER = REAL[[p.name for p in REAL].index("CM16-0230651.txt")]


def test_parse_file_reads_a_letter_as_its_text_says():
    record = imr_etl.parse_file(LETTER)
    # "Case Number: CM16-0230651", "Decision Date: 01/09/2017", "EMG/NCV of the lower extremities: Upheld"
    assert record["header"]["case_number"] == "CM16-0230651"
    assert record["header"]["decision_date"] == "2017-01-09"
    assert record["items"][0]["service"] == "EMG/NCV of the lower extremities"
    assert record["items"][0]["decision"] == "upheld"
    assert record["reviewer"]["licensure_states"] == ["CA", "WA"]  # "State(s) of Licensure: California,Washington"


def test_load_check_report_and_export_from_a_location(tmp_path):
    db = str(tmp_path / "w.duckdb")
    summary = imr_etl.load(SEEDS, db, jobs=1)
    # the five seeds decide eleven items (counted by hand)
    assert (summary.new, summary.decisions) == (5, 11)
    assert query(db, "SELECT count(*) FROM v_decisions") == [(11,)]
    assert [r.check.name for r in imr_etl.check(db) if not r.ok] == []
    out = imr_etl.report(tmp_path / "report.html", db)
    assert "11" in out.read_text(encoding="utf-8") and not list(tmp_path.glob(".report.html.partial"))
    written = imr_etl.export(tmp_path / "exports", db)
    decisions = next(e for e in written if e.path.name == "v_decisions.parquet")
    assert decisions.rows == 11


def test_errors_share_one_root_and_say_where_to_quarantine_and_how_to_exit(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_text(SEEDS[0].read_text().replace("Upheld", "Modified"))
    with pytest.raises(imr_etl.LetterParseError) as parse_error:
        imr_etl.parse_file(broken)
    assert isinstance(parse_error.value, imr_etl.ImrEtlError) and parse_error.value.stage == "parse"
    assert one_line(parse_error.value).startswith(f"{broken}:")

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(imr_etl.PdfTextError) as pdf_error:
        imr_etl.parse_file(scan)
    assert pdf_error.value.stage == "read"

    with pytest.raises(imr_etl.WarehouseError) as missing:
        imr_etl.check(str(tmp_path / "nowhere.duckdb"))
    assert missing.value.exit_status == 1 and "no warehouse at" in one_line(missing.value)
    assert imr_etl.WarehouseBusy("busy").exit_status == EXIT_BUSY

    unwritable = tmp_path / "no-such-dir" / "report.html"
    db = str(tmp_path / "w.duckdb")
    imr_etl.load([SEEDS[0]], db, jobs=1)
    with pytest.raises(imr_etl.OutputError):
        imr_etl.report(unwritable, db)


def test_a_bug_is_one_line_named_as_internal():
    assert one_line(KeyError("x")) == "internal error: KeyError: 'x'"


def test_the_entry_points_are_the_library_functions_even_after_their_modules_load():
    import imr_etl.checks
    import imr_etl.exporting
    import imr_etl.reporting
    import imr_etl.writer

    assert imr_etl.load is imr_etl.writer.load and imr_etl.check is imr_etl.checks.check
    assert imr_etl.report is imr_etl.reporting.report and imr_etl.export is imr_etl.exporting.export
    assert callable(imr_etl.parse_file)
