"""The warehouse: where it is, opening it, migrating it, its curated views.

* Location: ``--db`` (a path or an SQLAlchemy URL), else ``$IMR_ETL_DB``,
  else ``warehouse/imr.duckdb`` under the current directory.  A DuckDB file
  or a PostgreSQL database (``postgresql+psycopg://user:password@host/db``;
  ``postgresql://`` means the same); :mod:`imr_etl.dialect` holds what differs.
* Schema: Alembic migrations in ``migrations/`` (shipped inside the package as
  ``imr_etl/migrations``), tables defined in :mod:`imr_etl.schema`.
* Views: ``sql/NN_name.sql``, one view per file, applied in file-name order
  after every migration and load.
* Exclusion: a writer holds an advisory lock for the whole run — a ``flock``
  on ``<db>.lock`` for DuckDB, a session advisory lock on the server for
  PostgreSQL; a second writer waits or stops with :class:`WarehouseBusy`.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.dialects import registry
from sqlalchemy.exc import DBAPIError

from imr_etl.errors import WarehouseBusy, WarehouseError  # noqa: F401 - raised here, and named from here by callers

PACKAGE = Path(__file__).parent
MIGRATIONS = PACKAGE / "migrations"  # -> ../migrations
SQL_DIR = PACKAGE / "sql"  # -> ../sql
DEFAULT_DB = Path("warehouse") / "imr.duckdb"
ENV_VAR = "IMR_ETL_DB"
# A DuckDB file is written in the running DuckDB's storage format, which older
# readers (a BI tool's duckdb 1.x) cannot open; a file created with this set
# to a release ("v1.0.0") keeps that release's format for good.
STORAGE_VAR = "IMR_ETL_DUCKDB_STORAGE_VERSION"

# SQLAlchemy finds a dialect it does not ship by reading the entry points of
# every installed package at each command's start (0.72 → 0.69 s for
# `imr-etl sql "select 1"`, medians of 12 alternated runs); the
# duckdb one is named here as its package's entry point names it
# (duckdb_engine's ``sqlalchemy.dialects``: ``duckdb = duckdb_engine:Dialect``).
registry.register("duckdb", "duckdb_engine", "Dialect")


# ------------------------------------------------------------------ location

def resolve_url(db: str | os.PathLike | None = None) -> str:
    """The SQLAlchemy URL for ``--db``, ``$IMR_ETL_DB`` or the default file."""
    db = str(db or os.environ.get(ENV_VAR) or DEFAULT_DB)
    if "://" in db:
        scheme, rest = db.split("://", 1)
        if scheme in ("postgresql", "postgres"):  # psycopg (v3), not SQLAlchemy's default psycopg2
            return f"postgresql+psycopg://{rest}"
        return db
    if db == ":memory:":
        return "duckdb:///:memory:"
    return f"duckdb:///{Path(db).expanduser().resolve()}"


def database_path(url: str) -> Path | None:
    """The file behind a DuckDB URL, or ``None`` (in memory, other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "duckdb" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def describe(url: str) -> str:
    """How to name the warehouse to a user: its path, relative when it is
    under the working directory (not from ``/``, where a relative path reads
    as if it were relative to somewhere else)."""
    path = database_path(url)
    if path is None:
        return make_url(url).render_as_string(hide_password=True)
    here = Path.cwd()
    if here == Path(here.anchor) or not path.is_relative_to(here):
        return str(path)
    return str(path.relative_to(here))


# ----------------------------------------------------------------- opening

def _translate(error: BaseException, url: str) -> WarehouseError:
    message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    where = describe(url)
    if "Could not set lock" in message or "Conflicting lock" in message:
        holder = re.search(r"Conflicting lock is held in (.*?)(?:\. See also|$)", message)
        by = f" by {holder.group(1)}" if holder else ""
        return WarehouseBusy(f"{where} is in use{by}; wait for it to finish (or close it) and retry")
    if "database does not exist" in message or "No such file" in message:
        return WarehouseError(f"no warehouse at {where}; create it with `imr-etl load` or `imr-etl migrate`")
    if is_postgresql(url) and isinstance(getattr(error, "orig", None) or error, _psycopg_operational()):
        # psycopg: 'connection failed: connection to server at "h", port 5432 failed: FATAL:  …'
        message = " ".join(message.removeprefix("connection failed: ").replace("FATAL:", "").split())
        return WarehouseError(f"{where}: cannot connect: {message}")
    return WarehouseError(f"{where}: {message}")


def _psycopg_operational() -> type[BaseException]:
    try:
        from psycopg import OperationalError
    except ImportError:
        return ()
    return OperationalError


def _create_engine(url: str, read_only: bool = False, application_name: str = "imr-etl", **options) -> Engine:
    """The engine for ``url``: a DuckDB file opened read-only if asked, or a
    PostgreSQL server reached with psycopg, its transactions read-only if
    asked, giving up on an unreachable server after 10 s (unless the URL's
    ``connect_timeout`` says otherwise)."""
    if not is_postgresql(url):
        return create_engine(url, connect_args=_duckdb_args(url, read_only))
    connect_args: dict = {"application_name": application_name}
    if "connect_timeout" not in make_url(url).query:
        connect_args["connect_timeout"] = 10
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    try:
        return create_engine(url, connect_args=connect_args, **options)
    except ModuleNotFoundError as error:  # psycopg is an optional dependency
        raise WarehouseError(f"{describe(url)}: PostgreSQL needs the psycopg driver: "
                             f"pip install 'imr-etl[postgres]' ({error})") from None


def _duckdb_args(url: str, read_only: bool) -> dict:
    if read_only and database_path(url):
        return {"read_only": True}
    version = os.environ.get(STORAGE_VAR)
    return {"config": {"storage_compatibility_version": version}} if version else {}


@contextmanager
def open_engine(db: str | None = None, *, read_only: bool = False) -> Iterator[Engine]:
    """An engine on the warehouse, checked to open, disposed afterwards.

    Failures to open (a lock held by another process, a missing file for a
    read-only open) raise :class:`WarehouseError` with a one-line message.
    """
    url = resolve_url(db)
    path = database_path(url)
    if path is not None and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    if path is not None and read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {describe(url)}; create it with `imr-etl load` or `imr-etl migrate`")
    engine = _create_engine(url, read_only)
    try:
        try:
            with engine.connect():
                pass
        except DBAPIError as error:
            raise _translate(error, url) from error
        yield engine
    finally:
        engine.dispose()


@contextmanager
def lock(url: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's writer lock (``<db>.lock``, an advisory ``flock``;
    on PostgreSQL a session advisory lock, :func:`_server_lock`).

    The kernel releases it when the process ends, however it ends, so a killed
    load never leaves a stale lock.  Waits up to ``wait`` seconds for another
    holder, then raises :class:`WarehouseBusy`.
    """
    if is_postgresql(url):
        with _server_lock(url, wait):
            yield
        return
    path = database_path(url)
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:  # a read-only or full file system, a directory we may not write
        raise WarehouseError(f"{describe(url)}: cannot write there: {error.strerror or error}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
                    by = f" (pid {holder})" if holder.isdigit() else ""
                    raise WarehouseBusy(
                        f"{describe(url)} is being written by another imr-etl{by}; "
                        f"try again when it finishes, or pass --wait SECONDS") from None
                time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# The writers' advisory lock on a PostgreSQL server: one (classid, objid) pair,
# per database ("imr-" and "etl " as big-endian integers).
LOCK_KEY = (0x696D722D, 0x65746C20)


@contextmanager
def _server_lock(url: str, wait: float) -> Iterator[None]:
    """PostgreSQL: hold a session advisory lock on a connection of its own for
    the run.  The server releases it when that session ends — the process
    exiting or killed closes it — so, as with the flock, no stale lock.  The
    session's application_name carries the holder's pid for the message."""
    from sqlalchemy.pool import NullPool

    engine = _create_engine(url, application_name=f"imr-etl writer (pid {os.getpid()})", poolclass=NullPool)
    try:
        try:
            conn = engine.connect()
        except DBAPIError as error:
            raise _translate(error, url) from error
        try:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            deadline = time.monotonic() + wait
            while not conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s, %s)" % LOCK_KEY).scalar():
                if time.monotonic() >= deadline:
                    holder = conn.exec_driver_sql(
                        "SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a USING (pid) "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
                        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        % LOCK_KEY).scalar() or ""
                    pid = re.search(r"\(pid \d+\)", holder)
                    by = f" {pid.group(0)}" if pid else ""
                    raise WarehouseBusy(f"{describe(url)} is being written by another imr-etl{by}; "
                                        f"try again when it finishes, or pass --wait SECONDS")
                time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))
            yield
        finally:
            conn.close()  # ends the session: the server releases the lock
    finally:
        engine.dispose()


# --------------------------------------------------------------- migrations

def alembic_config(url: str, connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Alembic autogenerate's type comparison: duckdb-engine reflects DOUBLE
    as FLOAT, which is not a change; anything else the default decides."""
    from sqlalchemy import Float

    if isinstance(inspected_type, Float) and isinstance(metadata_type, Float):
        return False
    return None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the warehouse to ``revision`` and (re)create the curated views
    (only at the latest revision: they read its tables)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(_url(engine), conn), revision)
        if revision in ("head", head_revision()):
            create_views(conn)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade to ``revision`` (``base`` empties the warehouse)."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(_url(engine), conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            return None


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


# -------------------------------------------------------------------- views

@dataclass(frozen=True)
class View:
    name: str
    description: str  # the file's first comment line
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


_VIEW_FILE = re.compile(r"^(\d+)_(\w+)\.sql$")


@cache
def views() -> tuple[View, ...]:
    """The curated views of ``sql/``, in the order they must be created."""
    found = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        match = _VIEW_FILE.match(path.name)
        if not match:
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        found.append(View(match.group(2), first.removeprefix("--").strip(), path))
    return tuple(found)


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


def comments(view: View) -> list[str]:
    """``COMMENT ON`` statements giving the view and each column its file's
    description (the same syntax on DuckDB and PostgreSQL), so that
    ``inspect().get_columns()`` and BI tools show them."""
    description, grain, columns = view_header(view.sql)
    about = f"{description} Grain: {grain}" if grain else description
    out = [f'COMMENT ON VIEW "{view.name}" IS {_literal(about)}']
    out += [f'COMMENT ON COLUMN "{view.name}"."{column}" IS {_literal(text)}' for column, text in columns.items()]
    return out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_views(conn: Connection) -> None:
    """Create or replace the shared functions (``sql/<dialect>/functions.sql``:
    DuckDB macros or PostgreSQL functions), then every curated view (they
    depend on each other in file order)."""
    from imr_etl import dialect

    for statement in dialect.statements(dialect.functions_file(dialect.name(conn))):
        dialect.run(conn, statement)
    for view in views():
        dialect.create_view(conn, view.name, view.sql)
        for statement in comments(view):
            dialect.run(conn, statement)
