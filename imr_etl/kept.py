"""Stage 5d: the grammar's output of each letter, kept beside the warehouse.

A load keeps what the grammar made of each letter it parsed (its
:class:`~imr_etl.transform.Letter`, compressed by :func:`imr_etl.transform.keep`:
~2 KB a letter) in a SQLite file beside a DuckDB warehouse,
``<warehouse>.parses``, under the file's sha256 and the grammar key
(:func:`imr_etl.lineage.grammar_key`).  A later load that re-derives the
letter for another parser whose grammar key is the same — a release that
changed a vocabulary the record's stage reads, a classifier or the rows —
makes the record from it, without the normalizer and the grammar (2.3 × less
work a letter: benchmarks/README.md).

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
# The file's layout; a file of another (an older imr-etl's) is emptied and
# laid out anew.  An entry's sha256 is kept as its 32 bytes and its grammar
# key as a number: as text, the two took a tenth of the file.
FORMAT = 1
_SCHEMA = f"""
CREATE TABLE grammar_key (
    key_id INTEGER PRIMARY KEY,
    grammar_key TEXT NOT NULL UNIQUE    -- lineage.grammar_key of the parser that made the entries
);
CREATE TABLE kept_parse (
    sha256 BLOB NOT NULL,               -- the letter file's bytes' digest
    key_id INTEGER NOT NULL REFERENCES grammar_key,
    letter BLOB NOT NULL,               -- transform.keep of its Letter
    UNIQUE (sha256, key_id)
);
PRAGMA user_version = {FORMAT};
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
        self.key_ids: dict[str, int] = {}
        try:
            self.conn = sqlite3.connect(path, timeout=1.0, isolation_level=None)
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # (a new file's; before WAL, which fixes it)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # a cache: a power cut may lose the last batches
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                if self.conn.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
                    self._lay_out()
                self._keep_only(set(keys))
        except sqlite3.Error as error:
            self._failed(error)

    def _lay_out(self) -> None:
        """Empty the file (it is new, or an older layout's) and lay it out."""
        tables = [name for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in tables:
            self.conn.execute(f'DROP TABLE "{name}"')
        for statement in filter(str.strip, _SCHEMA.split(";")):
            self.conn.execute(statement)

    def _keep_only(self, keys: set[str]) -> None:
        """Drop the entries of any other grammar key, and number ``keys``."""
        held = dict(self.conn.execute("SELECT grammar_key, key_id FROM grammar_key"))
        if held and not keys & held.keys():
            # A new grammar's first load: dropping the tables frees their pages
            # at once, where deleting a million entries one by one takes a while.
            self._lay_out()
            held = {}
        for key in sorted(set(held) - keys):
            self.conn.execute("DELETE FROM kept_parse WHERE key_id = ?", (held[key],))
            self.conn.execute("DELETE FROM grammar_key WHERE key_id = ?", (held[key],))
        for key in sorted(keys - set(held)):
            self.conn.execute("INSERT INTO grammar_key (grammar_key) VALUES (?)", (key,))
        self.key_ids = {key: key_id for key, key_id in self.conn.execute("SELECT grammar_key, key_id FROM grammar_key")}

    def _failed(self, error: Exception) -> None:
        log.warning("%s: kept parses not used (%s); letters are parsed in full. "
                    "Delete the file to start it again.", self.path, error)
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def get(self, key: str, shas: Iterable[str]) -> dict[str, bytes]:
        """sha256 → the letter kept under ``key``, for those of ``shas`` kept."""
        digests = sorted({bytes.fromhex(sha) for sha in shas})
        if self.conn is None or key not in self.key_ids:
            return {}
        found: dict[str, bytes] = {}
        try:
            for start in range(0, len(digests), _CHUNK):
                part = digests[start : start + _CHUNK]
                found.update((digest.hex(), letter) for digest, letter in self.conn.execute(
                    "SELECT sha256, letter FROM kept_parse WHERE key_id = ? "
                    f"AND sha256 IN ({', '.join('?' * len(part))})", [self.key_ids[key], *part]))
        except sqlite3.Error as error:
            self._failed(error)
            return {}
        return found

    def put(self, entries: Iterable[tuple[str, str, bytes]]) -> None:
        """Keep (sha256, grammar key, letter) entries, replacing any under the
        same key; an entry under a key this load does not parse by is not kept."""
        if self.conn is None:
            return
        rows = [(bytes.fromhex(sha), self.key_ids[key], letter) for sha, key, letter in entries if key in self.key_ids]
        if not rows:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.executemany("INSERT OR REPLACE INTO kept_parse VALUES (?, ?, ?)", rows)
        except sqlite3.Error as error:
            self._failed(error)

    def forget(self, shas: Iterable[str]) -> None:
        """Drop what is kept of files no letter has any more (replaced)."""
        digests = sorted({bytes.fromhex(sha) for sha in shas})
        if not digests or self.conn is None:
            return
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.executemany("DELETE FROM kept_parse WHERE sha256 = ?", [(d,) for d in digests])
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
        self.key_ids = {}


def open_beside(database: Path | None, keys: Iterable[str]) -> KeptParses:
    """The kept parses beside a DuckDB file (none for another warehouse)."""
    if database is None:
        return NoKeptParses()
    return KeptParses(path_beside(database), keys)
