"""The warehouse: where it is, opening it, migrating it, its curated views.

* Location: ``--db`` (a path or an SQLAlchemy URL), else ``$IMR_ETL_DB``,
  else ``warehouse/imr.duckdb`` under the current directory.
* Schema: Alembic migrations in ``migrations/`` (shipped inside the package as
  ``imr_etl/migrations``), tables defined in :mod:`imr_etl.schema`.
* Views: ``sql/NN_name.sql``, one view per file, applied in file-name order
  after every migration and load.
* Exclusion: a writer holds an advisory lock on ``<db>.lock`` for the whole
  run; a second writer waits or stops with :class:`WarehouseBusy`.
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
from sqlalchemy.exc import DBAPIError

PACKAGE = Path(__file__).parent
MIGRATIONS = PACKAGE / "migrations"  # -> ../migrations
SQL_DIR = PACKAGE / "sql"  # -> ../sql
DEFAULT_DB = Path("warehouse") / "imr.duckdb"
ENV_VAR = "IMR_ETL_DB"


class WarehouseError(Exception):
    """A problem with the warehouse itself, told in one line."""


class WarehouseBusy(WarehouseError):
    """Another process is writing to (or holding open) the warehouse."""


# ------------------------------------------------------------------ location

def resolve_url(db: str | os.PathLike | None = None) -> str:
    """The SQLAlchemy URL for ``--db``, ``$IMR_ETL_DB`` or the default file."""
    db = str(db or os.environ.get(ENV_VAR) or DEFAULT_DB)
    if "://" in db:
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


def describe(url: str) -> str:
    """How to name the warehouse to a user: its path, relative when it is near."""
    path = database_path(url)
    if path is None:
        return make_url(url).render_as_string(hide_password=True)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


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
    return WarehouseError(f"{where}: {message}")


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
    connect_args = {"read_only": True} if read_only and path is not None else {}
    engine = create_engine(url, connect_args=connect_args)
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
    """Hold the warehouse's writer lock (``<db>.lock``, an advisory ``flock``).

    The kernel releases it when the process ends, however it ends, so a killed
    load never leaves a stale lock.  Waits up to ``wait`` seconds for another
    holder, then raises :class:`WarehouseBusy`.
    """
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


FUNCTIONS = SQL_DIR / "functions.sql"  # macros the views share, created first


def create_views(conn: Connection) -> None:
    """Create or replace the shared functions, then every curated view (they
    depend on each other in file order)."""
    for statement in FUNCTIONS.read_text(encoding="utf-8").split(";"):
        if "CREATE" in statement:  # not the blank after the last ';'
            conn.exec_driver_sql(statement)
    for view in views():
        conn.exec_driver_sql(view.sql)
