"""Readers never block the writer; the writer never breaks readers (issue 13).

A reader process opens the warehouse read-only, as a BI tool does, and
queries it in a loop through a whole load: one connection held open the whole
time (a connection pool's) and a new connection per query (a tool without
one).  The load runs in its own process with the default ``--wait 0`` and
pauses before its commit (the test's fault-injection point), so the reader's
loop surely spans the write.

DuckDB: the load writes a new generation and swaps it in (imr_etl.generations).
Every state a reader sees is the warehouse before the load or after it, whole;
the held connection sees the one it opened; a connection opened after the
load sees the new data.  PostgreSQL: its own MVCC — every state a reader sees
is consistent (each letter whole), and the last is the loaded one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import REAL, SEEDS
import pgserver
from imr_etl import writer
from imr_etl import warehouse

IMR_ETL = Path(sys.executable).with_name("imr-etl")

# one statement, so one snapshot: letters, the decisions they count, the
# decisions there are, the rows the main view shows
STATE = ("SELECT (SELECT count(*) FROM dim_letter), (SELECT coalesce(sum(decision_count), 0) FROM dim_letter), "
         "(SELECT count(*) FROM fact_decision), (SELECT count(*) FROM v_decisions)")

READER = r"""
import json, sys, time, traceback
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from imr_etl import warehouse

url, ready, stop, out, state = sys.argv[2:7]
held_states, fresh_states, errors = [], [], []

def fresh():
    # an engine and a connection of its own, opened and closed for the query
    with warehouse.open_engine(url, read_only=True) as engine, engine.connect() as conn:
        return tuple(conn.exec_driver_sql(state).one())

with warehouse.open_engine(url, read_only=True) as engine, engine.connect() as held:
    held_states.append(tuple(held.exec_driver_sql(state).one()))
    if held.in_transaction():
        held.commit()
    Path(ready).touch()
    while not Path(stop).exists():
        for name, query, seen in (("held", lambda: tuple(held.exec_driver_sql(state).one()), held_states),
                                  ("fresh", fresh, fresh_states)):
            try:
                seen.append(query())
            except Exception as error:
                errors.append(f"{name}: {type(error).__name__}: {error}".splitlines()[0])
            if held.in_transaction():
                held.commit()  # each read its own snapshot, as a dashboard's queries are
        time.sleep(0.005)
final = fresh()
Path(out).write_text(json.dumps({"held": held_states, "fresh": fresh_states, "errors": errors, "final": final}))
"""


def state(url: str) -> tuple[int, ...]:
    with warehouse.open_engine(url, read_only=True) as engine, engine.connect() as conn:
        return tuple(conn.exec_driver_sql(STATE).one())


def read_through_a_load(url: str, letters: Path, tmp_path: Path) -> tuple[dict, subprocess.CompletedProcess, float]:
    """Start the reader, load ``letters`` while it reads, stop it: what it
    saw, how the load ended, and how long the load took."""
    ready, stop, out = tmp_path / "ready", tmp_path / "stop", tmp_path / "seen.json"
    source = str(Path(warehouse.__file__).parent.parent)
    reader = subprocess.Popen([sys.executable, "-c", READER, source, url, str(ready), str(stop), str(out), STATE])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert reader.poll() is None, "the reader died before it started reading"
            assert time.monotonic() < deadline, "the reader never started"
            time.sleep(0.05)
        env = {**os.environ, writer.PAUSE_BEFORE_COMMIT_VAR: "1.5"}
        started = time.monotonic()
        done = subprocess.run([str(IMR_ETL), "load", str(letters), "--db", url, "--quiet", "--jobs", "1"],
                              capture_output=True, text=True, env=env, timeout=300)
        took = time.monotonic() - started
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert reader.returncode == 0
    return json.loads(out.read_text()), done, took


@pytest.fixture
def more_letters(tmp_path) -> Path:
    folder = tmp_path / "more"
    folder.mkdir()
    for path in REAL[:30]:
        shutil.copy(path, folder / path.name)
    return folder


def _consistent(seen: tuple[int, ...]) -> bool:
    letters, counted, decisions, shown = seen
    return counted == decisions == shown


def test_a_reader_holding_the_duckdb_file_open_neither_blocks_the_load_nor_sees_it_half_done(more_letters,
                                                                                         tmp_path):
    db = str(tmp_path / "w.duckdb")
    subprocess.run([str(IMR_ETL), "load", *map(str, SEEDS), "--db", db, "--quiet"], check=True,
                   capture_output=True)
    url = warehouse.resolve_url(db)
    before = state(url)

    seen, done, took = read_through_a_load(url, more_letters, tmp_path)

    assert done.returncode == 0 and done.stderr == "", done.stderr  # no lock conflict, no waiting
    after = state(url)
    assert after[0] == before[0] + 30 and after[2] > before[2]
    assert seen["errors"] == []
    assert {tuple(s) for s in seen["held"]} == {before}  # the generation it opened, whole, throughout
    assert {tuple(s) for s in seen["fresh"]} <= {before, after}  # never a half-loaded state
    assert len(seen["fresh"]) > 10 and tuple(seen["final"]) == after  # it read all along; then the new data
    assert took >= 1.5  # the load did pause while the reader read
    # the swap leaves no work file, note or log behind (the kept parses are no generation's: imr_etl.kept)
    assert sorted(p.name for p in tmp_path.glob("w.duckdb*")) == ["w.duckdb", "w.duckdb.lock", "w.duckdb.parses"]


def test_a_reader_on_postgresql_sees_only_whole_letters_and_never_blocks_the_load(more_letters, tmp_path):
    with pgserver.database(pgserver.server()) as url:
        subprocess.run([str(IMR_ETL), "load", *map(str, SEEDS), "--db", url, "--quiet"], check=True,
                       capture_output=True)
        before = state(url)

        seen, done, _ = read_through_a_load(url, more_letters, tmp_path)

        assert done.returncode == 0 and done.stderr == "", done.stderr
        after = state(url)
        assert after[0] == before[0] + 30
        assert seen["errors"] == []
        states = [tuple(s) for s in seen["held"] + seen["fresh"]]
        assert all(_consistent(s) for s in states)
        assert all(before[0] <= s[0] <= after[0] for s in states)
        assert len(seen["fresh"]) > 10 and tuple(seen["final"]) == after


def test_a_killed_write_leaves_the_published_file_and_the_next_goes_on_from_its_copy(tmp_path):
    """A load killed after it copied the published generation and wrote to
    the copy: the published file is untouched; the next load goes on from the
    copy (the killed run is marked aborted in it) and publishes."""
    from imr_etl import generations

    db = tmp_path / "w.duckdb"
    subprocess.run([str(IMR_ETL), "load", *map(str, SEEDS), "--db", str(db), "--quiet"], check=True,
                   capture_output=True)
    url = warehouse.resolve_url(str(db))
    before = state(url)
    # it pauses before its batch's commit, its run recorded and its rows written: killed there
    batches = tmp_path / "batches"
    batches.mkdir()
    env = {**os.environ, writer.PAUSE_BEFORE_COMMIT_VAR: "60", "TMPDIR": str(batches)}
    killed = subprocess.Popen([str(IMR_ETL), "load", *map(str, REAL[:3]), "--db", str(db), "--quiet",
                               "--jobs", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work = generations.work_path(db)
    deadline = time.monotonic() + 120
    while not any(batches.glob("imr-etl-load-*/*.csv")):  # written inside the batch's transaction
        assert killed.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    killed.kill()
    killed.wait()
    assert state(url) == before and work.exists()

    subprocess.run([str(IMR_ETL), "load", *map(str, REAL[:3]), "--db", str(db), "--quiet"], check=True,
                   capture_output=True)
    assert state(url)[0] == before[0] + 3 and not work.exists()
    with warehouse.open_engine(url, read_only=True) as engine, engine.connect() as conn:
        statuses = [s for (s,) in conn.exec_driver_sql("SELECT status FROM etl_load_run ORDER BY run_id")]
    assert statuses == ["succeeded", "aborted", "succeeded"]
