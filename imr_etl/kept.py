"""Stage 5d: the grammar's output of each letter, kept beside the warehouse.

A load keeps what the grammar made of each letter it parsed (its
:class:`~imr_etl.transform.Letter`, compressed by :func:`imr_etl.transform.keep`:
~2 KB a letter) in a SQLite file beside a DuckDB warehouse,
``<warehouse>.parses``, under the file's sha256 and the grammar key
(:func:`imr_etl.lineage.grammar_key`).  A later load that re-derives the
letter for another parser whose grammar key is the same — a release that
changed a vocabulary the record's stage reads, a classifier or the rows —
makes the record from it, without the normalizer and the grammar (half a
letter's parse: benchmarks/README.md).

It is a cache, not part of the warehouse: only the loader reads it, an entry
is a function of its key, and a missing, damaged or busy file only means the
letters are parsed again (the load logs why and goes on).  So it is written
in place, outside the warehouse's generations: copied with every write, it
would triple what a nightly load copies.  Entries of another grammar key are
dropped when a load first meets a new one; those of a file whose letter was
replaced, when it is.  PostgreSQL and in-memory warehouses keep no parses.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

SUFFIX = ".parses"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS kept_parse (
    sha256 TEXT NOT NULL,       -- the letter file's bytes
    grammar_key TEXT NOT NULL,  -- lineage.grammar_key of the parser that made it
    letter BLOB NOT NULL,       -- transform.keep of its Letter
    UNIQUE (sha256, grammar_key)
);
CREATE TABLE IF NOT EXISTS grammar_key (grammar_key TEXT PRIMARY KEY);  -- the keys kept_parse holds
"""
_CHUNK = 500  # values bound per statement (SQLite allows 32,766; a chunk of a triage is 2,048)
# An entry is ~2 KB: with SQLite's default 4 KB pages most pages held one, and
# the file was 2.9 KB a letter for 1.8 KB of entries; with 32 KB pages it is
# 2.2 KB, and a batch's insert costs 11 µs a letter instead of 27
# (benchmarks/README.md, issue 15, sixth part).
PAGE_SIZE = 32768


def path_beside(database: Path) -> Path:
    return database.with_name(database.name + SUFFIX)


class KeptParses:
    """The kept parses of one warehouse; every method gives up quietly (a
    warning, then nothing kept or found) when the file fails."""

    def __init__(self, path: Path, keys: Iterable[str]):
        """Open (or create) the file at ``path`` for a load whose grammar keys
        are ``keys``: entries under any other key are dropped."""
        self.path = path
        self.conn: sqlite3.Connection | None = None
        try:
            self.conn = sqlite3.connect(path, timeout=1.0, isolation_level=None)
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # (a new file's; before WAL, which fixes it)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # a cache: a power cut may lose the last batches
            self.conn.executescript(_SCHEMA)
            self._drop_other_keys(set(keys))
        except sqlite3.Error as error:
            self._failed(error)

    def _drop_other_keys(self, keys: set[str]) -> None:
        held = {key for (key,) in self.conn.execute("SELECT grammar_key FROM grammar_key")}
        stale = sorted(held - keys)
        if stale:
            marks = ", ".join("?" * len(stale))
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.execute(f"DELETE FROM kept_parse WHERE grammar_key IN ({marks})", stale)
                self.conn.execute(f"DELETE FROM grammar_key WHERE grammar_key IN ({marks})", stale)

    def _failed(self, error: Exception) -> None:
        log.warning("%s: kept parses not used (%s); letters are parsed in full. "
                    "Delete the file to start it again.", self.path, error)
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def get(self, key: str, shas: Iterable[str]) -> dict[str, bytes]:
        """sha256 → the letter kept under ``key``, for those of ``shas`` kept."""
        shas = sorted(set(shas))
        found: dict[str, bytes] = {}
        try:
            for start in range(0, len(shas) if self.conn else 0, _CHUNK):
                part = shas[start : start + _CHUNK]
                found.update(self.conn.execute(
                    "SELECT sha256, letter FROM kept_parse WHERE grammar_key = ? "
                    f"AND sha256 IN ({', '.join('?' * len(part))})", [key, *part]))
        except sqlite3.Error as error:
            self._failed(error)
            return {}
        return found

    def put(self, entries: Iterable[tuple[str, str, bytes]]) -> None:
        """Keep (sha256, grammar key, letter) entries, replacing any under the same key."""
        entries = list(entries)
        if not entries or self.conn is None:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.executemany("INSERT OR REPLACE INTO kept_parse VALUES (?, ?, ?)", entries)
                self.conn.executemany("INSERT OR IGNORE INTO grammar_key VALUES (?)",
                                      [(key,) for key in {key for _, key, _ in entries}])
        except sqlite3.Error as error:
            self._failed(error)

    def forget(self, shas: Iterable[str]) -> None:
        """Drop what is kept of files no letter has any more (replaced)."""
        shas = sorted(set(shas))
        if not shas or self.conn is None:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.executemany("DELETE FROM kept_parse WHERE sha256 = ?", [(sha,) for sha in shas])
        except sqlite3.Error as error:
            self._failed(error)

    def count(self) -> int:
        """Entries kept (0 when the file failed)."""
        try:
            return self.conn.execute("SELECT count(*) FROM kept_parse").fetchone()[0] if self.conn else 0
        except sqlite3.Error as error:
            self._failed(error)
            return 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class NoKeptParses(KeptParses):
    """What a load without kept parses uses: nothing found, nothing kept."""

    def __init__(self) -> None:
        self.path = Path()
        self.conn = None


def open_beside(database: Path | None, keys: Iterable[str]) -> KeptParses:
    """The kept parses beside a DuckDB file (none for another warehouse)."""
    if database is None:
        return NoKeptParses()
    return KeptParses(path_beside(database), keys)
