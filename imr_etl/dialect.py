"""Where the warehouse's two databases, DuckDB and PostgreSQL, differ: the one
module that knows, so the rest of imr-etl writes one SQL.

* Parameters: imr-etl's statements use ``?`` placeholders; psycopg wants
  ``%s`` (:func:`execute` translates).
* The bulk-write path: a batch of rows as CSV lines (:func:`insert_csv`) —
  DuckDB reads them from a file with ``read_csv``; PostgreSQL takes the same
  lines through ``COPY … FROM STDIN`` (into a temporary table first when the
  insert has a clause, ``ON CONFLICT`` or ``WHERE``, which COPY lacks).
* Declared keys: PostgreSQL keeps the primary keys of the tables that grow
  with the letters, DuckDB does not (:func:`keeps_declared_keys`).
* The functions the curated views share: ``sql/<dialect>/functions.sql``
  (DuckDB macros, PostgreSQL SQL functions), same names and results.
* Replacing a view whose columns changed; listing and dropping the views (a
  downgrade to ``base``).

The writer lock (a file ``flock`` for DuckDB, an advisory lock on the server
for PostgreSQL) lives with the rest of the locking in :mod:`imr_etl.warehouse`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import Connection, Table

SQL_DIR = Path(__file__).parent / "sql"  # -> ../sql
POSTGRESQL = "postgresql"
DUCKDB = "duckdb"

# The CSV the loader writes (imr_etl.outcomes.encode): comma-separated, '"'-quoted
# with '""' for a quote inside, '\n' line ends, NULL as an unquoted \N (a
# quoted "\N" is the text).
DUCKDB_CSV = ("header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
              "new_line = '\\n', nullstr = '\\N', allow_quoted_nulls = false")
POSTGRESQL_CSV = "FORMAT csv, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULL '\\N'"


def name(conn: Connection) -> str:
    """``duckdb`` or ``postgresql``."""
    return conn.dialect.name


def functions_file(dialect: str) -> Path:
    """The functions the curated views call, written for ``dialect``."""
    path = SQL_DIR / dialect / "functions.sql"
    if not path.is_file():
        raise ValueError(f"imr-etl's warehouse runs on DuckDB or PostgreSQL, not {dialect}")
    return path


def statements(path: Path) -> list[str]:
    """A SQL file's statements (split at semicolons, which therefore stay out
    of comments and function bodies)."""
    return [s for s in path.read_text(encoding="utf-8").split(";") if "CREATE" in s]


def run(conn: Connection, statement: str):
    """Run SQL as written, with no parameters: psycopg would otherwise read a
    '%' (in a comment, in LIKE 'a%') as a placeholder."""
    return conn.exec_driver_sql(statement, execution_options={"no_parameters": True})


def execute(conn: Connection, statement: str, params: Sequence = ()):
    """Run ``statement`` with ``?`` placeholders for ``params`` (lists bind as
    arrays on both databases)."""
    if conn.dialect.paramstyle in ("format", "pyformat"):  # psycopg
        statement = statement.replace("%", "%%").replace("?", "%s")
    return conn.exec_driver_sql(statement, tuple(params))


# ------------------------------------------------------------- bulk writes

def insert_rows(conn: Connection, table: Table, table_rows: Sequence[tuple], on_conflict: str = "") -> None:
    """Insert ``table_rows`` (tuples in column order) in one statement: each
    column goes as one array parameter and the database unnests them side by
    side (DuckDB and PostgreSQL alike).  For a few thousand rows; a batch of
    letters goes as CSV (:func:`insert_csv`)."""
    if not table_rows:
        return
    columns = list(table.columns)
    names = ", ".join(f'"{c.name}"' for c in columns)
    values = ", ".join(f"unnest(?::{c.type.compile(dialect=conn.dialect)}[])" for c in columns)
    execute(conn, f'INSERT INTO "{table.name}" ({names}) SELECT {values} {on_conflict}',
            tuple(list(column) for column in zip(*table_rows)))


def keeps_declared_keys(conn: Connection) -> bool:
    """Whether the tables that grow with the letters declare their keys
    (revision 0008, :mod:`imr_etl.schema`): PostgreSQL's B-tree indexes live on
    disk and serve the load's look-ups; DuckDB's ART indexes live in memory,
    which grew with every letter a load wrote."""
    return name(conn) == POSTGRESQL


def insert_csv(conn: Connection, table: Table, lines: Iterable[str], folder: Path,
               clause: str = "") -> None:
    """Insert rows given as CSV lines (in ``table``'s column order) in one
    bulk statement, selected with ``clause``: an ``ON CONFLICT …``, or a
    ``WHERE …`` on the incoming rows, which it calls ``new``."""
    if name(conn) == POSTGRESQL:
        _copy(conn, table, lines, clause)
    else:
        _read_csv(conn, table, lines, folder, clause)


def _names(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


def _read_csv(conn: Connection, table: Table, lines: Iterable[str], folder: Path, clause: str) -> None:
    """DuckDB: through a file in ``folder``; its CSV reader takes a batch far
    faster than Python values can be bound as parameters."""
    lines = list(lines)
    if not lines:
        return
    path = folder / f"{table.name}.csv"
    # Written over the last batch's file in place, then cut to length: opened
    # for writing, the file was truncated first, its pages freed and
    # allocated again (10 MB of CSV: 17 ms of CPU against 7 in place).
    with open(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "w", encoding="utf-8", newline="") as file:
        file.writelines(lines)
        file.truncate()
    columns = ", ".join(f"'{c.name}': '{c.type.compile(dialect=conn.dialect)}'" for c in table.columns)
    source = str(path).replace("'", "''")
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({_names(table)}) SELECT * FROM '
                         f"read_csv('{source}', {DUCKDB_CSV}, columns = {{{columns}}}) AS new {clause}")


COPY_BUFFER = 1 << 20  # characters sent to the server per COPY write


def _copy(conn: Connection, table: Table, lines: Iterable[str], clause: str) -> None:
    """PostgreSQL: ``COPY FROM STDIN`` straight into the table, or, with a
    clause, into a temporary copy of it that one ``INSERT … SELECT …
    clause`` then merges (dropped at commit)."""
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        return
    target = f'"{table.name}"'
    if clause:
        target = f'"imr_etl_load_{table.name}"'
        conn.exec_driver_sql(f'CREATE TEMPORARY TABLE {target} (LIKE "{table.name}") ON COMMIT DROP')
    cursor = conn.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {target} ({_names(table)}) FROM STDIN ({POSTGRESQL_CSV})") as copy:
        buffer = [first]
        size = len(first)
        for line in lines:
            buffer.append(line)
            size += len(line)
            if size >= COPY_BUFFER:
                copy.write("".join(buffer))
                buffer, size = [], 0
        copy.write("".join(buffer))
    if clause:
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({_names(table)}) '
                             f"SELECT {_names(table)} FROM {target} AS new {clause}")
        conn.exec_driver_sql(f"DROP TABLE {target}")


# ------------------------------------------------------------------- views

def user_views(conn: Connection) -> list[str]:
    """The views in the warehouse's schema (the curated ones and any others)."""
    return list(conn.exec_driver_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' "
        "AND table_schema = current_schema() ORDER BY table_name").scalars())


def create_view(conn: Connection, view: str, sql: str) -> None:
    """Run a view file's ``CREATE OR REPLACE VIEW``.  PostgreSQL refuses to
    replace a view whose columns change name, order or type (a new release's
    view over an old warehouse): then the old view goes first, with the views
    built on it — the curated ones are created again after it, in file order."""
    if name(conn) != POSTGRESQL:
        run(conn, sql)
        return
    from sqlalchemy.exc import DBAPIError

    try:
        with conn.begin_nested():
            run(conn, sql)
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != "42P16":  # invalid_table_definition
            raise
        drop_view(conn, view)
        run(conn, sql)


def drop_view(conn: Connection, view: str) -> None:
    """Drop a view, and on PostgreSQL the views built on it (DuckDB does not
    track dependencies between views, and needs no CASCADE)."""
    cascade = " CASCADE" if name(conn) == POSTGRESQL else ""
    conn.exec_driver_sql(f'DROP VIEW IF EXISTS "{view}"{cascade}')
