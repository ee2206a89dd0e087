"""A load caps DuckDB's buffer memory (imr_etl.writer.cap_memory): a fixed
working set plus room for the indexes DuckDB must keep, those of the small
tables that still declare a key (revision 0008) — so the writer stays flat
without starving the indexes.  It also sets DuckDB's threads to what the
parse workers leave (cap_threads), and says when DuckDB merges row groups
(row_group_merges)."""

from __future__ import annotations

from imr_etl import schema, warehouse, writer


def limit(conn) -> int:
    with conn.begin():
        text = conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()  # e.g. '192.0 MiB'
    number, unit = text.split()
    return int(float(number) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit])


def test_an_empty_warehouse_gets_the_working_set_alone(tmp_path):
    with warehouse.open_engine(str(tmp_path / "w.duckdb")) as engine:
        warehouse.migrate(engine)
        with engine.connect() as conn:
            assert writer.cap_memory(conn) == writer.MEMORY_BASE
            assert abs(limit(conn) - writer.MEMORY_BASE) < 2**20


def test_the_cap_counts_the_rows_of_every_table_with_a_declared_key(tmp_path):
    db = str(tmp_path / "w.duckdb")
    writer.load(db=db, jobs=1)  # the bundled samples
    keyed = ("etl_load_run", "etl_quarantine", "dim_date", "dim_body_region", "dim_guideline_document", "dim_drug")
    assert {t.name for t in schema.metadata.sorted_tables if t.primary_key.columns} == set(keyed)
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        with conn.begin():
            counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in keyed}
        assert counts["etl_load_run"] == 1 and counts["dim_body_region"] > 0 and counts["dim_date"] > 0
        assert writer.keyed_rows(conn) == sum(counts.values())
        assert writer.cap_memory(conn) == writer.MEMORY_BASE + writer.MEMORY_PER_ROW * sum(counts.values())


def row_groups(db: str) -> int:
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn, conn.begin():
        return conn.exec_driver_sql("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('t')").scalar()


def appended_at_three_checkpoints_and_in_the_log(conn, merging: bool) -> None:
    """What a long load does to a table: rows appended, a checkpoint, three
    times, then rows in the write-ahead log as the connection closes."""
    with conn.begin():
        writer.row_group_merges(conn, on=merging)
        conn.exec_driver_sql("CREATE TABLE t (i INTEGER, s VARCHAR)")
    for start in (0, 1000, 2000, 3000):
        with conn.begin():
            conn.exec_driver_sql(f"INSERT INTO t SELECT range, 'row ' || range FROM range({start}, {start + 1000})")
        if start < 3000:
            with conn.begin():
                conn.exec_driver_sql("CHECKPOINT")


def test_without_merges_each_checkpoint_leaves_its_row_group_and_a_later_one_merges_them(tmp_path):
    kept, merged = str(tmp_path / "kept.duckdb"), str(tmp_path / "merged.duckdb")
    for db in (kept, merged):
        with warehouse.open_engine(db) as engine, engine.connect() as conn:
            appended_at_three_checkpoints_and_in_the_log(conn, merging=db == merged)
    assert row_groups(merged) == 1  # DuckDB's default: merged at each checkpoint, and as it closes
    assert row_groups(kept) == 4
    with warehouse.open_engine(kept) as engine, engine.connect() as conn:  # a checkpoint that merges
        with conn.begin():
            writer.row_group_merges(conn, on=True)
            conn.exec_driver_sql("INSERT INTO t SELECT range, 'row ' || range FROM range(4000, 5000)")
        with conn.begin():
            conn.exec_driver_sql("CHECKPOINT")
        with conn.begin():
            assert conn.exec_driver_sql("SELECT count(*), sum(i) FROM t").one() == (5000, sum(range(5000)))
    assert row_groups(kept) == 1


def test_a_load_merges_row_groups_only_once_it_replaces_letters(tmp_path, monkeypatch):
    """Merging is what reclaims deleted rows: a run that only adds letters
    never turns it on, one that rewrites them does (and off again at its end)."""
    calls: list[bool] = []
    real = writer.row_group_merges
    monkeypatch.setattr(writer, "row_group_merges", lambda conn, on: (calls.append(on), real(conn, on)))
    db = str(tmp_path / "w.duckdb")
    writer.load(db=db, jobs=1)  # the bundled samples, all new
    assert calls == [False, False]
    calls.clear()
    summary = writer.load(db=db, jobs=1, force=True)  # every letter rewritten: its rows deleted first
    assert summary.updated == summary.seen > 0
    assert calls == [False, True, False]


def threads(conn) -> int:
    with conn.begin():
        return int(conn.exec_driver_sql("SELECT current_setting('threads')").scalar())


def test_duckdb_gets_the_cores_the_parse_workers_leave_and_one_at_least(tmp_path, monkeypatch):
    with warehouse.open_engine(str(tmp_path / "w.duckdb")) as engine, engine.connect() as conn:
        monkeypatch.setattr(writer, "default_jobs", lambda: 8)  # the machine's cores
        assert [writer.cap_threads(conn, jobs) for jobs in (1, 4, 8, 12)] == [8, 5, 1, 1]
        assert threads(conn) == 1
        monkeypatch.setattr(writer, "default_jobs", lambda: 2)
        assert writer.cap_threads(conn, 1) == 2 and threads(conn) == 2
        assert writer.cap_threads(conn, 2) == 1 and threads(conn) == 1


def test_a_load_sets_duckdbs_threads_for_its_workers(tmp_path, monkeypatch):
    calls: list[int | None] = []
    real = writer.cap_threads
    monkeypatch.setattr(writer, "cap_threads", lambda conn, jobs: calls.append(real(conn, jobs)))
    monkeypatch.setattr(writer, "default_jobs", lambda: 4)
    writer.load(db=str(tmp_path / "w.duckdb"), jobs=3)  # the bundled samples, parsed by three workers
    writer.load(db=str(tmp_path / "w.duckdb"), jobs=1)  # everything unchanged, in-process
    assert calls == [2, 4]
