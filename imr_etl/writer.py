"""Stage 5c: the load run — the writer and its bookkeeping.  Letter files →
the warehouse, idempotently.

1. the letter files come from :mod:`imr_etl.discover`, as a stream;
2. triage by ``stat``, a chunk of files at a time: a file whose size and
   mtime are those ``etl_source_file`` recorded when a load by the running
   parser last read it is *unchanged* and skipped unread; one last read by
   another parser (:mod:`imr_etl.lineage`) is read again — a PDF with the
   text kept for it — to be re-derived, from the grammar's output kept for it
   (:mod:`imr_etl.kept`) when the grammar is the same (``--force`` re-reads,
   re-extracts, re-parses and rewrites everything);
3. :mod:`imr_etl.workers` read, hash, extract and parse the rest in worker
   processes and return :mod:`imr_etl.outcomes`: a file whose bytes hash as
   last read by the running parser is unchanged and not parsed;
4. the main process writes a batch of letters set-wise, all of a batch in one
   transaction; a letter whose content is already loaded (a copy under
   another name) is unchanged; a letter already in the warehouse under the
   same identity (case number, else source path) has its rows replaced when
   its bytes or its rows (``record_sha256``) differ, and the kept aggregates
   (:mod:`imr_etl.aggregates`) lose the old letter's share and gain the new
   one's in the same transaction.  If a batch fails to write, its letters are
   retried one transaction each, so each letter — its rows and its
   ``etl_source_file`` row — is written all-or-nothing and only the bad one
   is quarantined;
5. letters that cannot be read, parsed or written go to ``etl_quarantine``
   with their reason, position and raw text; the others still load.  A
   quarantined file is tried again by the next run;
6. ``etl_load_run`` records the run: started ``running``, ended
   ``succeeded`` / ``failed``; a run found ``running`` by the next one died
   mid-way and is marked ``aborted``.  It counts the decisions the DWC's
   taxonomy leaves Unclassified, and records the parser's fingerprint: a run
   by a release whose fingerprint differs first re-maps the conformed
   dimensions (:mod:`imr_etl.conformed`), and one that rewrote letters drops
   the dimension rows no letter names any more.

The writer holds the warehouse's lock (:func:`imr_etl.warehouse.lock`) for the
whole run, so two loads never interleave, and writes a DuckDB file as a new
generation it publishes at the end (:mod:`imr_etl.generations`).  Only the
main process touches the database; workers get paths and return rows.
"""
from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy import Connection, Table

from imr_etl import (__version__, aggregates, conformed, dialect, generations, kept, lineage, rows, schema, warehouse,
                     workers)
from imr_etl.discover import DEFAULT_PATHS, iter_files
from imr_etl.errors import one_line
from imr_etl.letters import file_format
from imr_etl.outcomes import FileState, Outcome, Parsed, Quarantined, Unchanged, encode
from imr_etl.workers import Task, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 2048  # letters written per transaction
STAT_CHUNK = 2048  # files stat'ed and looked up in etl_source_file at a time
# A fault-injection point for the crash tests (tests/test_crash.py): seconds a
# load waits inside each batch's transaction, its rows written, before the
# commit, so a test can kill it there without racing the clock.  Unset: none.
PAUSE_BEFORE_COMMIT_VAR = "IMR_ETL_TEST_PAUSE_BEFORE_COMMIT"
# DuckDB's memory during a load: left alone it caches every block it writes
# (up to 80% of RAM), so the writer grew with the corpus.  The indexes of the
# tables with a declared key must stay in memory — since revision 0008 only
# small tables (runs, quarantine, dates, body regions, drugs, documents) have
# one; everything else is a cache, whose size is MEMORY_BASE: with 128 MiB
# the writer still grew by 90 MiB from a 20k to a 100k load as the cache
# filled, with 64 MiB by 32 MiB, and at the same speed (benchmarks/README.md).
MEMORY_BASE = 64 * 2**20
MEMORY_PER_ROW = 64  # bytes per row of a keyed table: 1.5 × the ~42 bytes of an index DuckDB counts
# Keys of each dimension a load remembers having written, so a batch sends
# only the rows of keys it has not seen lately (the warehouse's anti-join
# decides the others): between RECENT_KEYS and twice as many.
RECENT_KEYS = 1 << 13


@dataclass
class Summary:
    db: str
    run_id: int | None = None
    seen: int = 0
    new: int = 0
    updated: int = 0
    rederived: int = 0  # unchanged files whose letters the running parser derives other rows for
    unchanged: int = 0
    quarantined: int = 0
    decisions: int = 0
    unclassified: int = 0  # of the decisions written, those the DWC's taxonomy leaves 'Unclassified'
    seconds: float = 0.0
    skipped: int = 0  # PDFs not read: a text file of the same name beside them is loaded instead
    pending: int = 0  # letters read and parsed, waiting for their batch to be written
    from_kept_parses: int = 0  # letters re-derived (or found the same) from the grammar's output kept for them


    @property
    def done(self) -> int:
        """Letters settled so far: new, updated, re-derived, unchanged or quarantined."""
        return self.new + self.updated + self.rederived + self.unchanged + self.quarantined

    def line(self) -> str:
        return (f"{self.db}: {self.seen} letters seen, {self.new} new, {self.updated} updated, "
                f"{self.rederived} re-derived, {self.unchanged} unchanged, {self.quarantined} quarantined; "
                f"{self.decisions} decisions written, {self.unclassified} Unclassified; {self.seconds:.1f} s")


# ------------------------------------------------------------------ writing

def _in(column: str, sql_type: str) -> str:
    return f"{column} IN (SELECT unnest(?::{sql_type}[]))"


def _unique_runs(letters: list[Parsed]) -> Iterator[list[Parsed]]:
    """Consecutive runs of letters with distinct identities (a later version of
    a letter in the same batch is written after the earlier one)."""
    run: list[Parsed] = []
    keys: set[int] = set()
    for letter in letters:
        if letter.letter_key in keys:
            yield run
            run, keys = [], set()
        run.append(letter)
        keys.add(letter.letter_key)
    if run:
        yield run


_UPSERT_DOCUMENTS = "ON CONFLICT (guideline_id) DO UPDATE SET " + ", ".join(
    f"{c.name} = excluded.{c.name}" for c in schema.dim_guideline_document.columns if not c.primary_key)
# Rows written with a dimension's new keys only: a reviewer profile's specialties.
_WITH_DIMENSION = {schema.dim_reviewer.name: schema.bridge_reviewer_specialty}


def _new_keys(dimension: Table) -> str:
    """The clause that keeps the incoming rows (``new``) whose key no row of
    ``dimension`` has: the dimensions' keys are not all declared (revision
    0008), so the insert itself keeps them unique."""
    key = schema.key_columns(dimension)[0]
    return f'WHERE NOT EXISTS (SELECT 1 FROM {dimension.name} AS d WHERE d."{key}" = new."{key}")'


class RecentKeys:
    """Keys a load wrote lately, in two generations of up to ``size`` each, so
    those still in use outlive a turnover; memory stays bounded however many
    a warehouse holds."""

    def __init__(self, size: int):
        self.size = size
        self.current: set[int] = set()
        self.previous: set[int] = set()

    def __contains__(self, key: int) -> bool:
        return key in self.current or key in self.previous

    def unseen(self, keys: Iterable[int]) -> set[int]:
        """Those of ``keys`` not written lately (set operations, not a call
        of ``in`` per key: a dimension row of every letter asks)."""
        return set(keys) - self.current - self.previous

    def update(self, keys: Iterable[int]) -> None:
        self.current.update(keys)
        if len(self.current) >= self.size:
            self.previous, self.current = self.current, set()


class Loader:
    """Triages, parses and writes the letters of one load run; only it uses
    the connection."""

    def __init__(self, conn: Connection, summary: Summary, run_id: int, folder: Path, *,
                 force: bool = False, jobs: int = 1, batch_size: int = BATCH_SIZE,
                 on_quarantine: Callable[[Quarantined], None] | None = None,
                 progress: Callable[[Summary], None] | None = None,
                 hooks: workers.Hooks = workers.DEFAULT_HOOKS, kept_parses: kept.KeptParses | None = None):
        self.conn = conn
        self.summary = summary
        self.run_id = run_id
        self.folder = folder  # for the CSV files of each batch
        self.force = force
        self.jobs = max(1, jobs)
        self.batch_size = batch_size
        self.on_quarantine = on_quarantine or (lambda q: None)
        self.progress = progress or (lambda s: None)
        self.hooks = hooks
        self.kept_parses = kept_parses or kept.NoKeptParses()
        self.pause_before_commit = float(os.environ.get(PAUSE_BEFORE_COMMIT_VAR) or 0)
        self.fingerprint = lineage.fingerprint()
        self.merging = False  # whether DuckDB merges row groups again (row_group_merges)
        # a batch sends a dimension only the rows of keys it has not written lately
        self.recent_keys = {table.name: RecentKeys(RECENT_KEYS) for table in schema.DIMENSIONS}
        with conn.begin():  # when nothing is quarantined, skip deleting from etl_quarantine
            self.any_quarantined = bool(conn.exec_driver_sql(
                "SELECT EXISTS (SELECT 1 FROM etl_quarantine)").scalar())
            # the documents as named now: a batch writes only those it names better (rows.first_document)
            documents = schema.dim_guideline_document
            self.documents: dict[str, tuple] = {r[0]: tuple(r) for r in conn.exec_driver_sql(
                f"SELECT {', '.join(c.name for c in documents.columns)} FROM {documents.name}")}

    def run(self, files: Iterable[str]) -> None:
        tasks = workers.chunks(self._triage(files), self.hooks.task_size)
        batch: list[Outcome] = []
        draining = False  # the outcome just taken is from a pool sent its last task

        def drain() -> None:
            nonlocal draining
            draining = True

        with closing(workers.parse_stream(tasks, self.run_id, jobs=self.jobs, force=self.force, hooks=self.hooks,
                                          on_draining=drain)) as outcomes, _collected_between_batches():
            for outcome in outcomes:
                batch.extend(outcome)
                # While a pool finishes the tasks it holds (the run's last, or its
                # share before a new pool takes over), the batch is written as
                # soon as it is worth a transaction (a quarter batch): left for
                # later, it was written with the workers idle.
                flush, draining = draining, False
                if len(batch) >= self.batch_size or (flush and len(batch) >= self.batch_size // 4):
                    self.load_batch(batch)
                    batch = []
                    gc.collect()
                self.summary.pending = len(batch)
                self.progress(self.summary)
            if batch:
                self.load_batch(batch)
                self.summary.pending = 0

    def prune(self) -> None:
        """After letters were rewritten: drop the dimension rows and kept PDF
        texts no letter names any more (a clean load would not have them)."""
        if not (self.summary.updated or self.summary.rederived):
            return
        with self.conn.begin():
            conformed.prune(self.conn)
            self.conn.exec_driver_sql("DELETE FROM etl_pdf_text WHERE sha256 NOT IN (SELECT sha256 FROM dim_letter)")

    # ---- stat triage
    def _triage(self, files: Iterable[str]) -> Iterator[Task]:
        """The files to read; those whose size and mtime are as last read by
        the running parser are counted unchanged, unread.  A PDF last read by
        another parser gets its kept text, to be re-derived without PDFium."""
        for chunk in workers.chunks(files, STAT_CHUNK):
            self.summary.seen += len(chunk)
            stats: list[tuple[str, int, int]] = []
            failed: list[Quarantined] = []
            for path in chunk:
                try:
                    stat = os.stat(path)
                except OSError as error:
                    failed.append(Quarantined(path, "", "read", f"cannot read: {error.strerror or error}"))
                    continue
                stats.append((path, stat.st_size, stat.st_mtime_ns))
            self._quarantine(failed)
            known = self._file_states([path for path, _, _ in stats]) if stats and not self.force else {}
            unchanged: list[str] = []
            tasks: list[Task] = []
            for path, size, mtime_ns in stats:
                last = known.get(path)
                if last is None:
                    tasks.append(Task(path))
                    continue
                fresh = last[3] == self.fingerprint
                if fresh and last[0] == size and last[1] == mtime_ns:
                    unchanged.append(path)
                else:
                    tasks.append(Task(path, last[2], fresh))
            yield from self._with_kept_parses(self._with_pdf_texts(tasks))
            if unchanged:
                self.summary.unchanged += len(unchanged)
                if self.any_quarantined:  # the file is as loaded: older failures of it are moot
                    with self.conn.begin():
                        self._forget_quarantined(unchanged)
                self.progress(self.summary)

    def _file_states(self, paths: list[str]) -> dict[str, tuple[int | None, int | None, str, str | None]]:
        """path → (size, mtime_ns, sha256, parser_fingerprint) as last read."""
        # The range lets DuckDB skip row groups by their min/max: files are found,
        # and so recorded, in path order, so a chunk's rows sit in a row group or
        # two whatever the table's size.
        with self.conn.begin():
            found = dialect.execute(self.conn,
                "SELECT source_path, size_bytes, mtime_ns, sha256, parser_fingerprint FROM etl_source_file "
                f"WHERE source_path BETWEEN ? AND ? AND {_in('source_path', 'VARCHAR')}",
                (min(paths), max(paths), paths))
            return {path: tuple(state) for path, *state in found}

    def _with_pdf_texts(self, tasks: list[Task]) -> list[Task]:
        """``tasks`` with the kept text of each PDF to be read again as it was
        (its extraction does not change with the parser)."""
        wanted = {t.last_sha for t in tasks if t.last_sha and file_format(t.path) == "pdf"}
        if not wanted:
            return tasks
        with self.conn.begin():
            kept = dict(dialect.execute(self.conn,
                f"SELECT sha256, text_zlib FROM etl_pdf_text WHERE extractor = ? AND {_in('sha256', 'VARCHAR')}",
                (lineage.extractor(), list(wanted))).fetchall())
        return [t._replace(pdf_text=kept.get(t.last_sha)) if t.last_sha in kept else t for t in tasks]

    def _with_kept_parses(self, tasks: list[Task]) -> list[Task]:
        """``tasks`` with the grammar's output kept for each letter to be
        re-derived (read before by another parser), where its grammar is this
        one's: only its record is made again."""
        keys = {t.path: lineage.grammar_key(file_format(t.path)) for t in tasks if t.last_sha and not t.fresh}
        wanted: dict[str, set[str]] = {}
        for t in tasks:
            if t.path in keys:
                wanted.setdefault(keys[t.path], set()).add(t.last_sha)
        found = {key: self.kept_parses.get(key, shas) for key, shas in wanted.items()}
        if not any(found.values()):
            return tasks
        return [t._replace(kept_parse=found[keys[t.path]].get(t.last_sha)) if t.path in keys else t for t in tasks]

    def _record_files(self, files: Sequence[FileState]) -> None:
        """Each file's state as just read, replacing the one it had (its key,
        the path, is not declared: deleting first keeps it unique)."""
        latest = {f.path: f for f in files}
        paths = list(latest)
        dialect.execute(self.conn, "DELETE FROM etl_source_file "  # the range: see _file_states
                        f"WHERE source_path BETWEEN ? AND ? AND {_in('source_path', 'VARCHAR')}",
                        (min(paths), max(paths), paths))
        lines = encode((f.path, f.size, f.mtime_ns, f.sha256, self.run_id, self.fingerprint) for f in latest.values())
        dialect.insert_csv(self.conn, schema.etl_source_file, (line for _, line in lines), self.folder)

    def _forget_quarantined(self, paths: Sequence[str]) -> None:
        dialect.execute(self.conn, f"DELETE FROM etl_quarantine WHERE {_in('source_path', 'VARCHAR')}",
                        (list(paths),))

    # ---- one batch of outcomes
    def load_batch(self, outcomes: Sequence[Outcome]) -> None:
        if self.hooks.on_batch is not None:
            self.hooks.on_batch(outcomes)
        unchanged = [o.file for o in outcomes if isinstance(o, Unchanged)]
        parsed = [o for o in outcomes if isinstance(o, Parsed)]
        quarantined = [o for o in outcomes if isinstance(o, Quarantined)]

        # content already loaded under another name is unchanged (that name's file
        # is the letter's).  A letter with a case number is found by its key when
        # written; only one identified by its path could be in the warehouse
        # twice, so only those are looked up.
        by_path = {p.file.sha256 for p in parsed if p.by_path}
        known = {} if self.force or not by_path else self._loaded(by_path)
        letters: list[Parsed] = []
        batch_shas: set[str] = set()
        for letter in parsed:
            sha = letter.file.sha256
            if known.get(sha, letter.letter_key) != letter.letter_key or sha in batch_shas:
                unchanged.append(letter.file)
            else:
                batch_shas.add(sha)
                letters.append(letter)

        if unchanged:
            self.summary.unchanged += len(unchanged)
            with self.conn.begin():
                self._record_files(unchanged)
                if self.any_quarantined:  # the file is fine as loaded: older failures of it are moot
                    self._forget_quarantined([f.path for f in unchanged])
        for run in _unique_runs(letters):
            quarantined.extend(self._write(run))
        self._quarantine(quarantined)
        self.kept_parses.put(p.kept_parse for p in parsed if p.kept_parse is not None)
        self.summary.from_kept_parses += sum(p.from_kept_parse for p in parsed)

    def _loaded(self, shas: set[str]) -> dict[str, int]:
        """sha256 → the key of the letter loaded with that content."""
        with self.conn.begin():
            found = dialect.execute(self.conn,
                f"SELECT sha256, letter_key FROM dim_letter WHERE {_in('sha256', 'VARCHAR')}", (list(shas),))
            return dict(found.fetchall())

    # ---- letters → tables
    def _write(self, letters: list[Parsed]) -> list[Quarantined]:
        """Write letters in one transaction; if that fails, each half in its
        own, down to single letters, quarantining those that still fail."""
        committed: list[Callable[[], None]] = []
        try:
            with self.conn.begin():
                counts = self._write_letters(letters, committed)
        except Exception as error:
            if len(letters) == 1:
                letter = letters[0]
                log.debug("%s: load failed", letter.file.path, exc_info=True)
                reason = f"load failed: {one_line(error)}"
                return [Quarantined(letter.file.path, letter.file.sha256, "load", reason, letter.data)]
            half = len(letters) // 2
            return self._write(letters[:half]) + self._write(letters[half:])
        for remember in committed:
            remember()
        new, updated, rederived, unchanged, decisions, unclassified = counts
        self.summary.new += new
        self.summary.updated += updated
        self.summary.rederived += rederived
        self.summary.unchanged += unchanged
        self.summary.decisions += decisions
        self.summary.unclassified += unclassified
        return []

    def _write_letters(self, letters: list[Parsed], committed: list[Callable[[], None]]) -> tuple[int, ...]:
        """Write letters (in the caller's transaction); ``committed`` receives
        what to remember of the dimension rows written (their keys), once the
        transaction commits."""
        conn = self.conn
        existing = {key: (sha, record) for key, sha, record in dialect.execute(conn,
            f"SELECT letter_key, sha256, record_sha256 FROM dim_letter WHERE {_in('letter_key', 'BIGINT')}",
            ([l.letter_key for l in letters],))}
        # rewritten: a new letter, new bytes, or the same bytes the running parser reads otherwise
        write = [l for l in letters if self.force or existing.get(l.letter_key) != (l.file.sha256, l.record_sha256)]
        replaced = [l.letter_key for l in write if l.letter_key in existing]
        # the files of replaced letters whose bytes changed: what is kept of them is no letter's now
        gone = {existing[l.letter_key][0] for l in write
                if l.letter_key in existing and existing[l.letter_key][0] != l.file.sha256}
        committed.append(lambda: self.kept_parses.forget(gone))
        rederived = sum(1 for l in write if not self.force and existing.get(l.letter_key, ("",))[0] == l.file.sha256)
        written = {id(l) for l in write}
        same = [l.letter_key for l in letters if id(l) not in written]  # rows as they are: only the lineage is new
        if same:
            dialect.execute(conn, "UPDATE dim_letter SET parser_fingerprint = ? "
                                  f"WHERE parser_fingerprint IS DISTINCT FROM ? AND {_in('letter_key', 'BIGINT')}",
                            (self.fingerprint, self.fingerprint, same))
        if replaced:
            if not self.merging:  # rows are deleted: DuckDB's checkpoints reclaim them as they merge
                row_group_merges(conn, on=True)
                self.merging = True
            # their share of the aggregates goes with their rows (the facts carry no
            # declared key: deleting first is what keeps them unique)
            dialect.run(conn, "DROP TABLE IF EXISTS replaced_letter")
            dialect.execute(conn, "CREATE TEMPORARY TABLE replaced_letter AS "
                                  "SELECT unnest(?::BIGINT[]) AS letter_key", (replaced,))
            mine = "(SELECT * FROM {} WHERE letter_key IN (SELECT letter_key FROM replaced_letter))"
            aggregates.apply(conn, mine.format("fact_citation"), mine.format("fact_decision"), -1)
            for table in ("fact_citation", "fact_decision", "fact_diagnosis", "dim_letter"):
                conn.exec_driver_sql(f"DELETE FROM {table} WHERE letter_key IN "
                                     "(SELECT letter_key FROM replaced_letter)")
            conn.exec_driver_sql("DROP TABLE replaced_letter")
        for table in schema.DIMENSIONS:
            recent = self.recent_keys[table.name]
            by_key = {key: line for l in write for key, line in l.lines.get(table.name, ())}
            unseen = recent.unseen(by_key)
            unique = {key: line for key, line in by_key.items() if key in unseen}
            if table.name in _WITH_DIMENSION:  # first: the dimension's rows not yet written tell which keys are new
                self._write_with_keys(_WITH_DIMENSION[table.name], table, write, unique.keys())
            dialect.insert_csv(conn, table, unique.values(), self.folder, _new_keys(table))
            committed.append(lambda keys=unique.keys(), recent=recent: recent.update(keys))
        renamed = self._write_documents(write, committed)
        for table in schema.LETTER_TABLES:
            joined = [l.joined[table.name] for l in write if table.name in l.joined]
            dialect.insert_csv(conn, table, joined, self.folder)
        self._add_shares(aggregates.add_up([l.guideline_share for l in write]))
        if renamed:
            aggregates.rename(conn)
        self._record_files([l.file for l in letters])
        self._keep_pdf_texts(letters)
        if self.any_quarantined:
            self._forget_quarantined([l.file.path for l in letters])
        if self.pause_before_commit:
            time.sleep(self.pause_before_commit)
        return (len(write) - len(replaced), len(replaced) - rederived, rederived, len(letters) - len(write),
                sum(l.decisions for l in write), sum(l.unclassified for l in write))

    def _keep_pdf_texts(self, letters: list[Parsed]) -> None:
        """Keep the text of the PDFs just extracted (etl_pdf_text)."""
        texts = {l.pdf_text[0]: l.pdf_text for l in letters if l.pdf_text is not None}
        if texts:  # replacing the text kept for the same bytes (its key is not declared: delete first)
            dialect.execute(self.conn, f"DELETE FROM etl_pdf_text WHERE {_in('sha256', 'VARCHAR')}", (list(texts),))
            dialect.insert_rows(self.conn, schema.etl_pdf_text, list(texts.values()))

    def _write_with_keys(self, table: Table, dimension: Table, letters: list[Parsed], keys: Iterable[int]) -> None:
        """``table``'s rows for those of the dimension ``keys`` that
        ``dimension`` lacks (so before its rows are written), each key's from
        the first letter that has them (every letter has all of them)."""
        found: dict[int, list[str]] = {}
        for letter in letters:
            mine: dict[int, list[str]] = {}
            for key, line in letter.lines.get(table.name, ()):
                mine.setdefault(key, []).append(line)
            for key, lines in mine.items():
                found.setdefault(key, lines)
        wanted = set(keys)
        dialect.insert_csv(self.conn, table, (line for key, lines in found.items() if key in wanted
                                              for line in lines), self.folder, _new_keys(dimension))

    def _write_documents(self, letters: list[Parsed], committed: list[Callable[[], None]]) -> bool:
        """Write the ``dim_guideline_document`` rows the letters name first
        (rows.first_document); True when a document already in the warehouse
        was renamed (the aggregate copies its names)."""
        candidates = [d for l in letters for d in l.documents if self.documents.get(d[0]) != d]
        if not candidates:
            return False
        known = [self.documents[d[0]] for d in candidates if d[0] in self.documents]
        changed = {i: d for i, d in rows.first_document([*known, *candidates]).items() if self.documents.get(i) != d}
        if not changed:
            return False
        dialect.insert_rows(self.conn, schema.dim_guideline_document, list(changed.values()), _UPSERT_DOCUMENTS)
        committed.append(lambda: self.documents.update(changed))
        return any(i in self.documents for i in changed)

    def _add_shares(self, share: list[tuple]) -> None:
        """Add the written letters' summed shares to agg_guideline_document."""
        if not share:
            return
        aggregates.new_delta(self.conn)
        dialect.insert_csv(self.conn, aggregates.DELTA, (line for _, line in encode(share)), self.folder)
        aggregates.merge(self.conn, 1)

    def _quarantine(self, quarantined: list[Quarantined]) -> None:
        if not quarantined:
            return
        when = utcnow()
        unique = {(q.source_path, q.sha256): q for q in quarantined}
        with self.conn.begin():
            dialect.execute(self.conn,
                "DELETE FROM etl_quarantine WHERE (source_path, sha256) IN "
                "(SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]))",
                ([p for p, _ in unique], [s for _, s in unique]))
            dialect.insert_rows(self.conn, schema.etl_quarantine, [q.row(self.run_id, when) for q in unique.values()])
        self.any_quarantined = True
        self.summary.quarantined += len(quarantined)
        for q in quarantined:
            self.on_quarantine(q)


# ---------------------------------------------------------------- the run

def _start_run(conn: Connection, paths: Sequence[str], digest: str | None = None) -> int:
    with conn.begin():
        conn.exec_driver_sql(
            "UPDATE etl_load_run SET status = 'aborted', "
            "message = 'the process ended before the run finished' WHERE status = 'running'")
        run_id = conn.exec_driver_sql("SELECT coalesce(max(run_id), 0) + 1 FROM etl_load_run").scalar()
        dialect.insert_rows(conn, schema.etl_load_run, [rows.row(
            schema.etl_load_run, run_id=run_id, started_at=utcnow(), finished_at=None, status="running",
            paths="; ".join(paths), letters_seen=0, letters_new=0, letters_updated=0, letters_unchanged=0,
            letters_quarantined=0, decisions_written=0, seconds=None, imr_etl_version=__version__,
            message=None, decisions_unclassified=0, vocabulary_sha256=digest, letters_rederived=0)])
    return run_id


def _finish_run(conn: Connection, summary: Summary, status: str, message: str | None = None) -> None:
    if conn.in_transaction():
        conn.rollback()
    with conn.begin():
        dialect.execute(conn,
            "UPDATE etl_load_run SET finished_at = ?, status = ?, letters_seen = ?, letters_new = ?, "
            "letters_updated = ?, letters_rederived = ?, letters_unchanged = ?, letters_quarantined = ?, "
            "decisions_written = ?, decisions_unclassified = ?, seconds = ?, message = ? WHERE run_id = ?",
            (utcnow(), status, summary.seen, summary.new, summary.updated, summary.rederived, summary.unchanged,
             summary.quarantined, summary.decisions, summary.unclassified, summary.seconds, message,
             summary.run_id))


def keyed_rows(conn: Connection) -> int:
    """Rows of the tables with a declared key, whose indexes DuckDB keeps in memory."""
    keyed = [t.name for t in schema.metadata.sorted_tables if t.primary_key.columns]
    with conn.begin():
        return conn.exec_driver_sql(
            "SELECT " + " + ".join(f"(SELECT count(*) FROM {name})" for name in keyed)).scalar()


def cap_memory(conn: Connection) -> int | None:
    """Cap DuckDB's buffer memory for the run: a fixed working set plus room
    for the indexes it must keep, those of the small tables with a declared
    key, which a load barely grows.  The limit in bytes (None: PostgreSQL)."""
    if conn.dialect.name != "duckdb":
        return None
    limit = MEMORY_BASE + MEMORY_PER_ROW * keyed_rows(conn)
    with conn.begin():
        conn.exec_driver_sql(f"SET memory_limit = '{limit // 2**20}MiB'")
    return limit


def cap_threads(conn: Connection, jobs: int) -> int | None:
    """DuckDB's threads for the run: the cores the ``jobs`` parse workers
    leave, and the writer's own (one at least).  With workers, every core is
    busy parsing, and DuckDB's threads only took turns with them: at one
    thread a 20k load's writer spent 5.8 s of CPU instead of 6.3, the load as
    fast or faster, 600 letters into a million-letter warehouse as fast
    (benchmarks/README.md, issue 15's fifteenth part).  A load that parses
    in-process (``jobs`` 1) leaves DuckDB every core.  The number of threads
    (None: PostgreSQL)."""
    if conn.dialect.name != "duckdb":
        return None
    threads = max(1, default_jobs() - jobs + 1)
    with conn.begin():
        conn.exec_driver_sql(f"SET threads = {threads}")
    return threads


def row_group_merges(conn: Connection, on: bool) -> None:
    """Let DuckDB merge the tables' small row groups at its checkpoints, or not.

    A checkpoint writes the rows appended since the last one as row groups of
    their own, then (DuckDB's vacuum) merges neighbouring small ones,
    recompressing them.  A load appends a row group a table at each
    checkpoint, so every checkpoint rewrote the growing last row group of
    every table again: 7.5 s of a 100k cold load's 33 s in the writer, where
    the same rows unmerged cost 3.3 s, and 2.0 s more at its end with the
    workers done; a nightly load rewrote the last row group whole for a few
    hundred letters.  Unmerged, the file is smaller and the views read it as
    fast (benchmarks/README.md, issue 15's fourteenth part).  What merging
    is for is deleted rows, which it reclaims: a run that replaces letters
    turns it on (:meth:`Loader._write_letters`), and off again before its
    connection closes, whose checkpoint would merge with the workers done.
    (In the caller's transaction; a DuckDB without the setting is left as it is.)"""
    if conn.dialect.name != "duckdb":
        return
    if conn.exec_driver_sql("SELECT count(*) FROM duckdb_settings() WHERE name = 'max_vacuum_tasks'").scalar():
        conn.exec_driver_sql("RESET max_vacuum_tasks" if on else "SET max_vacuum_tasks = 0")


def default_jobs() -> int:
    return os.cpu_count() or 1


_FOLDER_PREFIX = "imr-etl-load-"  # then the loading process's pid: a batch folder's owner


def _remove_abandoned_folders() -> None:
    """Delete the batch folders of loads that were killed (their process is
    gone), which a ``finally`` could not delete."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_FOLDER_PREFIX}*-*"):
        pid = folder.name.removeprefix(_FOLDER_PREFIX).split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _kept_parses(url: str) -> kept.KeptParses:
    """The grammar's output kept beside a DuckDB file, for this parser's grammar."""
    return kept.open_beside(warehouse.database_path(url), {lineage.grammar_key("text"), lineage.grammar_key("pdf")})


@contextmanager
def _collected_between_batches() -> Iterator[None]:
    """Python's cyclic garbage collector run once each batch is written, not
    whenever allocations outnumber deallocations by its threshold: the
    outcomes unpickled from the workers outlive the young generations, and
    its collections took a fifth of the main process's CPU in a 20k load
    (benchmarks/README.md).  What is alive as the run starts (modules, the
    schema, SQLAlchemy's caches) lives as long as it: frozen, no collection
    walks it — unless the calling program froze objects of its own, which
    unfreezing ours would unfreeze too."""
    enabled, ours = gc.isenabled(), gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if ours:
            gc.unfreeze()
        if enabled:
            gc.enable()


def load(paths: Sequence[str | Path] = (), db: str | None = None, *, force: bool = False,
         wait: float = 0.0, batch_size: int = BATCH_SIZE, jobs: int | None = None,
         on_quarantine: Callable[[Quarantined], None] | None = None,
         progress: Callable[[Summary], None] | None = None,
         hooks: workers.Hooks = workers.DEFAULT_HOOKS, keep_parses: bool = True) -> Summary:
    """Load letter files (default: the bundled samples) into the warehouse.

    ``jobs`` worker processes read and parse (default: one per core; 1 parses
    in-process).  The workers come from a multiprocessing fork server, which
    imports the caller's main module: a script that calls this with more than
    one job must guard its entry point with ``if __name__ == "__main__":``.
    ``progress`` is called with the summary so far as letters are parsed and
    written.  With ``keep_parses`` (the default) the grammar's output of each
    letter is kept beside a DuckDB file, and a re-derivation starts from it
    (:mod:`imr_etl.kept`); without, neither.  ``hooks`` are the sizes and functions the run reads, parses and
    batches letters with (:class:`imr_etl.workers.Hooks`, for tests; the
    command line always uses the defaults).  Raises
    :class:`imr_etl.warehouse.WarehouseError` (one-line message) when the
    warehouse cannot be opened or is busy; a letter's problems never raise.
    """
    start = time.monotonic()
    paths = list(paths) or list(DEFAULT_PATHS)
    url = warehouse.resolve_url(db)
    summary = Summary(warehouse.describe(url))

    def skip(path: str) -> None:
        summary.skipped += 1

    jobs = jobs or default_jobs()
    workers.start_early(jobs, iter_files(paths), hooks)
    # a new generation of a DuckDB file, published when the run ends: readers never block it
    with generations.open_writer(url, wait) as engine:
        warehouse.migrate(engine)
        with engine.connect() as conn:
            cap_memory(conn)
            cap_threads(conn, jobs)
            with conn.begin():
                row_group_merges(conn, on=False)  # until the run replaces a letter
            digest = lineage.fingerprint()
            with conn.begin():  # a new release's vocabularies: the dimensions' mappings first
                if conformed.last_digest(conn) != digest:
                    conformed.remap(conn)
            summary.run_id = _start_run(conn, [str(p) for p in paths], digest)
            with conn.begin():  # the whole body-region vocabulary, labels as the vocabulary has them now
                dialect.insert_rows(conn, schema.dim_body_region, rows.body_region_rows(),
                       "ON CONFLICT (body_region_key) DO UPDATE SET label = excluded.label, region_group = excluded.region_group")
            _remove_abandoned_folders()
            folder = Path(tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-"))
            kept_parses = _kept_parses(url) if keep_parses else kept.NoKeptParses()
            try:
                loader = Loader(conn, summary, summary.run_id, folder, force=force,
                                jobs=jobs, batch_size=batch_size,
                                on_quarantine=on_quarantine, progress=progress, hooks=hooks,
                                kept_parses=kept_parses)
                loader.run(iter_files(paths, skip))
                loader.prune()
            except BaseException as error:
                summary.seconds = time.monotonic() - start
                try:
                    _finish_run(conn, summary, "failed", f"{type(error).__name__}: {error}")
                except Exception:  # the warehouse itself failed: the next run marks this one aborted
                    log.debug("could not record the failed run", exc_info=True)
                raise
            finally:
                kept_parses.close()
                shutil.rmtree(folder, ignore_errors=True)
            summary.seconds = time.monotonic() - start
            _finish_run(conn, summary, "succeeded")
            with conn.begin():
                row_group_merges(conn, on=False)
    return summary
