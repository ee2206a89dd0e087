"""Whatever happens mid-run, the warehouse ends up right: a load killed with
SIGKILL and run again equals a clean load; a file that vanishes or changes
between discovery and reading is quarantined, not fatal; a full disk or a
read-only warehouse is one clear error and leaves the warehouse as it was;
data written at the first Alembic revision survives upgrade and downgrade."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REAL, RUN_COLUMNS, SEEDS, imr_etl, load_killed, missing, query, snapshot
from imr_etl import checks, generations, outcomes, warehouse, workers
from imr_etl import writer
from imr_etl.writer import load


def failures(db: str) -> list[str]:
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        return [r.check.name for r in checks.run(conn) if not r.ok]


def statuses(db: str) -> list[str]:
    return [s for (s,) in query(db, "SELECT status FROM etl_load_run ORDER BY run_id")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "letters"
    assert imr_etl("synth", str(LETTERS), str(folder), "--seed", "3").returncode == 0
    return folder


@pytest.fixture(scope="module")
def clean(corpus, tmp_path_factory) -> dict:
    db = str(tmp_path_factory.mktemp("clean") / "w.duckdb")
    done = imr_etl("load", str(corpus), "--db", db, "--quiet", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    return snapshot(db, ignore=RUN_COLUMNS)


# -------------------------------------------------------------- SIGKILL

def _wal_grew(db: str, folder: Path, size: int = 200_000):
    wal = Path(str(generations.work_path(Path(db))) + ".wal")  # the generation being written
    return lambda: wal.exists() and wal.stat().st_size > size


def _writing(db: str, folder: Path):
    """True once the loader has written a batch's first CSV file: it does so
    inside the batch's transaction (the CSV folder is under ``folder``)."""
    return lambda: any(folder.glob("imr-etl-load-*/*.csv"))


# when to kill: moments after the start (importing, migrating, parsing — the
# 300 letters take ~2 s in all); inside the batch's transaction (its CSV files
# are written); and once its commit has written 200 kB of WAL — during or just
# after the commit, before the run is recorded as finished
KILL_AT = {"0.3s": 0.3, "1.2s": 1.2, "2.0s": 2.0, "mid-transaction": _writing, "at-commit": _wal_grew}
LETTERS = 300


@pytest.mark.parametrize("when", list(KILL_AT), ids=list(KILL_AT))
def test_a_load_killed_at_any_moment_then_rerun_equals_a_clean_load(when, corpus, clean, tmp_path):
    db = str(tmp_path / "w.duckdb")
    env = dict(os.environ, TMPDIR=str(tmp_path))  # the killed run's CSV folder lands here
    if when == "mid-transaction":
        # the load waits before its commit (a fault-injection point), so the kill
        # lands inside the transaction however slowly this test polls
        env[writer.PAUSE_BEFORE_COMMIT_VAR] = "60"
    condition = None if isinstance(KILL_AT[when], float) else KILL_AT[when](db, tmp_path)
    finished = load_killed(corpus, db, condition, 30 if condition else KILL_AT[when], env)
    if condition:
        assert not finished, "the load ended before it could be interrupted there"
    # what the re-run goes on from: the generation the killed run was writing, if it left one
    # (imr_etl.generations), else the published file
    work = str(generations.work_path(Path(db)))
    left_at = work if Path(work).exists() else db
    assert not (Path(db).exists() and Path(work).exists()), "a first load publishes nothing before it ends"
    migrated = Path(left_at).exists() and query(
        left_at, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'dim_letter'")[0][0]
    left = statuses(left_at) if migrated else []  # killed before, during or (rarely) after its run
    if migrated:  # as the kill left it (maybe mid-migration, before any table): each batch all or nothing
        loaded = query(left_at, "SELECT count(*) FROM dim_letter")[0][0]
        assert loaded in (0, LETTERS)
        if when == "mid-transaction":
            assert loaded == 0 and left == ["running"]

    env.pop(writer.PAUSE_BEFORE_COMMIT_VAR, None)  # the re-run commits at once
    rerun = imr_etl("load", str(corpus), "--db", db, "--quiet", "--jobs", "1", env=env)
    assert rerun.returncode == 0, rerun.stderr

    assert snapshot(db, ignore=RUN_COLUMNS) == clean  # no partial letter, no duplicate, nothing missing
    assert failures(db) == []
    # the killed run, if it had started, is marked aborted; the re-run succeeded
    assert statuses(db) == ["aborted" if s == "running" else s for s in left] + ["succeeded"]
    assert query(db, "SELECT count(*) FROM etl_source_file")[0][0] == LETTERS
    assert not list(tmp_path.glob("imr-etl-load-*"))  # the re-run removed the killed run's CSV folder


# ------------------------------------- a file that vanishes or changes mid-run

def test_a_file_deleted_or_changed_between_discovery_and_reading(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    gone, changed = sorted(letters.iterdir())[:2]
    original = changed.read_bytes()

    def racing_read(path: str, **knobs):  # another process deletes one file and rewrites another, after the stat
        if path == str(gone):
            gone.unlink()
        elif path == str(changed):
            changed.write_bytes(original[: len(original) // 4])  # caught half-written
        return workers.read(path, **knobs)

    summary = load([letters], db, jobs=1, hooks=workers.Hooks(read=racing_read))
    good = len(SEEDS + REAL[:2]) - 2
    assert (summary.seen, summary.new, summary.quarantined) == (good + 2, good, 2)
    assert statuses(db) == ["succeeded"]
    held = dict((Path(p).name, (stage, reason)) for p, stage, reason in
                query(db, "SELECT source_path, stage, reason FROM etl_quarantine"))
    assert held[gone.name] == ("read", "cannot read: No such file or directory")
    assert held[changed.name][0] == "parse" and held[changed.name][1]
    assert query(db, "SELECT count(*) FROM dim_letter")[0][0] == good

    # the writer finishes the file: the next run (reading as the loader does) reads it again and loads it
    changed.write_bytes(original)
    again = load([letters], db, jobs=1)
    assert (again.new, again.quarantined) == (1, 0)
    assert [Path(p).name for (p,) in query(db, "SELECT source_path FROM etl_quarantine")] == [gone.name]
    assert failures(db) == []


# --------------------------------------------- disk full, read-only warehouse

@pytest.fixture
def tmpfs(tmp_path):
    """A 16 MB filesystem of its own (needs root and mount)."""
    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        missing("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                          capture_output=True)
    if done.returncode:
        missing(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _one_clear_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("trouble", ["disk full", "read-only"])
def test_a_full_disk_or_read_only_warehouse_is_one_clear_error_and_harms_nothing(trouble, tmpfs, corpus,
                                                                                 letters):
    db = str(tmpfs / "w.duckdb")
    first = imr_etl("load", str(letters), "--db", db, "--quiet", "--jobs", "1")
    assert first.returncode == 0, first.stderr
    before = snapshot(db)
    if trouble == "disk full":
        with open(tmpfs / "filler", "wb") as filler:  # fill the filesystem to the last block
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)

    failed = imr_etl("load", str(corpus), "--db", db, "--quiet", "--jobs", "1")
    assert failed.returncode == 1
    line = _one_clear_line(failed.stderr)
    assert ("No space left on device" if trouble == "disk full" else "Read-only file system") in line
    assert "internal error" not in line and "Traceback" not in line

    if trouble == "disk full":
        (tmpfs / "filler").unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert snapshot(db) == before  # unharmed: not one letter of the failed run
    assert failures(db) == []
    again = imr_etl("load", str(letters), "--db", db, "--quiet", "--jobs", "1")  # and still loadable
    assert again.returncode == 0, again.stderr
    assert snapshot(db) == before  # its letters were loaded already: nothing to do
    assert query(db, "SELECT status FROM etl_load_run ORDER BY run_id")[-1] == ("succeeded",)


# ----------------------------------------------------- schema evolution

FIRST = "0001"
RUN_LOG_0001 = ("run_id", "started_at", "finished_at", "status", "paths", "letters_seen", "letters_new",
                "letters_updated", "letters_unchanged", "letters_quarantined", "decisions_written", "seconds",
                "imr_etl_version", "message")


def test_data_written_at_the_first_revision_survives_upgrade_and_downgrade(letters, tmp_path):
    # rows a real load makes, written into tables the first revision created
    source = str(tmp_path / "head.duckdb")
    load([letters], source, jobs=1)
    db = str(tmp_path / "old.duckdb")
    with warehouse.open_engine(db) as engine:
        warehouse.migrate(engine, FIRST)
        assert warehouse.current_revision(engine) == FIRST
        with engine.begin() as conn:
            tables = [t for (t,) in conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_name <> 'alembic_version'")]
            assert "etl_source_file" not in tables and "dim_letter" in tables
            conn.exec_driver_sql(f"ATTACH '{source}' AS src (READ_ONLY)")
            for table in tables:
                columns = ", ".join(f'"{c}"' for (c,) in conn.exec_driver_sql(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "AND table_catalog = current_database() ORDER BY ordinal_position", (table,)))
                conn.exec_driver_sql(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM src.{table}")
            conn.exec_driver_sql("DETACH src")
    expected = snapshot(source)
    first = snapshot_as_it_is(db)  # the rows as revision 0001 holds them
    # the runs as revision 0001 records them (what later revisions add is NULL for them)
    runs = query(source, f"SELECT {', '.join(c for c in RUN_LOG_0001)} FROM etl_load_run")
    assert sum(map(len, expected.values())) > 100 and expected["fact_decision"]

    with warehouse.open_engine(db) as engine:
        warehouse.migrate(engine)
        assert warehouse.current_revision(engine) == warehouse.head_revision()
    # a partial authorization's wording was never kept before revision 0005: unknown (NULL) after the upgrade
    unknown = ("partial_authorization", "original_request", "original_quantity", "authorized", "authorized_quantity")
    # nor which parser derived a letter before revision 0007 (NULL: the next load re-derives it)
    unknown += ("parser_fingerprint", "record_sha256")
    assert snapshot(db, ignore=unknown) == snapshot(source, ignore=unknown)
    assert query(db, "SELECT count(*) FROM fact_decision WHERE partial_authorization IS NOT NULL") == [(0,)]
    assert query(db, f"SELECT {', '.join(RUN_LOG_0001)} FROM etl_load_run") == runs
    assert query(db, "SELECT count(*) FROM etl_load_run WHERE decisions_unclassified IS NULL "
                     "AND vocabulary_sha256 IS NULL") == [(len(runs),)]
    assert query(db, "SELECT source_path, sha256 FROM etl_source_file ORDER BY 1") == \
        query(db, "SELECT source_path, sha256 FROM dim_letter ORDER BY 1")  # backfilled
    # every check holds but the one saying no load has re-derived these letters yet
    assert failures(db) == ["letter_derived_by_this_parser"]

    # head's derived columns and aggregates (revision 0003) were computed from
    # the rows alone: they equal what the load itself wrote and kept
    assert query(db, "SELECT * FROM agg_guideline_document ORDER BY ALL") == \
        query(source, "SELECT * FROM agg_guideline_document ORDER BY ALL")

    with warehouse.open_engine(db) as engine:
        warehouse.downgrade(engine, FIRST)
        assert warehouse.current_revision(engine) == FIRST
    assert snapshot_as_it_is(db) == first and query(db, "SELECT * FROM etl_load_run") == runs


def snapshot_as_it_is(db: str) -> dict[str, list[tuple]]:
    """Every row of every table the warehouse has now, in the columns it has
    now (whatever its revision), but the run log."""
    out = {}
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        tables = [t for (t,) in conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_name NOT IN ('alembic_version', 'etl_load_run') ORDER BY 1")]
        for table in tables:
            out[table] = sorted(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {table}")), key=repr)
    return out


# ------------------------------------------- a file that kills its reader

def die_on_crash_files(task, *args):
    """A worker's work, but the process dies outright (as when PDFium
    segfaults, or the OOM killer strikes) on a file named crash*.txt."""
    if any(Path(item.path).name.startswith("crash") for item in task):
        os._exit(139)
    return workers.process(task, *args)


def test_a_file_that_kills_its_worker_is_quarantined_and_the_others_parse(tmp_path):
    good = [tmp_path / f"{i:03d}.txt" for i in range(80)]
    letters = (SEEDS + REAL) * 2
    for path, source in zip(good, letters):
        shutil.copy(source, path)
    crash = tmp_path / "crash.txt"
    shutil.copy(REAL[0], crash)
    files = [str(p) for p in good[:30]] + [str(crash)] + [str(p) for p in good[30:]]
    tasks = iter([[workers.Task(f) for f in files[i:i + 4]] for i in range(0, len(files), 4)])

    done = [o for task in workers.parse_stream(tasks, 1, jobs=2, work=die_on_crash_files) for o in task]

    paths = [o.file.path if isinstance(o, outcomes.Parsed) else o.source_path for o in done]
    assert paths == files  # every file once, in order
    (quarantined,) = [o for o in done if isinstance(o, outcomes.Quarantined)]
    assert quarantined.source_path == str(crash) and quarantined.stage == "read"
    assert "crashed" in quarantined.reason and quarantined.data == REAL[0].read_bytes()
    assert all(isinstance(o, outcomes.Parsed) for o in done if o is not quarantined)
