"""A load caps DuckDB's buffer memory (imr_etl.writer.MemoryCap): a fixed
working set plus room for the indexes DuckDB must keep, which grows with the
letters a run adds — so the writer stays flat without starving the indexes."""

from __future__ import annotations

from imr_etl import warehouse, writer


def limit(conn) -> int:
    with conn.begin():
        text = conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()  # e.g. '192.0 MiB'
    number, unit = text.split()
    return int(float(number) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit])


def test_the_cap_starts_from_the_warehouse_and_grows_with_the_run(tmp_path):
    with warehouse.open_engine(str(tmp_path / "w.duckdb")) as engine:
        warehouse.migrate(engine)
        with engine.connect() as conn:
            cap = writer.MemoryCap(conn)
            base = writer.MEMORY_BASE
            assert abs(limit(conn) - base) < 2**20  # an empty warehouse: the working set alone
            cap.grow(1000)  # too little to be worth a change
            assert abs(limit(conn) - base) < 2**20
            cap.grow(1_000_000)  # a million letters: two index rows each
            expected = base + writer.MEMORY_PER_ROW * 2_000_000
            assert abs(limit(conn) - expected) < 2**20
            cap.grow(10)  # never lowered
            assert abs(limit(conn) - expected) < 2**20
