"""The warehouse: location, migrations, schema, curated views, the writer lock."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from sqlalchemy import inspect

from helpers import (GROWING, SEEDS, declared_keys, documented_columns, python_prints, schema_keys, snapshot,
                     writers_in_turn)
from imr_etl import checks, rows, schema, warehouse
from imr_etl.writer import load
from imr_etl.vocabulary import rows as vocab

TABLES = {t.name for t in schema.metadata.sorted_tables}


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory) -> str:
    db = str(tmp_path_factory.mktemp("wh") / "seeds.duckdb")
    load([SEEDS[0].parent], db)
    return db


# ------------------------------------------------------------------ location

def test_the_duckdb_dialect_named_up_front_is_the_one_its_package_declares():
    """imr_etl.warehouse names the duckdb dialect so SQLAlchemy need not scan
    every package's entry points: it must be the class duckdb_engine declares."""
    from importlib.metadata import entry_points

    from sqlalchemy.dialects import registry

    [declared] = [e for e in entry_points(group="sqlalchemy.dialects") if e.name == "duckdb"]
    assert registry.load("duckdb") is declared.load()
    # named on import, before any engine (a process that had made one would
    # know it either way)
    probe = "import imr_etl.warehouse; from sqlalchemy.dialects import registry; print('duckdb' in registry.impls)"
    assert python_prints(probe) == "True"


def test_db_resolution_flag_then_environment_then_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(warehouse.ENV_VAR, raising=False)
    assert warehouse.resolve_url(None) == f"duckdb:///{tmp_path / 'warehouse' / 'imr.duckdb'}"
    monkeypatch.setenv(warehouse.ENV_VAR, "other.duckdb")
    assert warehouse.resolve_url(None) == f"duckdb:///{tmp_path / 'other.duckdb'}"
    assert warehouse.resolve_url("x/y.duckdb") == f"duckdb:///{tmp_path / 'x' / 'y.duckdb'}"
    assert warehouse.resolve_url("duckdb:////srv/imr.duckdb") == "duckdb:////srv/imr.duckdb"
    assert warehouse.database_path("duckdb:////srv/imr.duckdb") == Path("/srv/imr.duckdb")
    assert warehouse.database_path("duckdb:///:memory:") is None
    assert warehouse.describe(warehouse.resolve_url(None)) == "other.duckdb"


def test_migrations_and_views_ship_inside_the_package():
    assert (warehouse.MIGRATIONS / "env.py").is_file()
    assert list((warehouse.MIGRATIONS / "versions").glob("0001_*.py"))
    assert warehouse.views() and all(v.path.parent == warehouse.SQL_DIR for v in warehouse.views())


# --------------------------------------------------------------- migrations

def test_migrations_run_up_and_down_on_an_empty_warehouse(tmp_path):
    db = str(tmp_path / "m.duckdb")
    with warehouse.open_engine(db) as engine:
        warehouse.migrate(engine)
        found = inspect(engine)
        assert set(found.get_table_names()) == TABLES | {"alembic_version"}
        assert set(found.get_view_names()) == {v.name for v in warehouse.views()}
        assert warehouse.current_revision(engine) == warehouse.head_revision()

        warehouse.downgrade(engine, "base")
        found = inspect(engine)
        assert set(found.get_table_names()) == {"alembic_version"}
        assert found.get_view_names() == []
        assert warehouse.current_revision(engine) is None

        warehouse.migrate(engine)  # and up again
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}


def test_migrated_warehouse_matches_the_schema_module(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with warehouse.open_engine(str(tmp_path / "m.duckdb")) as engine:
        warehouse.migrate(engine)  # also registers Alembic's DuckDB implementation
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duckdb-engine: no reflection of indexes
            context = MigrationContext.configure(conn, opts={"compare_type": warehouse.compare_type})
            assert compare_metadata(context, schema.metadata) == []


def test_duckdb_declares_the_keys_of_the_small_tables_only(seeds_db):
    declared = declared_keys(seeds_db)
    assert declared == schema_keys(declared_only=True)
    assert declared["dim_date"] == ("date_key",) and declared["etl_quarantine"] == ("source_path", "sha256")
    assert not set(GROWING) & set(declared)
    undeclared = set(schema_keys(declared_only=False)) - set(declared)
    assert undeclared == {*GROWING, "fact_decision", "fact_citation", "fact_diagnosis"}


def test_revision_0008_drops_and_restores_the_keys_keeping_every_row(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = str(tmp_path / "w.duckdb")
    load([], db, jobs=1)  # the bundled samples
    loaded = snapshot(db)
    with warehouse.open_engine(db) as engine:
        warehouse.downgrade(engine, "0007")
    keyed = declared_keys(db)
    assert {t: keyed[t] for t in GROWING} == {t: schema_keys(declared_only=False)[t] for t in GROWING}
    assert snapshot(db) == loaded
    with warehouse.open_engine(db) as engine:
        warehouse.migrate(engine)
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = MigrationContext.configure(conn, opts={"compare_type": warehouse.compare_type})
            assert compare_metadata(context, schema.metadata) == []  # NOT NULL kept through the rebuild
    assert declared_keys(db) == schema_keys(declared_only=True)
    assert snapshot(db) == loaded
    assert all(r.ok for r in checks.check(db))
    again = load([], db, jobs=1)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 110)


def test_migrating_twice_is_harmless(seeds_db):
    with warehouse.open_engine(seeds_db) as engine:
        before = _counts(engine)
        warehouse.migrate(engine)
        assert _counts(engine) == before


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in sorted(TABLES)}


# -------------------------------------------------------------------- views

def test_each_view_file_documents_grain_and_columns_and_creates_its_view():
    names = [v.name for v in warehouse.views()]
    assert len(names) == len(set(names))
    for view in warehouse.views():
        text = view.sql
        assert text.startswith("-- ") and view.description
        assert "\n-- Grain: " in text and "\n-- Columns:\n" in text
        assert re.search(rf"^CREATE OR REPLACE VIEW {view.name} AS$", text, re.M), view.path.name
        assert documented_columns(view)


def test_required_views_exist():
    names = {v.name for v in warehouse.views()}
    assert {"v_decisions", "v_letters", "v_overturn_rate_by_treatment",
            "v_overturn_rate_by_reviewer_specialty", "v_overturn_rate_by_guideline",
            "v_overturn_rate_by_body_region", "v_guideline_citations", "v_quarantine",
            "v_load_runs", "v_overturn_rate_by_dwc_category", "v_overturn_rate_by_drug"} <= names


def test_views_reflect_through_sqlalchemy_with_their_documented_columns(seeds_db):
    """What Superset and Metabase do: list the views, then their columns."""
    with warehouse.open_engine(seeds_db) as engine:
        found = inspect(engine)
        assert set(found.get_view_names()) == {v.name for v in warehouse.views()}
        for view in warehouse.views():
            columns = found.get_columns(view.name)
            assert [c["name"] for c in columns] == documented_columns(view), view.name
            with engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT * FROM {view.name}").fetchall()


def test_rate_views_have_the_measures_in_order(seeds_db):
    measures = ["decisions", "overturned", "overturn_rate", "ci_low", "ci_high"]
    with warehouse.open_engine(seeds_db) as engine:
        found = inspect(engine)
        for name in ("v_overturn_rate_by_treatment", "v_overturn_rate_by_reviewer_specialty",
                     "v_overturn_rate_by_guideline", "v_overturn_rate_by_body_region",
                     "v_overturn_rate_by_dwc_category", "v_overturn_rate_by_drug"):
            columns = [c["name"] for c in found.get_columns(name)]
            start = columns.index("decisions")
            assert columns[start:start + 5] == measures, name
        treatment = [c["name"] for c in found.get_columns("v_overturn_rate_by_treatment")]
        assert treatment[:2] == ["treatment_category", "treatment_subcategory"]
        dwc = [c["name"] for c in found.get_columns("v_overturn_rate_by_dwc_category")]
        assert dwc[:2] == ["dwc_category", "dwc_subcategory"]
        drug = [c["name"] for c in found.get_columns("v_overturn_rate_by_drug")]
        assert drug[:2] == ["drug_class", "drug_generic"]


# ------------------------------------------------------------------- rows

def test_keys_are_stable_and_distinct():
    assert rows.key("letter", "CM16-0219557") == rows.key("letter", "CM16-0219557")
    assert rows.key("letter", "a", None) != rows.key("letter", "a", "")
    assert 0 <= rows.key("x") < 2 ** 63


def test_small_derivations():
    assert [rows.age_band(a) for a in (None, 29, 30, 46, 69, 70, 88)] == \
        [None, "under 30", "30-39", "40-49", "60-69", "70 and over", "70 and over"]
    assert rows.service_label("Norco 10/325mg  #60.") == "norco 10/325mg"
    assert rows.service_label("Acupuncture, eight visits") == "acupuncture, eight visits"


def test_vocabularies_cover_what_the_classifier_emits():
    regions = {r["region"] for r in vocab("regions.csv")}
    assert {r["region"] for r in vocab("body_regions.csv")} | {"multiple"} <= regions
    assert {r["category"] for r in vocab("taxonomy.csv")} == {r["category"] for r in vocab("categories.csv")}
    assert {r[1] for r in rows.body_region_rows()} == regions


# -------------------------------------------------------------------- lock

def test_a_second_writer_is_refused_with_a_clear_message(tmp_path):
    url = warehouse.resolve_url(str(tmp_path / "w.duckdb"))
    with warehouse.lock(url):
        with pytest.raises(warehouse.WarehouseBusy, match=r"w\.duckdb is being written by another imr-etl \(pid \d+\)"):
            with warehouse.lock(url):
                pass
    with warehouse.lock(url):  # released
        pass


def test_a_second_writer_can_wait_for_the_first(tmp_path):
    url = warehouse.resolve_url(str(tmp_path / "w.duckdb"))
    assert writers_in_turn(url) == ["first lets go", "second holds"]


def test_a_warehouse_held_open_by_another_process_is_reported_as_busy(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(warehouse.WarehouseBusy, match=r"held\.duckdb is in use by .*PID"):
            with warehouse.open_engine(str(db)):
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    with warehouse.open_engine(str(db)):  # free again
        pass


def test_read_only_open_of_a_missing_warehouse_says_so(tmp_path):
    with pytest.raises(warehouse.WarehouseError, match="no warehouse at .*nothing.duckdb; create it"):
        with warehouse.open_engine(str(tmp_path / "nothing.duckdb"), read_only=True):
            pass
    assert not (tmp_path / "nothing.duckdb").exists()
