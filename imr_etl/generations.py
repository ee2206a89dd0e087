"""Readers never block the writer; the writer never breaks readers.

DuckDB lets one process write a database file, and a process that has it
open — even read-only, as a BI tool's connection pool keeps it — holds a lock
the writer cannot take.  So a write (a load, a migration) never opens the
published file for writing.  It writes a **new generation**:

1. copy the published file to ``<db>.next`` (beside it: same file system);
2. write the copy, as any DuckDB file is written;
3. checkpoint it (no write-ahead log left) and rename it over the published
   path — one ``rename(2)``, atomic.

Readers open the published path read-only, as before: nothing new for a BI
tool to learn.  A connection opened before the swap keeps reading the
generation it opened (its file stays on disk, unnamed, until it closes), so
it never sees a half-written state and never an error; a connection opened
after sees the new generation.  The cost is a copy of the file per write
(benchmarks/README.md) and, while old readers stay open, the disk space of
the generations they hold.

A write killed mid-way leaves its copy and a note of the generation it was
copied from (``<db>.next.base``): the next write goes on from that copy when
the published file is still that generation — a killed backfill keeps what
it wrote — and otherwise starts from a fresh copy.

PostgreSQL (MVCC) and ``:memory:`` databases are written in place.
``IMR_ETL_IN_PLACE=1`` writes a DuckDB file in place too (no copy; readers
then block the writer, as with DuckDB itself).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from imr_etl.warehouse import WarehouseBusy, WarehouseError, database_path, describe, resolve_url

log = logging.getLogger(__name__)

IN_PLACE_VAR = "IMR_ETL_IN_PLACE"


def work_path(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def _note_path(path: Path) -> Path:
    return path.with_name(path.name + ".next.base")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _identity(path: Path) -> dict | None:
    """What tells one generation of the published file from another."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    wal = _wal(path)
    return {"inode": stat.st_ino, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "wal_size": wal.stat().st_size if wal.exists() else None}


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """Copy a file, sharing its blocks where the file system can (a reflink
    on btrfs or XFS: ``copy_file_range``), else byte by byte."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        try:
            remaining = os.fstat(src.fileno()).st_size
            while remaining > 0:
                copied = os.copy_file_range(src.fileno(), dst.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except OSError:  # not supported between these files: a plain copy
            src.seek(0)
            dst.seek(0)
            dst.truncate()
            shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def _refuse_other_writers(path: Path) -> None:
    """A process that opened the published file read-write (DuckDB takes an
    exclusive lock on it) would write to a generation the swap retires, and
    lose it: the write waits for it instead (a reader's shared lock is fine)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_UN)
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EAGAIN):
            raise
        raise WarehouseBusy(f"{describe(resolve_url(path))} is in use by another process that opened it for "
                            "writing; close it (readers: open it read-only) and retry") from None
    finally:
        os.close(fd)


def _start(path: Path) -> Path:
    """The work file for a new generation: a killed write's, when it was
    copied from the generation published now, else a fresh copy."""
    work, note = work_path(path), _note_path(path)
    _refuse_other_writers(path)
    current = _identity(path)
    try:
        if work.exists() and note.exists() and json.loads(note.read_text()) == {"base": current}:
            log.info("%s: going on from the copy a killed write left", describe(resolve_url(path)))
            return work
    except (OSError, ValueError):
        pass
    _remove(note, work, _wal(work))
    if current is not None:
        _copy(path, work)
        if _wal(path).exists():  # a write-ahead log an in-place writer left: part of the data
            _copy(_wal(path), _wal(work))
    tmp = note.with_name(note.name + ".tmp")
    tmp.write_text(json.dumps({"base": current}))
    os.replace(tmp, note)
    return work


def _checkpoint(work: Path) -> None:
    import duckdb

    with duckdb.connect(str(work)) as conn:
        conn.execute("CHECKPOINT")
    if _wal(work).exists():
        raise WarehouseError(f"{work}: the write-ahead log was not checkpointed; the generation is not published")


def publish(path: Path) -> None:
    """Swap the work file in as the published generation."""
    work = work_path(path)
    _checkpoint(work)
    with open(work, "rb") as file:
        os.fsync(file.fileno())
    # a log the old generation had is not the new one's: gone before the swap
    _remove(_wal(path))
    os.replace(work, path)
    _remove(_note_path(path))
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextmanager
def writing(url: str) -> Iterator[str]:
    """The URL to write a new generation of the warehouse at ``url``; the
    generation is published when the block ends, whether or not it raised
    (a failed load's run record and the letters it wrote are its result).  If
    publishing fails, the published file is as it was and the copy stays for
    the next write to go on from.  The caller holds the writer's lock
    (:func:`imr_etl.warehouse.lock`)."""
    path = database_path(url)
    if path is None or os.environ.get(IN_PLACE_VAR, "").lower() not in ("", "0", "false", "no"):
        yield url
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        work = _start(path)
    except OSError as error:
        raise WarehouseError(f"{describe(url)}: cannot write there: {error.strerror or error}") from None
    try:
        yield resolve_url(work)
    except BaseException:
        try:
            publish(path)
        except Exception:  # noqa: BLE001 - the first error is the one to tell
            log.debug("could not publish after a failed write", exc_info=True)
        raise
    try:
        publish(path)
    except OSError as error:
        raise WarehouseError(f"{describe(url)}: cannot publish the new generation: "
                             f"{error.strerror or error}") from None


@contextmanager
def open_writer(db: str | None = None, wait: float = 0.0) -> Iterator:
    """An engine to write the warehouse with: the writer's lock held (waiting
    up to ``wait`` seconds for another writer), on a new generation of a
    DuckDB file that is published when the block ends."""
    from imr_etl.warehouse import lock, open_engine

    url = resolve_url(db)
    with lock(url, wait), writing(url) as target, open_engine(target) as engine:
        yield engine
