"""The data dictionary: every table and view of the warehouse, in Markdown.

Generated, so it cannot drift from what it describes:

* the columns and their types are read from a freshly built warehouse (the
  Alembic migrations, then the curated views), so they are what a user's
  warehouse has;
* a table's grain and description come from ``Table.info`` in
  :mod:`imr_etl.schema` and each column's from its ``doc``;
* a view's come from the opening comment of its file in ``sql/`` (first line:
  what it is for; ``Grain:``; ``Columns:`` with one description each).

``imr-etl docs OUT_DIR`` writes ``README.md`` (the index) and one page per
table and view; the committed copy is ``docs/dictionary/``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from imr_etl import schema, warehouse


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool
    key: bool  # part of the primary key
    description: str


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # table, view
    group: str  # facts, dimensions, bridges, aggregates, bookkeeping, views, staging
    description: str
    grain: str
    fields: tuple[Field, ...]
    defined_in: str  # where to change it, relative to the package


# Tables in the order an analyst meets them: facts, their dimensions and the
# bridges between dimensions, kept aggregates, the load's books.
_GROUPS = (("facts", "fact_"), ("dimensions", "dim_"), ("bridges", "bridge_"), ("aggregates", "agg_"),
           ("bookkeeping", "etl_"))


def _group(name: str) -> str:
    return next(group for group, prefix in _GROUPS if name.startswith(prefix))


# ------------------------------------------------------------ view headers

_COLUMN = re.compile(r"^(\w+)\s{2,}(.*)$")


def view_header(sql: str) -> tuple[str, str, dict[str, str]]:
    """(description, grain, {column: description}) from a view file's opening
    comment.  A line indented past the column names continues the one before."""
    comment = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        comment.append(line[2:])
    description, grain, columns = [], [], {}
    part, last = description, None
    for line in comment:
        text = line.strip()
        if text.startswith("Grain:"):
            part = grain
            text = text.removeprefix("Grain:").strip()
        elif text == "Columns:":
            part = None
            continue
        if part is not None:
            part.append(text)
        elif (match := _COLUMN.match(text)) and line.startswith("   ") and not line.startswith("    "):
            last = match.group(1)
            columns[last] = match.group(2).strip()
        elif last and text:
            columns[last] += " " + text
    return " ".join(description), " ".join(grain), columns


# ---------------------------------------------------------------- entries

def entries() -> list[Entry]:
    """Every table and view, built from a new warehouse in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="imr-etl-docs-") as folder:
        with warehouse.open_engine(str(Path(folder) / "dictionary.duckdb")) as engine:
            warehouse.migrate(engine)
            with engine.begin() as conn:
                warehouse.create_views(conn)
            with engine.connect() as conn:
                types = _column_types(conn)
    return [*_tables(types), *_views(types)]


def _column_types(conn) -> dict[str, list[tuple[str, str, bool]]]:
    found: dict[str, list[tuple[str, str, bool]]] = {}
    result = conn.exec_driver_sql(
        "SELECT table_name, column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position")
    for table, column, data_type, nullable in result:
        found.setdefault(table, []).append((column, data_type, nullable))
    return found


def _tables(types: dict[str, list[tuple[str, str, bool]]]) -> list[Entry]:
    order = {group: i for i, (group, _) in enumerate(_GROUPS)}
    tables = sorted(schema.metadata.sorted_tables, key=lambda t: (order[_group(t.name)], t.name))
    found = []
    for table in tables:
        docs = {c.name: c for c in table.columns}
        fields = tuple(Field(name, data_type, nullable, docs[name].primary_key, docs[name].doc or "")
                       for name, data_type, nullable in types[table.name])
        found.append(Entry(table.name, "table", _group(table.name), table.info.get("description", ""),
                           table.info.get("grain", ""), fields, "imr_etl/schema.py"))
    return found


def _views(types: dict[str, list[tuple[str, str, bool]]]) -> list[Entry]:
    found = []
    for view in warehouse.views():
        description, grain, columns = view_header(view.sql)
        fields = tuple(Field(name, data_type, nullable, False, columns.get(name, ""))
                       for name, data_type, nullable in types[view.name])
        group = "staging" if view.name.startswith("stg_") else "views"
        found.append(Entry(view.name, "view", group, description, grain, fields, f"sql/{view.path.name}"))
    return found


# ------------------------------------------------------------------ Markdown

_HEADINGS = {
    "views": "Curated views (what to query)",
    "staging": "Staging views (feed the curated views)",
    "facts": "Fact tables",
    "dimensions": "Dimension tables",
    "bridges": "Bridge tables (a dimension's mapping, row by row)",
    "aggregates": "Aggregates the load keeps",
    "bookkeeping": "Load bookkeeping",
}
_GENERATED = "<!-- Generated by `imr-etl docs docs/dictionary`: edit the schema or the view, not this file. -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_index(found: list[Entry]) -> str:
    lines = [_GENERATED, "", "# Data dictionary", "",
             "Every table and view of the imr-etl warehouse: its grain, columns and types. "
             "Query the curated views; the star schema under them is documented for joins "
             "of your own (docs/warehouse.md explains how it is loaded).", ""]
    for group, heading in _HEADINGS.items():
        members = [e for e in found if e.group == group]
        if not members:
            continue
        lines += [f"## {heading}", "", "| name | grain | what it is |", "|---|---|---|"]
        lines += [f"| [`{e.name}`]({e.name}.md) | {_cell(e.grain)} | {_cell(e.description)} |" for e in members]
        lines.append("")
    return "\n".join(lines)


def render(entry: Entry) -> str:
    lines = [_GENERATED, "", f"# `{entry.name}` ({entry.kind})", "", entry.description, "",
             f"**Grain:** {entry.grain}", "", f"Defined in `{entry.defined_in}`.", "",
             *_columns(entry)]
    lines += ["", "[All tables and views](README.md)", ""]
    return "\n".join(lines)


def _columns(entry: Entry) -> list[str]:
    if entry.kind == "view":  # a view's columns all read as nullable: saying so tells nothing
        return ["| column | type | description |", "|---|---|---|",
                *(f"| {f.name} | {f.type} | {_cell(f.description)} |" for f in entry.fields)]
    lines = ["| column | type | null | description |", "|---|---|---|---|"]
    for field in entry.fields:
        name = f"**{field.name}** (key)" if field.key else field.name
        null = "yes" if field.nullable else "no"
        lines.append(f"| {name} | {field.type} | {null} | {_cell(field.description)} |")
    return lines


def pages(found: list[Entry] | None = None) -> dict[str, str]:
    """{file name: Markdown} of the whole dictionary."""
    found = entries() if found is None else found
    return {"README.md": render_index(found), **{f"{e.name}.md": render(e) for e in found}}


def write(out_dir: Path) -> list[Path]:
    """Write the dictionary into ``out_dir``, removing pages of tables or views
    that no longer exist; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for stale in out_dir.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, text in wanted.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
