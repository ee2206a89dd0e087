"""Stage 5c: the load run.  Letter files → the warehouse, idempotently.

1. discover the letter files (``*.txt`` under directories, recursively);
2. read and hash each; a file whose sha256 is already loaded is *unchanged*
   and skipped without parsing (``--force`` re-parses everything);
3. parse the rest (:func:`prepare`: record → rows, a pure function);
4. write the letters of a batch set-wise, all of a batch in one transaction;
   a letter already in the warehouse under the same identity (case number,
   else source path) has its rows replaced.  If a batch fails to write, its
   letters are retried one transaction each, so each letter is written
   all-or-nothing and only the bad one is quarantined;
5. letters that cannot be read, parsed or written go to ``etl_quarantine``
   with their reason, position and raw text; the others still load;
6. ``etl_load_run`` records the run: started ``running``, ended
   ``succeeded`` / ``failed``; a run found ``running`` by the next one died
   mid-way and is marked ``aborted``.

The writer holds the warehouse's lock (:func:`imr_etl.warehouse.lock`) for the
whole run, so two loads never interleave.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy import Connection, Table

from imr_etl import __version__, rows, schema, warehouse
from imr_etl.letters import FORMATS, LetterParseError, parse_bytes
from imr_etl.normalize import decode

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).parent / "samples"
DEFAULT_PATHS = (SAMPLES / "seeds", SAMPLES / "real")
NOT_YET = {".pdf": "PDF"}  # letter formats we recognise but cannot read yet
BATCH_SIZE = 256


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------ results

@dataclass
class Quarantined:
    """A letter that could not be read, parsed or written, and why."""

    source_path: str
    sha256: str
    stage: str  # read, parse, load
    reason: str
    data: bytes = b""
    line: int | None = None
    column: int | None = None
    expected: tuple[str, ...] = ()

    def message(self) -> str:
        where = self.source_path
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.reason}"

    def row(self, run_id: int, when: datetime) -> tuple:
        try:
            text = decode(self.data)
        except Exception:  # noqa: BLE001 - the raw bytes are kept regardless
            text = self.data.decode("utf-8", "replace")
        return rows.row(schema.etl_quarantine, source_path=self.source_path, sha256=self.sha256,
                        run_id=run_id, quarantined_at=when, stage=self.stage, reason=self.reason,
                        line_number=self.line, column_number=self.column,
                        expected="; ".join(self.expected) or None, size_bytes=len(self.data),
                        raw_text=text.replace("\x00", "\ufffd"), raw_bytes=self.data)


@dataclass
class Summary:
    db: str
    run_id: int | None = None
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    decisions: int = 0
    seconds: float = 0.0
    skipped: list[Path] = field(default_factory=list)  # files in formats we cannot read yet

    def line(self) -> str:
        return (f"{self.db}: {self.seen} letters seen, {self.new} new, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.quarantined} quarantined; "
                f"{self.decisions} decisions written; {self.seconds:.1f} s")


# ---------------------------------------------------------------- discovery

def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """The letter files under ``paths`` (files as given, directories searched
    recursively for ``*.txt``), each once, in a stable order; and the files
    skipped because their format cannot be read yet (PDFs)."""
    found: dict[Path, None] = {}
    skipped: dict[Path, None] = {}
    for given in paths:
        given = Path(given)
        candidates = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for path in candidates:
            suffix = path.suffix.lower()
            if suffix in NOT_YET:
                skipped[path.resolve()] = None
            elif suffix in FORMATS or not given.is_dir():
                found[path.resolve()] = None
    return list(found), list(skipped)


# ------------------------------------------------------------------ parsing

def prepare(path: str, data: bytes, run_id: int, loaded_at: datetime) -> rows.LetterRows | Quarantined:
    """Parse one letter's bytes into its rows, or say why it cannot be loaded.

    Pure (no database): safe to run in a worker process.
    """
    sha = hashlib.sha256(data).hexdigest()
    try:
        record = parse_bytes(data, path, FORMATS.get(Path(path).suffix.lower(), "text"))
        return rows.letter_rows(record, run_id, loaded_at)
    except LetterParseError as error:
        return Quarantined(path, sha, "parse", error.reason, data, error.line, error.column, error.expected)
    except Exception as error:  # a bug of ours must not stop the run
        log.debug("%s: internal error", path, exc_info=True)
        return Quarantined(path, sha, "parse", f"internal error: {type(error).__name__}: {error}", data)


# ------------------------------------------------------------------ writing

def insert(conn: Connection, table: Table, table_rows: Sequence[tuple], on_conflict: str = "") -> None:
    """Insert ``table_rows`` (tuples in column order) in one statement: each
    column goes as one list parameter and DuckDB unnests them side by side."""
    if not table_rows:
        return
    columns = list(table.columns)
    names = ", ".join(f'"{c.name}"' for c in columns)
    values = ", ".join(f"unnest(?::{c.type.compile(dialect=conn.dialect)}[])" for c in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) SELECT {values} {on_conflict}',
                         tuple(list(column) for column in zip(*table_rows)))


def _in(column: str, sql_type: str) -> str:
    return f"{column} IN (SELECT unnest(?::{sql_type}[]))"


def _unique_runs(letters: list[rows.LetterRows]) -> Iterator[list[rows.LetterRows]]:
    """Consecutive runs of letters with distinct identities (a later version of
    a letter in the same batch is written after the earlier one)."""
    run: list[rows.LetterRows] = []
    keys: set[int] = set()
    for letter in letters:
        if letter.letter_key in keys:
            yield run
            run, keys = [], set()
        run.append(letter)
        keys.add(letter.letter_key)
    if run:
        yield run


class Loader:
    """Writes batches of letters for one load run on one connection."""

    def __init__(self, conn: Connection, summary: Summary, run_id: int, *, force: bool = False,
                 on_quarantine: Callable[[Quarantined], None] | None = None):
        self.conn = conn
        self.summary = summary
        self.run_id = run_id
        self.force = force
        self.on_quarantine = on_quarantine or (lambda q: None)

    # ---- one batch of files
    def load_batch(self, paths: Sequence[Path]) -> None:
        staged: list[tuple[str, bytes, str]] = []
        quarantined: list[Quarantined] = []
        for path in paths:
            self.summary.seen += 1
            try:
                data = path.read_bytes()
            except OSError as error:
                quarantined.append(Quarantined(str(path), "", "read", f"cannot read: {error.strerror or error}"))
                continue
            staged.append((str(path), data, hashlib.sha256(data).hexdigest()))

        known = set() if self.force else self._loaded({sha for _, _, sha in staged})
        letters: list[rows.LetterRows] = []
        unchanged_paths: list[str] = []
        batch_shas: set[str] = set()
        loaded_at = utcnow()
        for path, data, sha in staged:
            if sha in known or sha in batch_shas:
                self.summary.unchanged += 1
                unchanged_paths.append(path)
                continue
            batch_shas.add(sha)
            result = prepare(path, data, self.run_id, loaded_at)
            (quarantined if isinstance(result, Quarantined) else letters).append(result)

        if unchanged_paths:
            with self.conn.begin():  # the file is fine as loaded: older failures of it are moot
                self.conn.exec_driver_sql(f"DELETE FROM etl_quarantine WHERE {_in('source_path', 'VARCHAR')}",
                                          (unchanged_paths,))
        raw = {path: data for path, data, _ in staged}
        for run in _unique_runs(letters):
            quarantined.extend(self._write(run, raw))
        self._quarantine(quarantined)

    def _loaded(self, shas: set[str]) -> set[str]:
        if not shas:
            return set()
        with self.conn.begin():
            found = self.conn.exec_driver_sql(
                f"SELECT sha256 FROM dim_letter WHERE {_in('sha256', 'VARCHAR')}", (list(shas),))
            return {sha for (sha,) in found}

    # ---- letters → tables
    def _write(self, letters: list[rows.LetterRows], raw: dict[str, bytes]) -> list[Quarantined]:
        """Write letters in one transaction; if that fails, one transaction
        each, quarantining those that still fail."""
        try:
            with self.conn.begin():
                counts = self._write_letters(letters)
        except Exception as error:
            if len(letters) == 1:
                log.debug("%s: load failed", letters[0].source_path, exc_info=True)
                letter = letters[0]
                reason = f"load failed: {str(getattr(error, 'orig', error)).splitlines()[0]}"
                return [Quarantined(letter.source_path, letter.sha256, "load", reason,
                                    raw.get(letter.source_path, b""))]
            failed: list[Quarantined] = []
            for letter in letters:
                failed.extend(self._write([letter], raw))
            return failed
        new, updated, unchanged, decisions = counts
        self.summary.new += new
        self.summary.updated += updated
        self.summary.unchanged += unchanged
        self.summary.decisions += decisions
        return []

    def _write_letters(self, letters: list[rows.LetterRows]) -> tuple[int, int, int, int]:
        conn = self.conn
        existing = dict(conn.exec_driver_sql(
            f"SELECT letter_key, sha256 FROM dim_letter WHERE {_in('letter_key', 'BIGINT')}",
            ([l.letter_key for l in letters],)).fetchall())
        write = [l for l in letters if self.force or existing.get(l.letter_key) != l.sha256]
        replaced = [l.letter_key for l in write if l.letter_key in existing]
        if replaced:
            for table in ("fact_citation", "fact_decision", "dim_letter"):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE {_in('letter_key', 'BIGINT')}", (replaced,))
        for table in schema.DIMENSIONS:
            unique = {r[0]: r for l in write for r in l.tables.get(table.name, ())}
            insert(conn, table, list(unique.values()), "ON CONFLICT DO NOTHING")
        for table in schema.LETTER_TABLES:
            insert(conn, table, [r for l in write for r in l.tables.get(table.name, ())])
        conn.exec_driver_sql(f"DELETE FROM etl_quarantine WHERE {_in('source_path', 'VARCHAR')}",
                             ([l.source_path for l in letters],))
        return (len(write) - len(replaced), len(replaced), len(letters) - len(write),
                sum(l.decisions for l in write))

    def _quarantine(self, quarantined: list[Quarantined]) -> None:
        if not quarantined:
            return
        when = utcnow()
        unique = {(q.source_path, q.sha256): q for q in quarantined}
        with self.conn.begin():
            self.conn.exec_driver_sql(
                "DELETE FROM etl_quarantine WHERE (source_path, sha256) IN "
                "(SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]))",
                ([p for p, _ in unique], [s for _, s in unique]))
            insert(self.conn, schema.etl_quarantine, [q.row(self.run_id, when) for q in unique.values()])
        self.summary.quarantined += len(quarantined)
        for q in quarantined:
            self.on_quarantine(q)


# ---------------------------------------------------------------- the run

def _batches(items: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _start_run(conn: Connection, paths: Sequence[str]) -> int:
    with conn.begin():
        conn.exec_driver_sql(
            "UPDATE etl_load_run SET status = 'aborted', "
            "message = 'the process ended before the run finished' WHERE status = 'running'")
        run_id = conn.exec_driver_sql("SELECT coalesce(max(run_id), 0) + 1 FROM etl_load_run").scalar()
        insert(conn, schema.etl_load_run, [rows.row(
            schema.etl_load_run, run_id=run_id, started_at=utcnow(), finished_at=None, status="running",
            paths="; ".join(paths), letters_seen=0, letters_new=0, letters_updated=0, letters_unchanged=0,
            letters_quarantined=0, decisions_written=0, seconds=None, imr_etl_version=__version__,
            message=None)])
    return run_id


def _finish_run(conn: Connection, summary: Summary, status: str, message: str | None = None) -> None:
    if conn.in_transaction():
        conn.rollback()
    with conn.begin():
        conn.exec_driver_sql(
            "UPDATE etl_load_run SET finished_at = ?, status = ?, letters_seen = ?, letters_new = ?, "
            "letters_updated = ?, letters_unchanged = ?, letters_quarantined = ?, decisions_written = ?, "
            "seconds = ?, message = ? WHERE run_id = ?",
            (utcnow(), status, summary.seen, summary.new, summary.updated, summary.unchanged,
             summary.quarantined, summary.decisions, summary.seconds, message, summary.run_id))


def load(paths: Sequence[str | Path] = (), db: str | None = None, *, force: bool = False,
         wait: float = 0.0, batch_size: int = BATCH_SIZE,
         on_quarantine: Callable[[Quarantined], None] | None = None) -> Summary:
    """Load letter files (default: the bundled samples) into the warehouse.

    Raises :class:`imr_etl.warehouse.WarehouseError` (one-line message) when
    the warehouse cannot be opened or is busy; a letter's problems never raise.
    """
    start = time.monotonic()
    paths = list(paths) or list(DEFAULT_PATHS)
    url = warehouse.resolve_url(db)
    summary = Summary(warehouse.describe(url))
    files, summary.skipped = discover(paths)
    with warehouse.lock(url, wait), warehouse.open_engine(url) as engine:
        warehouse.migrate(engine)
        with engine.connect() as conn:
            summary.run_id = _start_run(conn, [str(p) for p in paths])
            with conn.begin():  # the whole body-region vocabulary, labels as the vocabulary has them now
                insert(conn, schema.dim_body_region, rows.body_region_rows(),
                       "ON CONFLICT DO UPDATE SET label = excluded.label, region_group = excluded.region_group")
            loader = Loader(conn, summary, summary.run_id, force=force, on_quarantine=on_quarantine)
            try:
                for batch in _batches(files, batch_size):
                    loader.load_batch(batch)
            except BaseException as error:
                summary.seconds = time.monotonic() - start
                try:
                    _finish_run(conn, summary, "failed", f"{type(error).__name__}: {error}")
                except Exception:  # the warehouse itself failed: the next run marks this one aborted
                    log.debug("could not record the failed run", exc_info=True)
                raise
            summary.seconds = time.monotonic() - start
            _finish_run(conn, summary, "succeeded")
    return summary
