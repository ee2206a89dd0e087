"""The data dictionary (`imr-etl docs`): generated, complete and current."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from imr_etl import dictionary, schema, warehouse
from imr_etl.cli import main

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "dictionary"


@pytest.fixture(scope="module")
def entries() -> list[dictionary.Entry]:
    return dictionary.entries()


def test_the_committed_dictionary_is_current(entries):
    generated = dictionary.pages(entries)
    committed = {path.name: path.read_text(encoding="utf-8") for path in COMMITTED.glob("*.md")}
    assert set(committed) == set(generated), "run `imr-etl docs docs/dictionary` and commit the result"
    stale = sorted(name for name in generated if committed[name] != generated[name])
    assert not stale, f"docs/dictionary is stale ({', '.join(stale)}): run `imr-etl docs docs/dictionary`"


def test_every_table_and_view_is_there_with_grain_and_description(entries):
    names = {e.name for e in entries}
    assert names == {t.name for t in schema.metadata.sorted_tables} | {v.name for v in warehouse.views()}
    for entry in entries:
        assert entry.grain and entry.description, entry.name


def test_every_column_is_described(entries):
    undocumented = [f"{e.name}.{f.name}" for e in entries for f in e.fields if not f.description]
    assert not undocumented, "describe them (schema.py doc=, or the view's header): " + ", ".join(undocumented)


def test_types_and_keys_are_those_the_migrations_create(entries):
    # As migrations/versions/0001_star_schema.py, 0002 and 0003 create them.
    by_name = {e.name: {f.name: f for f in e.fields} for e in entries}
    assert by_name["fact_decision"]["overturned"].type == "SMALLINT"
    assert by_name["fact_decision"]["quantity"].type == "DOUBLE"
    assert by_name["dim_letter"]["loaded_at"].type == "TIMESTAMP"
    assert by_name["etl_quarantine"]["raw_bytes"].type == "BLOB"
    assert [f.name for f in by_name["etl_quarantine"].values() if f.key] == ["source_path", "sha256"]
    # keys the load keeps without declaring them (revisions 0003 and 0008) are keys to the analyst all the same
    assert [f.name for f in by_name["fact_citation"].values() if f.key] == ["decision_key", "position"]
    assert [f.name for f in by_name["dim_letter"].values() if f.key] == ["letter_key"]
    assert by_name["dim_letter"]["letter_id"].nullable is False
    assert by_name["dim_letter"]["case_number"].nullable is True
    # Views: the types DuckDB gives the expressions.
    assert by_name["v_overturn_rate_by_treatment"]["overturn_rate"].type == "DOUBLE"
    assert by_name["v_decisions"]["decision_date"].type == "DATE"


def test_a_view_header_reads_description_grain_and_wrapped_columns():
    sql = ("-- Overturn rate by thing.\n"
           "-- Grain: one thing;\n"
           "--   a decision counts once.\n"
           "-- Columns:\n"
           "--   thing      what it is\n"
           "--   decisions  decisions of the thing,\n"
           "--              counted once each\n"
           "CREATE OR REPLACE VIEW v AS SELECT 1\n")
    description, grain, columns = warehouse.view_header(sql)
    assert description == "Overturn rate by thing."
    assert grain == "one thing; a decision counts once."
    assert columns == {"thing": "what it is", "decisions": "decisions of the thing, counted once each"}


def test_docs_command_writes_the_pages_and_drops_stale_ones(tmp_path, entries):
    out = tmp_path / "dictionary"
    out.mkdir()
    (out / "v_retired.md").write_text("a view that no longer exists")
    result = CliRunner().invoke(main, ["docs", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(entries)} tables and views" in result.output
    assert not (out / "v_retired.md").exists()
    readme = (out / "README.md").read_text()
    for entry in entries:
        assert f"]({entry.name}.md)" in readme
        assert (out / f"{entry.name}.md").is_file()
    page = (out / "fact_decision.md").read_text()
    assert "| **decision_key** (key) | BIGINT | no |" in page  # kept by the load, a key all the same
    assert "| letter_key | BIGINT | no |" in page
    assert "| **letter_key** (key) | BIGINT | no |" in (out / "dim_letter.md").read_text()


def test_docs_command_has_help_with_an_example():
    result = CliRunner().invoke(main, ["docs", "--help"])
    assert result.exit_code == 0 and "Example" in result.output
