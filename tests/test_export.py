"""imr-etl export: each view (and star table) as a Parquet file that, read
back in DuckDB, equals what it came from — from DuckDB and from PostgreSQL."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from helpers import SEEDS, VOLATILE
from imr_etl import warehouse
from imr_etl.cli import main
from imr_etl.exporting import STAR_TABLES, export
from imr_etl.writer import load

VIEWS = [v.name for v in warehouse.views()]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory) -> str:
    db = str(tmp_path_factory.mktemp("export") / "seeds.duckdb")
    load([SEEDS[0].parent], db, jobs=1)
    return db


def differences(con: duckdb.DuckDBPyConnection, left: str, right: str) -> tuple[int, int]:
    """Rows of ``left`` not in ``right`` and the reverse, duplicates counted."""
    return tuple(con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
                 for a, b in ((left, right), (right, left)))


def columns(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[str, str]]:
    """Each column's name and type."""
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {query}").fetchall()]


def test_each_view_and_table_reads_back_equal_to_its_source(seeds_db, tmp_path):
    written = export(tmp_path / "out", seeds_db, tables=True)
    assert [e.name for e in written] == VIEWS + list(STAR_TABLES)
    with duckdb.connect(seeds_db, read_only=True) as con:
        for exported in written:
            source, copy = f"SELECT * FROM {exported.name}", f"SELECT * FROM read_parquet('{exported.path}')"
            assert differences(con, source, copy) == (0, 0), exported.name
            assert columns(con, source) == columns(con, copy), exported.name
            assert exported.rows == con.execute(f"SELECT count(*) FROM {exported.name}").fetchone()[0]
    assert {e.name: e.rows for e in written}["v_decisions"] == 11  # the seeds' decisions


def test_from_postgresql_each_file_equals_its_view_and_the_duckdb_export(seeds_db, pg_db, tmp_path):
    load([SEEDS[0].parent], pg_db, jobs=1)
    from_pg = export(tmp_path / "pg", pg_db, tables=True)
    from_duck = {e.name: e for e in export(tmp_path / "duck", seeds_db, tables=True)}
    with warehouse.open_engine(pg_db) as engine, engine.connect() as conn, duckdb.connect() as con:
        for exported in from_pg:
            copy = f"SELECT * FROM read_parquet('{exported.path}')"
            rows = [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {exported.name}")]
            assert sorted(con.execute(copy).fetchall(), key=repr) == sorted(rows, key=repr), exported.name
            skip = VOLATILE.get(exported.name, ())
            if skip is None or exported.name in ("dim_letter",):
                continue  # the runs' timings; when each letter was loaded
            other = f"SELECT * FROM read_parquet('{from_duck[exported.name].path}')"
            if skip:
                copy, other = (q.replace("SELECT *", f"SELECT * EXCLUDE ({', '.join(skip)})") for q in (copy, other))
            assert differences(con, copy, other) == (0, 0), exported.name
            assert columns(con, copy) == columns(con, other), exported.name


def test_the_command_prints_each_file_and_replaces_old_ones(seeds_db, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "v_decisions.parquet").write_text("stale")
    result = run("export", "--format", "parquet", out, "--db", seeds_db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(VIEWS) + 1 and lines[-1].startswith(f"wrote {len(VIEWS)} parquet files (")
    assert any(line.split() == ["v_decisions.parquet", "11", "rows"] for line in lines)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{v}.parquet" for v in VIEWS)  # no partial files
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{out / 'v_decisions.parquet'}')").fetchall() == [(11,)]


def test_the_command_has_help_with_an_example():
    result = run("export", "--help")
    assert result.exit_code == 0 and "Example" in result.output and "--tables" in result.output


def test_exporting_a_missing_warehouse_is_one_line(tmp_path):
    result = run("export", tmp_path / "out", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 1
    assert result.stderr == f"error: no warehouse at {tmp_path / 'none.duckdb'}; create it with " \
                            "`imr-etl load` or `imr-etl migrate`\n"
    assert not (tmp_path / "out").exists()
