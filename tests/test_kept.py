"""The grammar's output kept beside the warehouse (imr_etl.kept, issue 15):
a letter re-derived from it gets the record and rows the full parse gives,
and a load keeps it, finds it and never depends on it."""

from __future__ import annotations

import ast
import logging
import pickle
import shutil
import sqlite3
import zlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from helpers import REAL, SEEDS, imr_etl, package_copy, python_prints, query, snapshot
from imr_etl import kept, lineage, rows, synth, transform
from imr_etl.letters import derive, parse_text, read_letter
from imr_etl.writer import load

NOW = datetime(2026, 1, 1)


def letters() -> list[tuple[str, bytes]]:
    samples = [(str(path), path.read_bytes()) for path in SEEDS + REAL]
    return samples + [(path, data) for path, data, _ in synth.letters(300, 11)]


def test_a_letter_from_its_kept_parse_has_the_record_and_rows_of_its_full_parse():
    compared = 0
    for source, data in letters():
        record, keep = derive(data, data, source)
        assert record == parse_text(data, data, source)
        again, kept_again = derive(data, data, source, "text", keep)
        assert again == record
        assert rows.letter_rows(again, 1, NOW).tables == rows.letter_rows(record, 1, NOW).tables
        assert kept_again is None, source  # made from what was kept: nothing new to keep
        compared += 1
    assert compared == len(SEEDS) + len(REAL) + 300


def test_a_letter_without_a_dated_header_is_kept_with_its_text():
    # The seeds have no header block, and their two-digit years are read
    # against the letter's latest date: "injury date on 1/24/00" (seed 000)
    for path in (SEEDS[0], REAL[0]):
        data = path.read_bytes()
        _, keep = derive(data, data, str(path))
        letter, text = transform.kept(keep)
        assert (text is not None) == (path in SEEDS)
        if text is not None:
            assert "The patient is a 66 year old with an injury date on 1/24/00" in text
    assert derive(SEEDS[0].read_bytes(), SEEDS[0].read_bytes())[0]["patient"]["injury_date"] == "2000-01-24"


def test_a_record_that_needs_the_text_not_kept_is_parsed_again():
    # seed 000 with a header whose one date is none: its "1/24/00" is still
    # read against the letter's latest date, from its whole text
    data = b"Case Number: CM15-0000001 Date Assigned: pending\n" + SEEDS[0].read_bytes()
    record, keep = derive(data, data)
    assert transform.kept(keep)[1] is None and record["patient"]["injury_date"] == "2000-01-24"
    assert derive(data, data, "", "text", keep) == (record, keep)  # parsed again, the same


def test_damaged_or_foreign_kept_bytes_mean_a_full_parse():
    data = REAL[0].read_bytes()
    record, keep = derive(data, data, str(REAL[0]))
    foreign = zlib.compress(pickle.dumps(({"a": "dict"}, None)))
    for bad in (keep[:-5], b"not zlib", zlib.compress(pickle.dumps(1)), foreign):
        again, kept_again = derive(data, data, str(REAL[0]), "text", bad)
        assert again == record and kept_again == keep


@pytest.mark.parametrize("where", ["transform.kept", "letters.record"])
def test_a_letter_out_of_time_on_its_kept_parse_is_not_parsed_again(where, monkeypatch):
    """The time budget (workers.time_budget) interrupts whatever runs: from
    the kept parse, the timeout reaches the worker, which quarantines the
    letter, instead of a full parse starting with no budget left."""
    from imr_etl import letters
    from imr_etl.errors import ParseTimeout

    data = REAL[0].read_bytes()
    _, keep = derive(data, data)
    module, name = where.split(".")
    module = {"transform": transform, "letters": letters}[module]
    real, calls = getattr(module, name), []

    def out_of_time(*args):  # the first call runs out of time; any later one would be in time
        calls.append(args)
        if len(calls) == 1:
            raise ParseTimeout
        return real(*args)

    monkeypatch.setattr(module, name, out_of_time)
    with pytest.raises(ParseTimeout):
        derive(data, data, "", "text", keep)
    assert len(calls) == 1


def test_the_kept_letter_holds_no_vocabulary_but_the_citation_sources():
    # CM16-0219557 (real): "State(s) of Licensure: Texas,New York,California",
    # "Certification(s)/Specialty: Preventive Medicine, Occupational Medicine"
    data = REAL[0].read_bytes()
    letter, _ = read_letter(data)
    narrative, credentials = letter.reviewer
    assert narrative is None  # its paragraph has no qualifications sentence
    assert [name.strip() for name in credentials["state_names"]] == ["Texas", "New York", "California"]
    assert credentials["specialties"] == ["Preventive Medicine", "Occupational Medicine"]
    assert "licensure_states" not in credentials and "board_specialties" not in credentials
    assert parse_text(data, data)["reviewer"]["licensure_states"] == ["TX", "NY", "CA"]
    for item in letter.items:
        assert item.citations and all("guideline_id" not in c and c["source"] for c in item.citations)


def test_the_grammar_key_covers_the_grammar_stage_and_not_the_record_stage():
    modules = set(lineage.grammar_modules())
    assert {"normalize", "parse", "transform", "citations"} <= modules
    assert not modules & {"records", "classify", "drugs", "dwc", "extract", "guidelines", "conditions", "rows"}
    named = {name for module in modules for name in lineage.vocabularies(module)}
    assert named == {"characters.csv", "guidelines.csv"}


def _reads_a_vocabulary(call: ast.Call) -> bool:
    called = ast.unparse(call.func)
    return called in ("vocabulary.rows", "vocab") or (called.endswith(".joinpath") and "imr_etl.vocab" in called)


def test_every_vocabulary_read_names_its_file():
    """lineage.vocabularies finds a module's vocabularies by their names
    written out: a read by a name made at run time would escape it."""
    package = Path(lineage.__file__).parent
    reads = []
    for path in package.glob("*.py"):
        if path.name == "vocabulary.py":  # the reader itself: it reads the name it is given
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reads += [(path.name, call) for call in ast.walk(tree) if isinstance(call, ast.Call) and _reads_a_vocabulary(call)]
    assert len(reads) > 30
    for module, call in reads:
        [name] = call.args
        assert isinstance(name, ast.Constant) and name.value.endswith(".csv"), (module, ast.unparse(call))


def _edit(relative: str, old: str, new: str):
    def change(package: Path) -> None:
        path = package / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


KEY = "from imr_etl import lineage; print(lineage.grammar_key('text'))"


@pytest.mark.parametrize("change, same", [
    (_edit("vocab/drugs.csv", ",Muscle Relaxant,", ",Skeletal Muscle Relaxant,"), True),
    (_edit("vocab/states.csv", "California", "Californie"), True),
    (_edit("classify.py", "def split_specialties", "def split_specialties  "), True),
    (_edit("vocab/characters.csv", "\n", "\n\n"), False),
    (_edit("vocab/guidelines.csv", "\n", "\n\n"), False),
    (_edit("grammars/letter.lark", "start:", "start :"), False),
    (_edit("citations.py", "def clean", "def clean "), False),
])
def test_a_release_keeps_the_grammar_key_unless_it_changes_the_grammar_stage(change, same, tmp_path):
    key = python_prints(KEY, package_copy(tmp_path, change))
    assert (key == lineage.grammar_key("text")) == same


def entries(db: Path) -> dict[tuple[str, str], bytes]:
    """(file's sha256, grammar key) → the entry, as the file beside ``db`` holds them."""
    with sqlite3.connect(kept.path_beside(db)) as store:
        return {(sha.lower(), key): letter for sha, key, letter in store.execute(
            "SELECT hex(sha256), grammar_key, letter FROM kept_parse JOIN grammar_key USING (key_id)")}


def test_a_load_keeps_each_parsed_letter_beside_the_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    summary = load([*SEEDS, *REAL[:20]], str(db), jobs=1)
    kept_ = entries(db)
    shas = dict(query(str(db), "SELECT source_path, sha256 FROM dim_letter"))
    assert len(shas) == summary.new == len(kept_)
    for path, sha in shas.items():
        blob = kept_[sha, lineage.grammar_key("text")]
        data = Path(path).read_bytes()
        assert derive(data, data, path, "text", blob) == (parse_text(data, data, path), None)


def _another_parser(db: Path) -> None:
    """Mark every letter as derived by another parser (the fingerprint a
    release with another vocabulary would have found)."""
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE etl_source_file SET parser_fingerprint = 'another'")
        conn.execute("UPDATE dim_letter SET parser_fingerprint = 'another'")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_re_derivation_starts_from_the_kept_parses(jobs, tmp_path):
    db = tmp_path / "w.duckdb"
    paths = [*SEEDS, *REAL]
    load(paths, str(db), jobs=jobs)
    before = snapshot(str(db), ignore=("etl_load_run",))
    _another_parser(db)
    summary = load(paths, str(db), jobs=jobs, hooks=_with_min_pool(jobs))
    assert summary.from_kept_parses == len(paths)
    assert (summary.unchanged, summary.rederived) == (len(paths), 0)  # the same rows: only the lineage is new
    assert snapshot(str(db), ignore=("etl_load_run",)) == before


def test_a_pdf_s_kept_parse_is_kept_under_its_extractor_too(tmp_path):
    pdfs = [path.with_suffix(".pdf") for path in REAL[:4]]
    db = tmp_path / "w.duckdb"
    assert load(pdfs, str(db), jobs=1).new == len(pdfs)
    assert {key for _, key in entries(db)} == {lineage.grammar_key("pdf")}
    assert lineage.extractor() in lineage.grammar_key("pdf") and lineage.grammar_key("text") != lineage.grammar_key("pdf")
    before = snapshot(str(db))
    _another_parser(db)
    summary = load(pdfs, str(db), jobs=1)
    assert (summary.from_kept_parses, summary.unchanged) == (len(pdfs), len(pdfs))
    assert snapshot(str(db)) == before


def _with_min_pool(jobs: int):
    from imr_etl import workers

    return workers.Hooks(min_pool=0) if jobs > 1 else workers.DEFAULT_HOOKS


def test_without_keeping_nothing_is_kept_nor_used(tmp_path):
    db = tmp_path / "w.duckdb"
    imr_etl("load", *map(str, SEEDS), "--db", str(db), "--quiet", "--no-keep-parses")
    assert not kept.path_beside(db).exists()
    _another_parser(db)
    assert load(SEEDS, str(db), jobs=1).from_kept_parses == 0  # parsed in full, and kept
    _another_parser(db)
    assert load(SEEDS, str(db), jobs=1, keep_parses=False).from_kept_parses == 0
    _another_parser(db)
    assert load(SEEDS, str(db), jobs=1).from_kept_parses == len(SEEDS)


def test_a_damaged_store_is_no_reason_to_fail(tmp_path, caplog):
    db = tmp_path / "w.duckdb"
    kept.path_beside(db).write_bytes(b"this is not a SQLite file" * 100)
    with caplog.at_level(logging.WARNING, logger="imr_etl.kept"):
        summary = load(SEEDS, str(db), jobs=1)
    assert (summary.new, summary.quarantined) == (len(SEEDS), 0)
    assert "kept parses not used" in caplog.text and str(kept.path_beside(db)) in caplog.text


def test_a_replaced_letter_s_kept_parse_goes_with_it(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    for path in SEEDS:
        shutil.copy(path, folder / path.name)
    db = tmp_path / "w.duckdb"
    load([folder], str(db), jobs=1)
    changed = folder / SEEDS[1].name
    old = query(str(db), "SELECT sha256 FROM dim_letter WHERE source_path = ?", str(changed.resolve()))
    changed.write_bytes(changed.read_bytes().replace(b"Upheld", b"Overturned", 1))
    assert load([folder], str(db), jobs=1).updated == 1
    kept_ = entries(db)
    assert len(kept_) == len(SEEDS) and old[0][0] not in {sha for sha, _ in kept_}


def test_a_new_grammar_drops_what_the_old_one_kept(tmp_path):
    db = tmp_path / "w.duckdb"
    load(SEEDS, str(db), jobs=1)
    store = kept.KeptParses(kept.path_beside(db), {"another grammar"})
    assert store.count() == 0
    store.put([("ab" * 32, "another grammar", b"x")])
    store.close()
    load(SEEDS[:2], str(db), jobs=1, force=True)
    assert {key for _, key in entries(db)} == {lineage.grammar_key("text")}
    assert len(entries(db)) == 2


def test_a_file_of_another_layout_is_laid_out_anew(tmp_path):
    db = tmp_path / "w.duckdb"
    with sqlite3.connect(kept.path_beside(db)) as old:  # what the first kept parses looked like
        old.execute("CREATE TABLE kept_parse (sha256 TEXT, grammar_key TEXT, letter BLOB)")
        old.execute("INSERT INTO kept_parse VALUES ('ab', 'k', x'00')")
    summary = load(SEEDS, str(db), jobs=1)
    assert len(entries(db)) == summary.new == len(SEEDS)
    with sqlite3.connect(kept.path_beside(db)) as store:
        assert store.execute("PRAGMA user_version").fetchone() == (kept.FORMAT,)
