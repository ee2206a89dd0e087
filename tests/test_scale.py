"""Loading at scale: parse workers give the same warehouse as one process, a
synthetic corpus reconciles with its manifest, re-runs skip unchanged files
by their stat without reading them, discovery streams in a stable order."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import shutil
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from helpers import REAL, SEEDS, break_letter, python_prints, query, recording, snapshot
from imr_etl import warehouse, workers
from imr_etl.discover import discover, iter_files
from imr_etl.writer import Summary, load

from imr_etl import synth  # noqa: E402

HOUR_AGO = time.time() - 3600


def age(folder: Path, when: float = HOUR_AGO) -> None:
    """Date every file under ``folder`` in the past, as a corpus is (a file
    modified within the last seconds is re-hashed however its stat looks)."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A few thousand synthetic letters and their manifest."""
    folder = tmp_path_factory.mktemp("corpus")
    synth.generate(2000, folder, seed=4)
    age(folder)
    return folder


@pytest.fixture(scope="module")
def corpus_db(corpus, tmp_path_factory) -> tuple[str, Summary]:
    db = str(tmp_path_factory.mktemp("wh") / "corpus.duckdb")
    return db, load([corpus], db, jobs=2)


def manifest(folder: Path) -> dict[str, dict]:
    with (folder / synth.MANIFEST).open(encoding="utf-8") as lines:
        return {str((folder / entry["path"]).resolve()): entry for entry in map(json.loads, lines)}


@pytest.fixture
def small(tmp_path) -> Path:
    """A directory of a hundred-odd letters, dated an hour ago."""
    folder = tmp_path / "small"
    synth.generate(120, folder, seed=9)
    (folder / synth.MANIFEST).unlink()
    for path in SEEDS:
        shutil.copy(path, folder / path.name)
    age(folder)
    return folder


# ------------------------------------------------------------- at scale

def test_a_synthetic_corpus_reconciles_with_its_manifest(corpus, corpus_db):
    db, summary = corpus_db
    truth = manifest(corpus)
    assert summary.seen == len(truth) == 2000
    loaded = dict(query(db, "SELECT source_path, letter_id FROM dim_letter"))
    quarantined = {path for (path,) in query(db, "SELECT source_path FROM etl_quarantine")}
    # nothing lost, nothing doubled: every letter is loaded or quarantined, once
    assert set(loaded) | quarantined == set(truth) and not set(loaded) & quarantined
    assert (summary.new, summary.quarantined) == (len(loaded), len(quarantined))
    assert len(loaded) >= len(truth) // 2, "most synthetic letters must load"
    for path, letter_id in loaded.items():
        assert letter_id == (truth[path]["header"]["case_number"] or path)

    items = [item for path in loaded for item in truth[path]["items"]]
    citations = [c for item in items for c in item["citations"]]
    assert summary.decisions == len(items)
    assert query(db, "SELECT count(*), sum(overturned) FROM fact_decision") == \
        [(len(items), sum(i["decision"] == "overturned" for i in items))]
    assert query(db, "SELECT count(*), count(*) FILTER (WHERE cited_by = 'reviewer') FROM fact_citation") == \
        [(len(citations), sum(c["cited_by"] == "reviewer" for c in citations))]
    by_category = Counter((i["treatment_category"], i["decision"]) for i in items)
    assert dict(((c, d), n) for c, d, n in query(
        db, "SELECT treatment_category, decision, count(*) FROM v_decisions GROUP BY ALL")) == by_category
    assert dict(((c, s), (n, k)) for c, s, n, k in query(
        db, "SELECT treatment_category, treatment_subcategory, decisions, overturned"
            " FROM v_overturn_rate_by_treatment")) == {
        key: (sum(1 for i in items if (i["treatment_category"], i["treatment_subcategory"]) == key),
              sum(1 for i in items if (i["treatment_category"], i["treatment_subcategory"]) == key
                  and i["decision"] == "overturned"))
        for key in {(i["treatment_category"], i["treatment_subcategory"]) for i in items}}
    # letter by letter: decisions and citations
    per_letter = {p: (n, c) for p, n, c in query(
        db, "SELECT source_path, count(*), sum(citations) FROM v_decisions GROUP BY ALL")}
    assert per_letter == {p: (len(truth[p]["items"]), sum(len(i["citations"]) for i in truth[p]["items"]))
                          for p in loaded}
    # and every file read is recorded with its content's hash
    recorded = dict(query(db, "SELECT source_path, sha256 FROM etl_source_file"))
    assert recorded == {p: truth[p]["sha256"] for p in loaded}


def test_a_rerun_over_the_unchanged_corpus_reads_nothing_it_loaded(corpus, corpus_db):
    db, first = corpus_db
    read = []
    summary = load([corpus], db, jobs=1, hooks=workers.Hooks(read=recording(read, workers.read)))
    assert (summary.seen, summary.new, summary.updated, summary.decisions) == (2000, 0, 0, 0)
    assert summary.unchanged == first.new and summary.quarantined == first.quarantined
    # only the quarantined files are read again (to be retried)
    quarantined = {path for (path,) in query(db, "SELECT source_path FROM etl_quarantine")}
    assert set(read) == quarantined and len(read) == len(quarantined)


# -------------------------------------------------------------- in parallel

def test_parse_workers_give_the_same_warehouse_as_one_process(small, tmp_path):
    hooks = workers.Hooks(min_pool=0,  # workers even for a small corpus
                          task_size=3)  # many tasks, several in flight, out of step
    break_letter(small / SEEDS[1].name)
    (small / "empty.txt").write_bytes(b"")
    shutil.copy(small / SEEDS[0].name, small / "copy.txt")
    age(small)
    one, two = str(tmp_path / "one.duckdb"), str(tmp_path / "two.duckdb")
    first = load([small], one, jobs=1, batch_size=50, hooks=hooks)
    second = load([small], two, jobs=2, batch_size=50, hooks=hooks)
    counts = lambda s: (s.seen, s.new, s.updated, s.unchanged, s.quarantined, s.decisions)  # noqa: E731
    assert counts(first) == counts(second)
    assert first.quarantined == 2 and first.unchanged == 1 and first.new > 100
    ignore = ("load_run_id", "loaded_at", "quarantined_at")
    assert snapshot(one, ignore) == snapshot(two, ignore)
    files = "SELECT source_path, size_bytes, mtime_ns, sha256 FROM etl_source_file ORDER BY 1"
    assert query(one, files) == query(two, files)


def test_parse_workers_start_only_when_there_is_enough_to_parse(small, tmp_path):
    started = []

    def pool(*args, **kwargs):
        started.append(args)
        return ProcessPoolExecutor(*args, **kwargs)

    hooks = workers.Hooks(executor=pool)
    db = str(tmp_path / "w.duckdb")
    load([small / SEEDS[0].name], db, jobs=2, hooks=hooks)
    assert started == []
    summary = load([small], db, jobs=2, hooks=hooks)
    assert started == [(2,)] and summary.new > 100


def test_the_fork_server_warms_what_every_worker_would_otherwise_build():
    """What the fork server's preload leaves built, every worker forked from
    it inherits: the grammar and the parser's fingerprint (which reads the
    source of every module a letter passes through)."""
    probe = ("import imr_etl._preload; from imr_etl import lineage, parse; "
             "print(lineage.fingerprint.cache_info().currsize, parse.parser.cache_info().currsize)")
    fingerprint, parsers = python_prints(probe).split()
    assert fingerprint == "1" and parsers != "0"


def test_what_the_fork_server_built_is_left_out_of_the_workers_garbage_collections():
    before = "import gc; print(gc.get_freeze_count())"
    after = "import gc, imr_etl._preload; print(gc.get_freeze_count())"
    assert python_prints(before) == "0" and int(python_prints(after)) > 10_000


def test_a_long_run_goes_on_in_fresh_pools_and_loads_every_letter_once(small, tmp_path):
    """Every ``pool_letters`` letters a new pool of workers takes over (a
    worker's memory must not creep up over a long load): the letters load
    as in one process, none lost or doubled at the hand-overs."""
    started = []

    def pool(*args, **kwargs):
        started.append(args)
        return ProcessPoolExecutor(*args, **kwargs)

    letters = len(list(small.iterdir()))
    one, two = str(tmp_path / "one.duckdb"), str(tmp_path / "two.duckdb")
    first = load([small], one, jobs=1)
    second = load([small], two, jobs=2, hooks=workers.Hooks(executor=pool, task_size=4, pool_letters=24))
    assert len(started) == -(-letters // 24) and letters > 100
    counts = lambda s: (s.seen, s.new, s.quarantined, s.decisions)  # noqa: E731
    assert counts(first) == counts(second)
    ignore = ("load_run_id", "loaded_at", "quarantined_at")
    assert snapshot(one, ignore) == snapshot(two, ignore)


def test_once_the_last_task_is_sent_the_letters_batched_so_far_are_written(small, tmp_path):
    """The workers still parse the tasks in flight when the last one is sent:
    the letters already received are written then, not after the workers are
    done (when nothing else would run beside the write), and then a quarter
    batch at a time as they finish, so that the last write, with the workers
    idle, holds a quarter batch at most."""
    batches = []
    letters = len(list(small.iterdir()))
    in_flight = 2 * workers.IN_FLIGHT  # tasks of one letter, two workers
    quarter = letters // 4
    hooks = workers.Hooks(min_pool=0, task_size=1, on_batch=lambda outcomes: batches.append(len(outcomes)))
    summary = load([small], str(tmp_path / "w.duckdb"), jobs=2, batch_size=letters, hooks=hooks)
    assert summary.new + summary.quarantined == letters > in_flight + quarter
    assert sum(batches) == letters and letters - in_flight <= batches[0] <= letters - in_flight + 2
    assert len(batches) > 2 and all(size <= quarter for size in batches[1:])


def test_when_a_pool_is_sent_its_last_task_the_letters_batched_so_far_are_written(small, tmp_path, monkeypatch):
    """At a hand-over to a new pool too: the batch so far is written while the
    old pool parses the tasks it holds, not once it has finished them (its
    workers idle, the new pool not yet started)."""
    monkeypatch.setattr(workers, "IN_FLIGHT", 4)  # read by the main process only
    in_flight = 2 * workers.IN_FLIGHT  # tasks of one letter, two workers
    batches = []
    letters = len(list(small.iterdir()))
    per_pool = letters // 2 + 5
    hooks = workers.Hooks(min_pool=0, task_size=1, pool_letters=per_pool,
                          on_batch=lambda outcomes: batches.append(len(outcomes)))
    summary = load([small], str(tmp_path / "w.duckdb"), jobs=2, batch_size=letters, hooks=hooks)
    assert summary.new + summary.quarantined == letters
    # written when the first pool still held all but one of its tasks in flight,
    # and when the second did; then the last few
    assert len(batches) == 3 and sum(batches) == letters
    assert batches[0] == per_pool - (in_flight - 1) and batches[2] < in_flight


def test_garbage_is_collected_once_each_batch_is_written_and_not_while_one_is_read(small, tmp_path):
    events: list[object] = []

    def collection(phase, info):
        if phase == "start":
            events.append(info["generation"])

    hooks = workers.Hooks(on_batch=lambda outcomes: events.append("batch"))
    gc.callbacks.append(collection)
    try:
        summary = load([small], str(tmp_path / "w.duckdb"), jobs=1, batch_size=16, hooks=hooks)
    finally:
        gc.callbacks.remove(collection)
    batches = [i for i, event in enumerate(events) if event == "batch"]
    during = events[batches[0]:batches[-1]]
    assert summary.new > 100 and len(batches) > 6
    assert during == ["batch", 2] * (len(batches) - 1)  # parsing in-process allocates plenty
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_load_leaves_what_its_caller_froze_frozen(small, tmp_path):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        load([small], str(tmp_path / "w.duckdb"), jobs=1, batch_size=64)
        assert gc.get_freeze_count() == frozen > 0 and gc.isenabled()
    finally:
        gc.unfreeze()


# ------------------------------------------------------------ what changed

def test_a_rerun_skips_by_stat_without_reading_or_parsing(small, tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = load([small], db, jobs=1)
    assert first.quarantined == 0 and first.new == len(list(small.iterdir()))
    read, parsed = [], []
    second = load([small], db, jobs=1, hooks=workers.Hooks(read=recording(read), prepare=recording(parsed)))
    assert (second.seen, second.unchanged, second.new, second.updated) == (first.new, first.new, 0, 0)
    assert read == [] and parsed == []


def test_a_touched_but_identical_file_is_hashed_not_parsed(small, tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = load([small], db, jobs=1)
    before = snapshot(db)
    touched = small / SEEDS[2].name
    os.utime(touched, (HOUR_AGO + 60, HOUR_AGO + 60))  # mtime changed, bytes the same
    read, parsed = [], []
    hooks = workers.Hooks(read=recording(read, workers.read), prepare=recording(parsed))
    second = load([small], db, jobs=1, hooks=hooks)
    assert (second.unchanged, second.new, second.updated) == (first.new, 0, 0)
    assert read == [str(touched.resolve())] and parsed == []
    assert snapshot(db) == before
    # the new mtime is recorded: the next run does not even read it
    assert query(db, "SELECT mtime_ns FROM etl_source_file WHERE source_path = ?", str(touched.resolve())) == \
        [(touched.stat().st_mtime_ns,)]
    read.clear()
    load([small], db, jobs=1, hooks=hooks)
    assert read == []


def test_a_changed_file_is_updated_even_with_the_same_size(small, tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = load([small], db, jobs=2)
    changed = small / SEEDS[0].name
    text = changed.read_text()
    edited = text.replace("tingling in bilateral arms", "tingling in bilateral legs", 1)
    assert edited != text and len(edited) == len(text)
    changed.write_text(edited)
    os.utime(changed, (HOUR_AGO + 120, HOUR_AGO + 120))
    second = load([small], db, jobs=2)
    assert (second.updated, second.new, second.unchanged) == (1, 0, first.new - 1)
    sha = hashlib.sha256(edited.encode()).hexdigest()
    for table in ("dim_letter", "etl_source_file"):
        assert query(db, f"SELECT sha256 FROM {table} WHERE source_path = ?", str(changed.resolve())) == [(sha,)]
    assert query(db, "SELECT count(*) FROM v_decisions WHERE rationale LIKE '%bilateral legs%'") == [(1,)]


def test_a_file_modified_moments_ago_is_rehashed_next_time(small, tmp_path):
    """Its mtime may not change if it is written again within the same tick,
    so it is not trusted: recorded NULL, read and hashed by the next run."""
    db = str(tmp_path / "w.duckdb")
    # "moments ago" is RACY_NS (2 s); on a busy machine the load may take that
    # long to reach the file, so the test widens it to half an hour instead of
    # racing the clock (the other files were modified an hour ago)
    wide = workers.Hooks(racy_ns=30 * 60 * 10**9)
    fresh = small / SEEDS[3].name
    fresh.write_bytes(fresh.read_bytes())  # modified now
    load([small], db, jobs=1, hooks=wide)
    assert query(db, "SELECT mtime_ns FROM etl_source_file WHERE source_path = ?", str(fresh.resolve())) == [(None,)]
    read, parsed = [], []
    load([small], db, jobs=1, hooks=replace(wide, read=recording(read, workers.read), prepare=recording(parsed)))
    assert read == [str(fresh.resolve())] and parsed == []


def test_a_warehouse_upgraded_from_the_first_revision_is_re_derived_once_then_skipped_by_stat(small, tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = load([small], db, jobs=1)
    with warehouse.open_engine(db) as engine:  # as a warehouse made before etl_source_file
        warehouse.downgrade(engine, "0001")
        warehouse.migrate(engine)
    assert query(db, "SELECT count(*), count(size_bytes), count(mtime_ns) FROM etl_source_file") == \
        [(first.new, 0, 0)]
    # no letter says which parser derived it (revision 0007): each is parsed once more, its rows rewritten
    second = load([small], db, jobs=1)
    assert (second.new, second.updated, second.rederived, second.unchanged) == (0, 0, first.new, 0)
    assert query(db, "SELECT count(size_bytes), count(mtime_ns) FROM etl_source_file") == [(first.new, first.new)]
    parsed = []  # then skipped after a stat, unread
    third = load([small], db, jobs=1, hooks=workers.Hooks(prepare=recording(parsed)))
    assert third.unchanged == first.new and parsed == []


def test_a_copy_of_a_letter_with_a_case_number_is_unchanged_and_then_skipped_by_stat(small, tmp_path):
    db = str(tmp_path / "w.duckdb")
    shutil.copy(REAL[0], small / REAL[0].name)
    age(small)
    first = load([small], db, jobs=1)
    copy = tmp_path / "elsewhere" / "copy.txt"
    copy.parent.mkdir()
    shutil.copy(REAL[0], copy)
    age(copy.parent)
    second = load([small, copy], db, jobs=1)
    assert (second.new, second.updated, second.unchanged) == (0, 0, first.new + 1)
    assert query(db, "SELECT source_path FROM dim_letter WHERE letter_id = ?", REAL[0].stem) == \
        [(str((small / REAL[0].name).resolve()),)]
    assert query(db, "SELECT count(*) FROM etl_source_file WHERE source_path = ?", str(copy.resolve())) == [(1,)]


def test_force_reparses_files_whose_stat_is_unchanged(small, tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = load([small], db, jobs=1)
    again = load([small], db, jobs=2, force=True)
    assert (again.updated, again.unchanged, again.new) == (first.new, 0, 0)


# ---------------------------------------------------------------- discovery

def test_discovery_streams_in_the_order_of_a_sorted_recursive_glob(tmp_path):
    names = ["a/x.txt", "a-b/y.txt", "a.txt", "a/b/z.txt", "a/b-c.txt", "b/ä.txt", "B/c.TXT",
             "a/b/notes.md", "c.pdf", "a/d.pdf"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")  # not followed
    (tmp_path / "link.txt").symlink_to(tmp_path / "a" / "x.txt")  # found as a/x.txt itself
    stream = iter_files([tmp_path])
    assert iter(stream) is stream  # a generator, not a list
    expected = sorted(p.resolve() for p in tmp_path.rglob("*") if p.is_file()
                      and p.suffix.lower() in (".txt", ".pdf") and not p.is_symlink())
    assert [Path(p) for p in stream] == expected
    # a directory given twice (once inside another) is walked once, where it first appears
    files, skipped = discover([tmp_path / "a", tmp_path])
    inside = [p for p in expected if (tmp_path / "a") in p.parents]
    assert files == inside + [p for p in expected if p not in inside]
    assert skipped == []  # no PDF here has a text file of its name beside it


# ----------------------------------------------------------------- progress

def test_the_progress_bar_shows_rate_and_quarantined(tmp_path):
    from imr_etl.progress import Bar

    out = io.StringIO()
    bar = Bar([tmp_path], file=out, count=False)
    bar.total = 10
    bar(Summary("w", seen=4, new=3, quarantined=1))
    bar.bar.refresh()
    bar.close()
    text = out.getvalue()
    assert "4/10" in text and "quarantined=1" in text and "letters/s" in text
