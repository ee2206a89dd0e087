"""The warehouse on a real PostgreSQL server: migrations, idempotent loads,
a corrected letter replacing its rows, all-or-nothing per letter, the writer
lock, the commands.  (The views' numbers: test_views.py, on both databases.)

Needs $IMR_ETL_TEST_PG (pgserver.py): skipped without it, failing under CI —
but for the unreachable server, which needs none.
"""

from __future__ import annotations

import shutil
import warnings
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from helpers import (GROWING, REAL, RUN_COLUMNS, SEEDS, TABLES, decision_lines, declared_keys, imr_etl, load_killed,
                     query, schema_keys, unwritable, writers_in_turn)
from helpers import snapshot as columns_snapshot
from imr_etl import checks, dialect, schema, warehouse, workers
from imr_etl.cli import EXIT_BUSY, main
from imr_etl.letters import parse_file
from imr_etl.writer import load

def snapshot(db: str) -> dict[str, list[tuple]]:
    """Every row of every table but the logs of runs and of files read."""
    out = {}
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        for table in TABLES:
            if table not in ("etl_load_run", "etl_source_file"):
                out[table] = sorted(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {table}")), key=repr)
    return out


# --------------------------------------------------------------- migrations

def test_migrations_run_up_and_down_and_match_the_schema_module(pg_db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with warehouse.open_engine(pg_db) as engine:
        warehouse.migrate(engine)
        found = inspect(engine)
        assert set(found.get_table_names()) == set(TABLES) | {"alembic_version"}
        assert set(found.get_view_names()) == {v.name for v in warehouse.views()}
        assert warehouse.current_revision(engine) == warehouse.head_revision()
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = MigrationContext.configure(conn, opts={"compare_type": warehouse.compare_type})
            assert compare_metadata(context, schema.metadata) == []

        # PostgreSQL keeps the keys revision 0008 drops on DuckDB: its indexes live on disk
        assert declared_keys(pg_db) == {**schema_keys(declared_only=True),
                                        **{t: schema_keys(declared_only=False)[t] for t in GROWING}}

        warehouse.downgrade(engine, "base")  # the views depend on each other: dropped with CASCADE
        found = inspect(engine)
        assert set(found.get_table_names()) == {"alembic_version"} and found.get_view_names() == []
        warehouse.migrate(engine)
        assert set(inspect(engine).get_table_names()) == set(TABLES) | {"alembic_version"}


def test_revision_0002_backfills_the_files_of_letters_already_loaded(pg_db):
    load([SEEDS[0].parent], pg_db, jobs=1)
    with warehouse.open_engine(pg_db) as engine:
        warehouse.downgrade(engine, "0001")
        warehouse.migrate(engine)
    assert query(pg_db, "SELECT count(*), count(size_bytes) FROM etl_source_file") == [(len(SEEDS), 0)]
    assert sorted(query(pg_db, "SELECT source_path, sha256 FROM etl_source_file")) == sorted(
        (str(p.resolve()), parse_file(p)["sha256"]) for p in SEEDS)
    # hashed once, and parsed once more: before revision 0007 no letter recorded the parser that derived it
    second = load([SEEDS[0].parent], pg_db, jobs=1)
    assert (second.new, second.updated, second.rederived, second.unchanged) == (0, 0, len(SEEDS), 0)


# ------------------------------------------------------------ idempotence

def test_loading_twice_changes_nothing(letters, pg_db):
    first = load([letters], pg_db, jobs=1)
    assert first.decisions == sum(len(decision_lines(p)) for p in letters.iterdir())
    before = snapshot(pg_db)
    second = load([letters], pg_db, jobs=1)
    assert (second.seen, second.new, second.updated, second.unchanged, second.decisions) == (7, 0, 0, 7, 0)
    assert snapshot(pg_db) == before


def test_a_changed_letter_replaces_its_rows(letters, pg_db):
    load([letters], pg_db, jobs=1)
    seed = letters / SEEDS[0].name
    text = seed.read_text()
    assert "Chiropractic, eight visits:  Upheld" in text
    seed.write_text(text.replace("Chiropractic, eight visits:  Upheld", "Chiropractic, eight visits:  Overturned"))

    summary = load([letters], pg_db, jobs=1)
    assert (summary.new, summary.updated, summary.unchanged, summary.decisions) == (0, 1, 6, 3)
    assert query(pg_db, "SELECT ordinal, decision FROM v_decisions WHERE source_path = ? ORDER BY ordinal",
                 str(seed)) == [(1, "upheld"), (2, "overturned"), (3, "overturned")]
    assert query(pg_db, "SELECT sha256 FROM dim_letter WHERE source_path = ?", str(seed)) == \
        [(parse_file(seed)["sha256"],)]
    assert query(pg_db, "SELECT count(*) FROM fact_citation c JOIN dim_letter l USING (letter_key)"
                        " WHERE l.source_path = ?", str(seed)) == [(sum(
                            len(i["citations"]) for i in parse_file(seed)["items"]),)]
    assert query(pg_db, "SELECT count(*) FROM fact_decision") == \
        [(sum(len(decision_lines(p)) for p in letters.iterdir()),)]


def test_a_letter_that_fails_to_write_is_quarantined_alone(letters, pg_db):
    """A database error while writing one letter of a batch rolls back only
    that letter (PostgreSQL aborts the whole transaction on an error: the
    batch is retried in halves down to the letter)."""
    victim = str((letters / SEEDS[3].name).resolve())
    # a NOT NULL column left empty in its second decision
    summary = load([letters], pg_db, jobs=1, hooks=workers.Hooks(prepare=unwritable(victim, 1)))
    assert (summary.new, summary.quarantined) == (6, 1)
    [(stage, reason)] = query(pg_db, "SELECT stage, reason FROM etl_quarantine")
    assert stage == "load" and reason.startswith("load failed: ") and "not-null" in reason
    assert query(pg_db, "SELECT count(*) FROM dim_letter WHERE source_path = ?", victim) == [(0,)]
    assert query(pg_db, "SELECT count(*) FROM fact_decision d JOIN dim_letter l USING (letter_key)"
                        " WHERE l.source_path = ?", victim) == [(0,)]
    again = load([letters], pg_db, jobs=1)  # fixed: the next run loads it and forgets the failure
    assert (again.new, again.unchanged, again.quarantined) == (1, 6, 0)
    assert query(pg_db, "SELECT count(*) FROM etl_quarantine") == [(0,)]


def test_a_bad_letter_is_quarantined_with_its_text_and_bytes(letters, pg_db):
    (letters / "empty.txt").write_bytes(b"")
    (letters / "binary.txt").write_bytes(b"\x00\xff\xfe not a letter \x00")
    (letters / "prose.txt").write_text("Dear   reader,\n\n\tthis is  not a letter.\n")
    summary = load([letters], pg_db, jobs=1)
    assert (summary.new, summary.quarantined) == (7, 3)
    raw = dict(query(pg_db, "SELECT source_path, raw_bytes FROM etl_quarantine"))
    assert raw[str(letters / "binary.txt")] == b"\x00\xff\xfe not a letter \x00"
    assert query(pg_db, "SELECT count(*) FROM v_quarantine WHERE stage = 'parse'") == [(3,)]
    assert query(pg_db, "SELECT text_preview FROM v_quarantine WHERE source_path = ?",
                 str(letters / "prose.txt")) == [("Dear reader, this is not a letter.",)]


def test_a_batch_larger_than_one_write(letters, pg_db):
    """Batches of two letters: several transactions, the same result."""
    for path in REAL[2:8]:
        shutil.copy(path, letters / path.name)
    summary = load([letters], pg_db, jobs=1, batch_size=2)
    assert (summary.new, summary.quarantined) == (13, 0)
    assert query(pg_db, "SELECT count(*) FROM fact_decision") == \
        [(sum(len(decision_lines(p)) for p in letters.iterdir()),)]


# -------------------------------------------------------------------- lock

def test_a_second_writer_is_refused_then_can_wait(pg_db):
    url = warehouse.resolve_url(pg_db)
    with warehouse.lock(url):
        with pytest.raises(warehouse.WarehouseBusy, match=r"is being written by another imr-etl \(pid \d+\)"):
            with warehouse.lock(url):
                pass
    with warehouse.lock(url):  # released
        pass

    assert writers_in_turn(url) == ["first lets go", "second holds"]


def test_the_lock_is_per_database(pg_db):
    from pgserver import database

    with database() as other, warehouse.lock(warehouse.resolve_url(pg_db)):
        with warehouse.lock(warehouse.resolve_url(other)):
            pass


# ---------------------------------------------------------------- commands

def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_commands_work_against_postgresql(letters, pg_db):
    migrated = run("migrate", "--db", pg_db)
    assert migrated.exit_code == 0, migrated.output
    assert f"schema at revision {warehouse.head_revision()} (latest)" in migrated.stdout
    assert ":***@" in migrated.stdout  # the password is not printed
    loaded = run("load", letters, "--db", pg_db, "--jobs", "1")
    assert loaded.exit_code == 0 and "7 new" in loaded.stdout, loaded.output
    table = run("sql", "SELECT count(*) AS n FROM v_decisions WHERE service LIKE '%visits%'", "--db", pg_db)
    assert table.exit_code == 0, table.output
    checked = run("check", "--db", pg_db)
    n = len(checks.all_checks())
    assert checked.exit_code == 0 and f"{n} of {n} checks hold" in checked.stdout, checked.output
    written = run("sql", "DELETE FROM fact_decision", "--db", pg_db)  # sql is read-only
    assert written.exit_code == 1 and "read-only" in written.stderr
    assert query(pg_db, "SELECT count(*) > 0 FROM fact_decision") == [(True,)]


def test_a_busy_warehouse_exits_with_the_busy_status(letters, pg_db):
    with warehouse.lock(warehouse.resolve_url(pg_db)):
        result = run("load", letters, "--db", pg_db)
    assert result.exit_code == EXIT_BUSY
    assert result.stderr.count("\n") == 1 and "being written by another imr-etl (pid" in result.stderr


@pytest.mark.parametrize("command", ["load", "migrate", "sql", "check", "export"])
def test_an_unreachable_server_is_one_clear_line(command, tmp_path):
    url = "postgresql://imr:secret@127.0.0.1:1/imr"  # nothing listens on port 1
    args = {"sql": ["SELECT 1"], "export": [tmp_path / "out"], "load": [SEEDS[0]]}.get(command, [])
    result = run(command, *args, "--db", url)
    assert result.exit_code == 1, result.output
    assert result.stderr == ("error: postgresql+psycopg://imr:***@127.0.0.1:1/imr: cannot connect: connection "
                             'to server at "127.0.0.1", port 1 failed: Connection refused\n')


# ---------------------------------------------------------------- SIGKILL

KILL_LETTERS = 300


@pytest.fixture(scope="module")
def kill_corpus(tmp_path_factory):

    folder = tmp_path_factory.mktemp("pgkill") / "letters"
    assert imr_etl("synth", str(KILL_LETTERS), str(folder), "--seed", "3").returncode == 0
    return folder


@pytest.fixture(scope="module")
def clean_kill(kill_corpus) -> dict:
    """The corpus loaded by one uninterrupted run (its rows but the runs')."""
    from pgserver import database

    with database() as db:
        assert imr_etl("load", str(kill_corpus), "--db", db, "--quiet", "--jobs", "1").returncode == 0
        return columns_snapshot(db, ignore=RUN_COLUMNS)


@contextmanager
def copying(db: str):
    """A check, true once the loader is inside a batch's transaction sending
    rows with COPY (seen from another session, kept open so a poll is quick)."""
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        yield lambda: bool(dialect.run(
            conn, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'imr-etl' AND xact_start IS NOT NULL AND query LIKE 'COPY %'").scalar())


@pytest.mark.parametrize("when", ["0.5s", "mid-copy"])
def test_a_load_killed_then_rerun_equals_a_clean_load(when, kill_corpus, clean_kill, pg_db):
    """SIGKILL: the server rolls back the open transaction and ends the
    session, which releases the writer lock; the next run finishes the job."""

    with copying(pg_db) as in_copy:
        condition = in_copy if when == "mid-copy" else None
        finished = load_killed(kill_corpus, pg_db, condition, 60 if condition else 0.5)
    if condition:
        assert not finished, "the load ended before it could be interrupted there"
        assert query(pg_db, "SELECT count(*) FROM dim_letter") == [(0,)]  # the batch rolled back whole

    rerun = imr_etl("load", str(kill_corpus), "--db", pg_db, "--quiet", "--jobs", "1", "--wait", "30")
    assert rerun.returncode == 0, rerun.stderr
    assert columns_snapshot(pg_db, ignore=RUN_COLUMNS) == clean_kill
    assert query(pg_db, "SELECT count(*) FROM etl_source_file") == [(KILL_LETTERS,)]
    assert query(pg_db, "SELECT status FROM etl_load_run ORDER BY run_id DESC LIMIT 1") == [("succeeded",)]


def test_without_psycopg_the_message_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    result = run("sql", "SELECT 1", "--db", "postgresql://imr@127.0.0.1/imr")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: postgresql+psycopg://imr@127.0.0.1/imr: PostgreSQL needs the "
                                    "psycopg driver: pip install 'imr-etl[postgres]'")


def test_a_view_whose_columns_changed_is_replaced(pg_db):
    """PostgreSQL cannot CREATE OR REPLACE a view into other column types: an
    older release's view (here stg_citations with a text position) is
    dropped, with the views on it, and all are created again."""
    with warehouse.open_engine(pg_db) as engine:
        warehouse.migrate(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP VIEW stg_citations CASCADE")
            conn.exec_driver_sql("CREATE VIEW stg_citations AS SELECT decision_key, letter_key, "
                                 "position::TEXT AS position FROM fact_citation")
        warehouse.migrate(engine)
        found = inspect(engine)
        assert set(found.get_view_names()) == {v.name for v in warehouse.views()}
        assert str(next(c["type"] for c in found.get_columns("stg_citations") if c["name"] == "position")) == "SMALLINT"


def test_the_report_is_the_same_page_from_postgresql(letters, pg_db, tmp_path):
    from datetime import datetime, timezone

    from imr_etl.reporting import render

    duck = str(tmp_path / "w.duckdb")
    pages = []
    for db in (duck, pg_db):
        load([letters], db, jobs=1)
        with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
            page = render(conn, "the warehouse", now=datetime(2026, 1, 1, tzinfo=timezone.utc))
        # The load-health section shows each database's own run times: compare the rest.
        pages.append(page.split('<section id="load-health">')[0])
    assert "<svg" in pages[0] and pages[0] == pages[1]
