"""The warehouse commands: migrate, load, views, sql — output, exit codes, no tracebacks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import REAL, SEEDS
from imr_etl import warehouse
from imr_etl.cli import EXIT_BUSY, EXIT_QUARANTINED, main

SUMMARY = re.compile(r"^\S+: (\d+) letters seen, (\d+) new, (\d+) updated, \d+ re-derived, (\d+) unchanged, "
                     r"(\d+) quarantined; (\d+) decisions written, \d+ Unclassified; \d+\.\d s$")


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def summary(result) -> tuple[int, ...]:
    match = SUMMARY.match(result.stdout.strip().splitlines()[-1])
    assert match, result.output
    return tuple(map(int, match.groups()))


@pytest.fixture
def letters(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    for path in SEEDS:
        shutil.copy(path, folder / path.name)
    return folder


def test_every_warehouse_command_has_help_with_an_example():
    for command in ("migrate", "load", "views", "sql"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output and "Example" in result.output, command
    assert "PDF" in run("load", "--help").output


def test_load_twice_prints_one_summary_line_each(letters, tmp_path):
    db = tmp_path / "w.duckdb"
    first = run("load", letters, "--db", db)
    assert first.exit_code == 0, first.output
    assert first.stdout.count("\n") == 1 and first.stderr == ""
    assert summary(first) == (5, 5, 0, 0, 0, 11)
    second = run("load", letters, "--db", db)
    assert second.exit_code == 0 and summary(second) == (5, 0, 0, 5, 0, 0)


def test_load_without_paths_loads_the_bundled_samples(tmp_path):
    result = run("load", "--db", tmp_path / "w.duckdb")
    assert result.exit_code == 0, result.output
    assert summary(result)[:2] == (len(SEEDS) + len(REAL), len(SEEDS) + len(REAL))
    # each real letter is there as .pdf and as .txt: the text is loaded, the PDF skipped
    assert "skipped 105 PDF files" in result.stderr and "as a .txt file of the same name" in result.stderr


def test_load_uses_the_environment_variable_for_the_warehouse(letters, tmp_path):
    db = tmp_path / "env.duckdb"
    result = run("load", letters, env={warehouse.ENV_VAR: str(db)})
    assert result.exit_code == 0 and db.exists()


def test_quarantine_is_reported_and_strict_exits_non_zero(letters, tmp_path):
    db = tmp_path / "w.duckdb"
    (letters / "bad.txt").write_text("Shopping list\nmilk\n")
    result = run("load", letters, "--db", db)
    assert result.exit_code == 0
    assert summary(result) == (6, 5, 0, 0, 1, 11)
    assert result.stderr.splitlines() == [
        f"quarantined {(letters / 'bad.txt').resolve()}:1:1: found 'Shopping list milk', expected "
        "'HOW THE IMR FINAL DETERMINATION WAS MADE'"]

    strict = run("load", letters, "--db", db, "--strict")
    assert strict.exit_code == EXIT_QUARANTINED and "Traceback" not in strict.output
    assert summary(strict) == (6, 0, 0, 5, 1, 0)

    quiet = run("load", letters, "--db", db, "--strict", "--quiet")
    assert quiet.exit_code == EXIT_QUARANTINED
    assert quiet.stderr == "" and len(quiet.stdout.splitlines()) == 1


def test_a_second_load_is_refused_while_one_runs(letters, tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.lock(warehouse.resolve_url(str(db))):
        result = run("load", letters, "--db", db)
    assert result.exit_code == EXIT_BUSY
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {db} is being written by another imr-etl (pid {os.getpid()}); "
        "try again when it finishes, or pass --wait SECONDS"]


def test_a_warehouse_open_in_another_process_is_one_clear_line(letters, tmp_path):
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for args in (("load", letters), ("sql", "SELECT 1"), ("migrate",)):
            result = run(*args, "--db", db)
            assert result.exit_code == EXIT_BUSY, args
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"error: {db} is in use by "), result.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_migrate_creates_an_empty_warehouse_with_its_views_and_can_go_down(tmp_path):
    db = tmp_path / "w.duckdb"
    result = run("migrate", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"{db}: schema at revision {warehouse.head_revision()} (latest); "
                                     f"{len(warehouse.views())} views")
    empty = run("sql", "SELECT count(*) AS n FROM v_decisions", "--db", db)
    assert empty.exit_code == 0 and empty.stdout.splitlines()[2].strip() == "0"
    down = run("migrate", "--db", db, "--downgrade", "base")
    assert down.exit_code == 0 and "revision base" in down.stdout


def test_views_lists_each_view_with_its_description():
    result = run("views")
    assert result.exit_code == 0
    listed = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert list(listed) == [v.name for v in warehouse.views()]
    assert "Wilson" in listed["v_overturn_rate_by_treatment"]
    one = run("views", "v_letters")
    assert one.exit_code == 0 and "CREATE OR REPLACE VIEW v_letters" in one.stdout
    assert run("views", "v_nope").exit_code == 2


def test_sql_prints_a_table(letters, tmp_path):
    db = tmp_path / "w.duckdb"
    run("load", letters, "--db", db)
    result = run("sql", "SELECT treatment_subcategory, decisions, overturned, overturn_rate "
                        "FROM v_overturn_rate_by_treatment ORDER BY treatment_subcategory", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["treatment_subcategory", "decisions", "overturned", "overturn_rate"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["acupuncture", "3", "1", "0.3333"]
    assert lines[-1] == "(5 rows)"
    as_csv = run("sql", "SELECT count(*) AS decisions FROM v_decisions", "--db", db, "--csv")
    assert as_csv.stdout == "decisions\n11\n"
    literal = run("sql", "SELECT 'a:b' AS x, 2::DOUBLE / 3 AS y, NULL AS z", "--db", db)
    assert literal.exit_code == 0, literal.output
    assert literal.stdout.splitlines()[2].split() == ["a:b", "0.6667", "NULL"]


def test_sql_errors_are_one_line(letters, tmp_path):
    db = tmp_path / "w.duckdb"
    missing = run("sql", "SELECT 1", "--db", db)
    assert missing.exit_code == 1
    assert missing.stderr.strip() == (f"error: no warehouse at {db}; create it with `imr-etl load` "
                                       "or `imr-etl migrate`")
    assert not db.exists()
    run("migrate", "--db", db)
    bad = run("sql", "SELECT * FROM no_such_view", "--db", db)
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert len(bad.stderr.splitlines()) == 1 and "no_such_view" in bad.stderr
    write = run("sql", "DELETE FROM dim_letter", "--db", db)  # the sql command only reads
    assert write.exit_code == 1 and "read-only" in write.stderr


def test_verbose_logs_the_traceback_of_an_error(tmp_path, caplog):
    db = tmp_path / "w.duckdb"
    run("migrate", "--db", db)
    quiet = run("sql", "SELECT * FROM no_such_view", "--db", db)
    assert not [r for r in caplog.records if r.exc_info]
    result = run("--verbose", "sql", "SELECT * FROM no_such_view", "--db", db)
    assert result.exit_code == quiet.exit_code == 1
    assert [r for r in caplog.records if r.exc_info and "no_such_view" in r.getMessage()]


def test_the_installed_command_loads_twice(tmp_path):
    """The console script end to end, as `make load` runs it."""
    exe = shutil.which("imr-etl", path=str(Path(sys.executable).parent))
    assert exe, "imr-etl is not installed in this environment"
    db = tmp_path / "w.duckdb"
    for expected in ((5, 5, 0, 0, 0, 11), (5, 0, 0, 5, 0, 0)):
        done = subprocess.run([exe, "load", SEEDS[0].parent, "--db", db, "--quiet"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        match = SUMMARY.match(done.stdout.strip())
        assert match and tuple(map(int, match.groups())) == expected
