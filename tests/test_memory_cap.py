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
            cap.grow(1_000_000)  # a million letters
            expected = base + writer.MEMORY_PER_ROW * writer.KEYED_ROWS_PER_LETTER * 1_000_000
            assert abs(limit(conn) - expected) < 2**20
            cap.grow(10)  # never lowered
            assert abs(limit(conn) - expected) < 2**20


def test_the_cap_counts_the_rows_of_every_table_with_a_declared_key(tmp_path):
    db = str(tmp_path / "w.duckdb")
    writer.load(db=db, jobs=1)  # the bundled samples
    keyed = ("etl_load_run", "etl_quarantine", "etl_source_file", "etl_pdf_text", "dim_date", "dim_body_region",
             "dim_service", "dim_reviewer", "dim_guideline", "dim_guideline_document", "dim_drug",
             "dim_condition", "dim_letter")
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        with conn.begin():
            counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in keyed}
        assert counts["dim_letter"] == 110 and counts["dim_service"] > 0
        assert writer.MemoryCap(conn).rows == sum(counts.values())
