"""Export: the curated views — and, asked, the star schema's tables — as
Parquet files, one per view or table, for BI tools and notebooks that read
files rather than a database.

DuckDB writes every file.  From a DuckDB warehouse, ``COPY (SELECT * FROM
view) TO 'file.parquet'`` directly.  From PostgreSQL (DuckDB's postgres
extension is not to be installed at run time) the rows stream out with
``COPY … TO STDOUT`` as CSV into a temporary file, which an in-memory DuckDB
reads with the columns' types and writes as Parquet.  Either way a file
appears whole or not at all (written under a temporary name, then renamed).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import (BigInteger, Boolean, Connection, Date, DateTime, Float, Integer, Numeric,
                        SmallInteger, inspect)

from imr_etl import dialect, schema, warehouse

FORMATS = ("parquet",)
# The star schema: the dimensions, their bridge and the letter tables (not the load's bookkeeping).
STAR_TABLES = tuple(t.name for t in schema.STAR)


@dataclass(frozen=True)
class Exported:
    name: str  # the view or table
    path: Path
    rows: int


def export(out_dir: str | os.PathLike, db: str | None = None, *, tables: bool = False,
           fmt: str = "parquet") -> list[Exported]:
    """Write each curated view (and with ``tables`` each star schema table) to
    ``out_dir/<name>.parquet``, replacing files of the same name.  Raises
    :class:`imr_etl.warehouse.WarehouseError` when the warehouse cannot be
    opened."""
    if fmt not in FORMATS:
        raise ValueError(f"cannot export as {fmt!r}: {', '.join(FORMATS)} only")
    out = Path(out_dir)
    names = [v.name for v in warehouse.views()] + (list(STAR_TABLES) if tables else [])
    done = []
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        out.mkdir(parents=True, exist_ok=True)
        write = _from_postgresql if dialect.name(conn) == dialect.POSTGRESQL else _from_duckdb
        for name in names:
            path = out / f"{name}.parquet"
            partial = out / f".{name}.parquet.partial"
            try:
                write(conn, name, partial)
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
            done.append(Exported(name, path, _count(path)))
    return done


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _count(path: Path) -> int:
    with duckdb.connect() as duck:
        return duck.execute(f"SELECT count(*) FROM read_parquet('{_quoted(path)}')").fetchone()[0]


def _from_duckdb(conn: Connection, name: str, path: Path) -> None:
    dialect.run(conn, f"COPY (SELECT * FROM \"{name}\") TO '{_quoted(path)}' (FORMAT parquet)")


def duckdb_type(sql_type) -> str:
    """The DuckDB type for a column type PostgreSQL reports (through SQLAlchemy);
    text for anything else (no view or star table has other types)."""
    for kind, name in ((Boolean, "BOOLEAN"), (SmallInteger, "SMALLINT"), (BigInteger, "BIGINT"),
                       (Integer, "INTEGER"), (Float, "DOUBLE"), (Numeric, "DOUBLE"),
                       (DateTime, "TIMESTAMP"), (Date, "DATE")):
        if isinstance(sql_type, kind):
            return name
    return "VARCHAR"


def _from_postgresql(conn: Connection, name: str, path: Path) -> None:
    columns = inspect(conn).get_columns(name)
    types = ", ".join(f"'{c['name']}': '{duckdb_type(c['type'])}'" for c in columns)
    # Output the reader below parses exactly: ISO dates, floats that round-trip.
    conn.exec_driver_sql("SET datestyle = 'ISO, YMD'")
    conn.exec_driver_sql("SET extra_float_digits = 3")
    with tempfile.TemporaryDirectory(prefix="imr-etl-export-") as folder:
        csv_path = Path(folder) / f"{name}.csv"
        cursor = conn.connection.driver_connection.cursor()
        # FORCE_QUOTE *: every value quoted, so only NULL is a bare \N.
        with cursor, cursor.copy(f'COPY (SELECT * FROM "{name}") TO STDOUT '
                                 f"({dialect.POSTGRESQL_CSV}, FORCE_QUOTE *)") as copy, \
                csv_path.open("wb") as file:
            for block in copy:
                file.write(block)
        with duckdb.connect() as duck:
            duck.execute(f"COPY (SELECT * FROM read_csv('{_quoted(csv_path)}', {dialect.DUCKDB_CSV}, "
                         f"columns = {{{types}}})) TO '{_quoted(path)}' (FORMAT parquet)")
