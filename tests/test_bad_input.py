"""A nightly directory of files nobody checked: the good letters load, each
bad file is quarantined with a reason a person can act on, the run completes
and counts them, and nothing reaches the user as a traceback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import REAL, SEEDS
from imr_etl import warehouse, workers
from imr_etl.cli import main
from imr_etl.letters import derive
from imr_etl.writer import load

GOOD = SEEDS + REAL[:2]


def quarantine(db: str) -> dict[str, tuple]:
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT source_path, stage, reason, line_number, column_number, raw_text IS NOT NULL "
            "FROM etl_quarantine").fetchall()
    return {Path(r[0]).name: tuple(r[1:]) for r in rows}


def letter_count(db: str) -> int:
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM dim_letter").scalar()


@pytest.fixture
def nightly(tmp_path) -> Path:
    """The good letters, and beside them every kind of bad file."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in GOOD:
        shutil.copy(path, folder / path.name)
    seed = SEEDS[0].read_text(encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "garbage.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "truncated.txt").write_text(seed[: len(seed) // 3], encoding="utf-8")
    (folder / "shopping.txt").write_text("Shopping list\nmilk\neggs\n", encoding="utf-8")
    (folder / "one_long_line.txt").write_text("x" * 5_000_000, encoding="utf-8")
    (folder / "utf16.txt").write_bytes(seed.encode("utf-16"))  # with its BOM: still a letter
    (folder / "no_items.txt").write_text(seed.split("IMR ISSUES, DECISIONS AND RATIONALES")[0]
                                         + "IMR ISSUES, DECISIONS AND RATIONALES\n", encoding="utf-8")
    (folder / "denied.txt").write_text(seed.replace(":  Upheld", ":  Denied", 1), encoding="utf-8")
    (folder / "twin.txt").write_bytes(GOOD[1].read_bytes())  # the same letter under a second name
    # cp1252 and latin-1 extractions of a seed load like the original
    (folder / "cp1252.txt").write_bytes((SEEDS[2].read_text(encoding="utf-8")
                                         + "\nCaf\u00e9 \u2013 \u201cquoted\u201d\n").encode("cp1252"))
    (folder / "latin1.txt").write_bytes((SEEDS[3].read_text(encoding="utf-8") + "\nCafé\n").encode("latin-1"))
    # a symlink loop in the tree (discovery must not follow it forever)
    (folder / "loop").mkdir()
    os.symlink("..", folder / "loop" / "again")
    return folder


def test_good_letters_load_and_each_bad_file_is_quarantined_with_a_reason(nightly, tmp_path):
    db = str(tmp_path / "imr.duckdb")
    summary = load([nightly], db, jobs=1)
    quarantined = quarantine(db)
    assert set(quarantined) == {"empty.txt", "garbage.txt", "truncated.txt", "shopping.txt",
                                "one_long_line.txt", "no_items.txt", "denied.txt"}
    # twin.txt is a good letter's bytes again: loaded once.  utf16, cp1252 and
    # latin1 are seeds in other encodings: letters of their own (a seed has no
    # case number, so its identity is its path), and not quarantined.
    assert letter_count(db) == len(GOOD) + 3
    assert summary.unchanged == 1
    assert summary.quarantined == len(quarantined)
    for name, (stage, reason, line, column, has_text) in quarantined.items():
        assert reason and "\n" not in reason and "Traceback" not in reason, name
        assert has_text, name
    assert quarantined["empty.txt"][1] == "empty letter: no text"
    # The error points at the file's own line and column: "Acupuncture, eight
    # visits:  Denied" (two spaces before the word, which the normalizer
    # makes one), and the end of the last line of the truncated letter.
    lines = (nightly / "denied.txt").read_text(encoding="utf-8").splitlines()
    (denied_line,) = [n for n, text in enumerate(lines, 1) if text.rstrip().endswith(":  Denied")]
    assert quarantined["denied.txt"][:2] == ("parse", "found 'Denied', expected Upheld or Overturned")
    assert quarantined["denied.txt"][2:4] == (denied_line, lines[denied_line - 1].index("Denied") + 1)
    cut = (nightly / "truncated.txt").read_text(encoding="utf-8").splitlines()
    assert quarantined["truncated.txt"][2:4] == (len(cut), len(cut[-1].rstrip()) + 1)


def test_a_second_run_over_the_same_directory_changes_nothing(nightly, tmp_path):
    db = str(tmp_path / "imr.duckdb")
    load([nightly], db, jobs=1)
    first = (letter_count(db), quarantine(db))
    again = load([nightly], db, jobs=1)
    assert (letter_count(db), quarantine(db)) == first
    assert again.new == again.updated == 0


def test_the_cli_reports_quarantine_in_one_summary_line_and_strict_fails(nightly, tmp_path):
    db = str(tmp_path / "imr.duckdb")
    result = CliRunner().invoke(main, ["load", str(nightly), "--db", db, "--quiet", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "7 quarantined" in result.output
    strict = CliRunner().invoke(main, ["load", str(nightly), "--db", db, "--quiet", "--strict", "--jobs", "1"])
    assert strict.exit_code == 2


def test_a_letter_that_parses_too_long_is_quarantined_and_the_run_goes_on(tmp_path):
    """The per-letter time budget: a pathological letter (here, a parser made
    to hang on one file) is quarantined with that reason; the rest load."""
    import time as time_module


    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in GOOD:
        shutil.copy(path, folder / path.name)
    (folder / "slow.txt").write_bytes(GOOD[0].read_bytes() + b"\n")

    def parse(text, data, source, *args):
        if source.endswith("slow.txt"):
            time_module.sleep(60)
        return derive(text, data, source, *args)

    db = str(tmp_path / "imr.duckdb")
    started = time_module.monotonic()
    summary = load([folder], db, jobs=1, hooks=workers.Hooks(parse=parse, parse_seconds=0.5))
    assert time_module.monotonic() - started < 30
    assert quarantine(db)["slow.txt"][:2] == ("parse", "took over 0.5 s to parse: not a letter as the grammar knows it")
    assert letter_count(db) == len(GOOD)
    assert summary.quarantined == 1


def slow_on_slow_files(text, data, source, *args):
    """A parse that never ends on a file named slow*.txt (module-level: the
    workers import it by name)."""
    while Path(source).name.startswith("slow"):
        pass
    return derive(text, data, source, *args)


def test_a_letter_that_takes_too_long_in_a_worker_is_quarantined_too(tmp_path):
    """In a worker the budget's handler stands for good (workers.warm, in
    the fork server): it interrupts a letter there as in-process."""
    import time as time_module

    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in GOOD:
        shutil.copy(path, folder / path.name)
    (folder / "slow.txt").write_bytes(GOOD[0].read_bytes() + b"\n")
    db = str(tmp_path / "imr.duckdb")
    started = time_module.monotonic()
    hooks = workers.Hooks(parse=slow_on_slow_files, parse_seconds=0.5, min_pool=0, task_size=1)
    summary = load([folder], db, jobs=2, hooks=hooks)
    assert time_module.monotonic() - started < 30
    assert quarantine(db)["slow.txt"][:2] == ("parse", "took over 0.5 s to parse: not a letter as the grammar knows it")
    assert letter_count(db) == len(GOOD) and summary.quarantined == 1


def test_in_process_the_budget_puts_back_the_handler_it_found():
    import signal

    from imr_etl.errors import ParseTimeout

    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        with workers.time_budget(5):
            assert signal.getsignal(signal.SIGALRM) is workers._expire
        assert signal.getsignal(signal.SIGALRM) is mine
        with pytest.raises(ParseTimeout):
            with workers.time_budget(0.05):
                while True:
                    pass
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_an_unreadable_file_is_quarantined_and_the_rest_load(tmp_path):
    """Permissions do not stop root (who runs these tests), so the refusal is
    the operating system's error raised where the loader opens the file."""

    folder = tmp_path / "incoming"
    folder.mkdir()
    for path in GOOD:
        shutil.copy(path, folder / path.name)
    (folder / "locked.txt").write_bytes(REAL[3].read_bytes())
    os.chmod(folder / "locked.txt", 0)

    def read(path, **knobs):
        if path.endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", path)
        return workers.read(path, **knobs)

    db = str(tmp_path / "imr.duckdb")
    summary = load([folder], db, jobs=1, hooks=workers.Hooks(read=read))
    stage, reason, *_ = quarantine(db)["locked.txt"]
    assert (stage, reason) == ("read", "cannot read: Permission denied")
    assert letter_count(db) == len(GOOD) and summary.quarantined == 1


def test_a_damaged_byte_after_a_byte_order_mark_is_not_a_crash():
    """A UTF-8 BOM, then a byte UTF-8 cannot hold inside the case summary: the
    letter still parses, its decisions unchanged."""
    from imr_etl.letters import parse_bytes

    original = SEEDS[0].read_bytes()
    at = original.index(b"CLINICAL CASE SUMMARY") + 40
    damaged = b"\xef\xbb\xbf" + original[:at] + b"\xff" + original[at:]
    expected = parse_bytes(original, "seed.txt")["items"]
    assert [(i["service"], i["decision"]) for i in parse_bytes(damaged, "seed.txt")["items"]] == \
        [(i["service"], i["decision"]) for i in expected]
