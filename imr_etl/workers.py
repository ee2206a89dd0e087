"""Stage 5b: reading and parsing letter files in worker processes.

Workers get paths (with what the warehouse knows of each file: a
:class:`Task`) and return outcomes (:mod:`imr_etl.outcomes`): they read,
hash, extract a PDF's text (or take the text kept for it) and parse, and
never touch the database.  They fork from a fork server that preloaded the
parser (:func:`warm`), a few tasks in flight each, so memory stays flat;
results come back in task order.  A worker that dies (a PDF that crashes
PDFium, the OOM killer) loses no file: its tasks are parsed again one file
per process, and the file that kills its reader is quarantined.

What a load reads, parses and batches with is one :class:`Hooks` value,
today's by default: tests pass another to :func:`imr_etl.writer.load` instead
of patching this module.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence, TypeVar

from imr_etl import lineage, rows
from imr_etl.discover import SAMPLES
from imr_etl.errors import LetterParseError, ParseTimeout, one_line
from imr_etl.letters import derive, file_format, letter_text, parse_bytes, sha256
from imr_etl.outcomes import FileState, Outcome, Parsed, Quarantined, Unchanged

log = logging.getLogger(__name__)

# Tasks queued or running per worker: bounds memory (a task's outcomes are
# tens of kilobytes a letter).  The consumer stops taking outcomes, and so
# sending tasks, while it writes a batch (~0.5 s): with 4, the workers ran
# out of work then, and the machine idled 5.9 core-seconds of a 20k load;
# with 32 (about a second of work), 3.3; with 96, no less (benchmarks/README.md).
IN_FLIGHT = 32
# The defaults of :class:`Hooks`.
TASK_SIZE = 16  # letters per task sent to a worker
# Fewer letters than this to parse: parse in-process, start no workers.  The
# mutation runs (mutation/run.py) raise it through the environment, read once
# here, so that every load of the tests they run parses where mutmut sees it.
MIN_POOL_VAR = "IMR_ETL_TEST_MIN_POOL"
MIN_POOL = int(os.environ.get(MIN_POOL_VAR) or 64)
# Letters a pool's workers parse before fresh workers take over: a worker's
# caches are bounded, but as their entries churn Python's allocator keeps
# the pages they held, and a worker grew by ~20 MiB from a 20k to a 100k
# load.  A fresh pool forks from the warm fork server, but its caches start
# cold: a worker's first 4,096 letters cost ~10 % more each than its next.
# Every 8,192 letters cost 3 % of a load's time, every 16,384 half that;
# every 32,768 (two workers: ~16,000 letters each, where a worker parsing
# on alone grows ~1 MiB per 4,000) another 1-3 % less (benchmarks/README.md).
# (A new pool, not ProcessPoolExecutor's max_tasks_per_child: that can hang
# once a worker retires, from Python 3.11 to 3.13's fix, CPython gh-115634.)
POOL_LETTERS = 32768
RACY_NS = 2_000_000_000  # an mtime this close to the read is not trusted (the file may change within its tick)
# A letter parses in milliseconds; one that takes seconds is pathological
# input, and must not hold up a nightly load.
PARSE_SECONDS = 10.0

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Whether SIGALRM's handler is _expire for good: in a parse worker, which
# inherits it from the fork server (warm), whose letters run in its main thread.
_STANDING = False


def _expire(signum, frame):
    raise ParseTimeout


class time_budget:
    """Raise :class:`ParseTimeout` in this block after ``seconds`` (a SIGALRM
    timer: only in a process's main thread, where loads and workers run; a
    no-op elsewhere).  The handler is installed for the block and the one
    before put back after, except in a parse worker, where it stands for
    good (:func:`warm`): a letter's budget is then two timer calls, not
    those and two of ``signal.signal`` (9.2 µs a letter as a generator
    context manager, 3.0 standing: benchmarks/README.md, issue 15)."""

    __slots__ = ("seconds", "timed", "previous")

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self) -> None:
        self.timed = threading.current_thread() is threading.main_thread()
        self.previous = None  # (the handler to put back, in a tuple: it may be None)
        if self.timed:
            if not _STANDING:
                self.previous = (signal.signal(signal.SIGALRM, _expire),)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc) -> None:
        if self.timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.previous is not None:
                signal.signal(signal.SIGALRM, self.previous[0])


def prepare(path: str, data: bytes, run_id: int, loaded_at: datetime, text: bytes | None = None, *,
            seconds: float = PARSE_SECONDS, parse: Callable[..., tuple[dict, bytes | None]] = derive,
            kept_parse: bytes | None = None) -> rows.LetterRows | Quarantined:
    """Parse one letter's bytes into its rows, or say why it cannot be loaded.

    Pure (no database): safe to run in a worker process.  ``parse`` reads the
    text into a record within the letter's time budget, ``seconds``
    (:func:`imr_etl.letters.derive`: from the grammar's output kept for these
    bytes, ``kept_parse``, if given).  A PDF's
    text is extracted here, within that budget too, unless ``text`` gives it
    (as kept by an earlier load: ``etl_pdf_text``); a PDF without text (a
    scan, a password, a broken file) is quarantined at the read stage.  The
    rows of a PDF just extracted carry its text, and those of a letter just
    parsed the grammar's output, for the writer to keep.
    """
    sha = sha256(data)
    format = file_format(path)
    kept = text
    try:
        with time_budget(seconds):
            if text is None:
                try:
                    extracted = letter_text(data, path, format)
                except LetterParseError as error:
                    return Quarantined(path, sha, error.stage, error.reason, data)
                # what the quarantine shows as the text: the file's, or a PDF's extraction
                text = extracted if format == "pdf" else None
            else:
                extracted = text
            record, keep = parse(extracted, data, path, format, kept_parse)
        letter = rows.letter_rows(record, run_id, loaded_at)
        letter.kept_parse, letter.from_kept_parse = keep, kept_parse is not None and keep is None
        if format == "pdf" and kept is None:
            letter.text = extracted
        return letter
    except ParseTimeout as error:
        return Quarantined(path, sha, error.stage, f"took over {seconds:g} s to parse: not a letter "
                           "as the grammar knows it", data, text=text)
    except LetterParseError as error:
        return Quarantined(path, sha, error.stage, error.reason, data, error.line, error.column, error.expected,
                           text=text)
    except Exception as error:  # a bug of ours must not stop the run
        log.debug("%s: internal error", path, exc_info=True)
        return Quarantined(path, sha, "parse", one_line(error), data,
                           text=text)


def read(path: str, *, racy_ns: int = RACY_NS) -> tuple[bytes, FileState]:
    """A file's bytes and its state as read (stat'ed on the open file, before
    reading: if it changes after, its mtime moves and the next run reads it).
    An mtime less than ``racy_ns`` before the read is recorded as unknown."""
    # (By file descriptor: through a Python file object, 17.8 µs a letter instead of 13.1.)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        stat = os.fstat(fd)
        data = os.read(fd, stat.st_size + 1)
        while more := os.read(fd, 1 << 20):  # a short read, or a file that grew since its stat
            data += more
    finally:
        os.close(fd)
    trusted = time.time_ns() - stat.st_mtime_ns >= racy_ns
    return data, FileState(path, stat.st_size, stat.st_mtime_ns if trusted else None,
                           sha256(data))


class Task(NamedTuple):
    """A file to read, with what the warehouse knows of it."""

    path: str
    last_sha: str | None = None  # sha256 of its bytes when last read (None: never read)
    fresh: bool = False  # last read by the running parser: the same bytes again need no parse
    pdf_text: bytes | None = None  # a PDF's text kept for last_sha (etl_pdf_text), compressed
    kept_parse: bytes | None = None  # the grammar's output kept for last_sha (imr_etl.kept)


@dataclass(frozen=True)
class Hooks:
    """How a load reads, parses and batches letters: its sizes and the
    functions it calls, today's by default (:data:`DEFAULT_HOOKS`).

    Tests pass others to :func:`imr_etl.writer.load` (``hooks=``) to make a
    file unreadable, a letter slow to parse or unwritable, or workers start
    for a few letters; the command line does not expose them.  Workers fork
    from a fork server and get the hooks pickled with each task, so where a
    field is used decides what it may be:

    - ``task_size``, ``min_pool``, ``executor`` and ``on_batch`` are used in
      the main process only (the workers get the defaults): a closure will do;
    - ``racy_ns`` and ``parse_seconds`` travel with the tasks: they hold in
      the workers as in-process;
    - ``read``, ``parse`` and ``prepare`` run where the letters are parsed.  In
      workers they must pickle: module-level functions of a module the
      workers import (``functools.partial`` of one, too).  A lambda or a
      closure only makes sense when the load parses in-process: ``jobs=1``,
      or fewer letters to parse than ``min_pool``.
    """

    task_size: int = TASK_SIZE  # letters per task sent to a worker
    min_pool: int = MIN_POOL  # fewer letters than this to parse: in-process, no workers
    pool_letters: int = POOL_LETTERS  # letters a pool parses before a new pool goes on
    racy_ns: int = RACY_NS  # an mtime this close to the read is recorded as unknown
    parse_seconds: float = PARSE_SECONDS  # a letter's time budget
    # read(path, *, racy_ns) -> (bytes, FileState); raises OSError when it cannot
    read: Callable[..., tuple[bytes, FileState]] = read
    # parse(text, data, path, format, kept) -> (the record, the grammar's output to keep or None)
    # (imr_etl.letters.derive)
    parse: Callable[..., tuple[dict, bytes | None]] = derive
    # prepare(path, data, run_id, loaded_at, text, *, seconds, parse, kept_parse) -> LetterRows | Quarantined
    prepare: Callable[..., rows.LetterRows | Quarantined] = prepare
    # executor(jobs, mp_context=...) -> a pool of worker processes
    executor: Callable[..., Executor] = ProcessPoolExecutor
    # called with each batch of outcomes before the writer writes it
    on_batch: Callable[[Sequence[Outcome]], None] | None = None


DEFAULT_HOOKS = Hooks()


def process(task: Sequence[Task], run_id: int, loaded_at: datetime, force: bool = False,
            hooks: Hooks = DEFAULT_HOOKS) -> list[Outcome]:
    """Read, hash and parse a task's files in a worker or in-process.  No
    database."""
    out: list[Outcome] = []
    for path, last_sha, fresh, pdf_text, kept_parse in task:
        try:
            data, state = hooks.read(path, racy_ns=hooks.racy_ns)
        except OSError as error:
            out.append(_unreadable(path, error))
            continue
        if state.sha256 == last_sha and fresh and not force:
            out.append(Unchanged(state))
            continue
        same = state.sha256 == last_sha
        kept = lineage.decompress(pdf_text) if pdf_text is not None and same else None
        result = hooks.prepare(path, data, run_id, loaded_at, kept, seconds=hooks.parse_seconds,
                               parse=hooks.parse, kept_parse=kept_parse if same else None)
        if isinstance(result, Quarantined):
            out.append(result)
        else:
            kept_text = None if result.text is None else (
                state.sha256, lineage.extractor(), len(result.text), lineage.compress(result.text))
            out.append(Parsed.of(state, result, data, kept_text))
    return out


def warm() -> None:
    """Build the grammar and the vocabularies, take a letter to its rows and
    load PDFium (in the fork server, so every worker starts with them).  The
    rows need the parser's fingerprint, which reads the source of every module
    a letter passes through (~0.1 s), and the grammar's key its kept parse
    goes under: read here, they are read once a load, not once by each
    worker of each pool.  PDFium starts no threads, so the
    workers may fork from a process that loaded it."""
    try:
        import imr_etl.pdftext  # noqa: F401 - PDFium's library, loaded once
    except Exception:  # noqa: BLE001 - a worker that needs it reports the problem
        log.debug("PDFium is not available", exc_info=True)
    try:
        seed = next(iter(sorted((SAMPLES / "seeds").glob("*.txt"))))
        rows.letter_rows(parse_bytes(seed.read_bytes(), str(seed)), 0, utcnow())
        lineage.grammar_key("text"), lineage.grammar_key("pdf")  # what each parsed letter is kept under
    except Exception:  # noqa: BLE001 - only a head start; the workers report real problems
        log.debug("warm-up failed", exc_info=True)
    global _STANDING
    signal.signal(signal.SIGALRM, _expire)  # every worker's, for good (time_budget)
    _STANDING = True
    # What the fork server holds now, every worker holds for its life: frozen,
    # it is left out of their garbage collections (0.8 % of a worker's
    # instructions), which would also copy the pages they share with it.
    gc.freeze()


def _context() -> multiprocessing.context.BaseContext:
    """Workers fork from a fork server that preloaded (and warmed) the parser:
    no DuckDB threads are forked, and each worker starts ready."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["imr_etl._preload"])
    # The fork server is `python -c …`, which (before Python 3.13 passes it our
    # sys.path) puts the working directory first on its path: run from a
    # checkout of another imr-etl, the workers would parse with that one's code.
    saved = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = saved
    return context


def start_early(jobs: int, files: Iterable[str], hooks: Hooks = DEFAULT_HOOKS) -> None:
    """Start the fork server now, when the run will probably want workers
    (``jobs`` > 1 and at least ``hooks.min_pool`` files): its preload (the
    grammar, the vocabularies, PDFium: about a second) then runs on another
    core while the main process opens and migrates the warehouse, instead of
    the first worker waiting for it.  A run whose files all turn out
    unchanged has spent that second of another core for nothing."""
    if jobs > 1 and _workers_can_start() and sum(1 for _ in islice(files, hooks.min_pool)) >= hooks.min_pool:
        _context()


def _workers_can_start() -> bool:
    """Whether worker processes can import the main module, as multiprocessing
    makes them do: not when it came from stdin (``python - < script``)."""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    return main is None or os.path.exists(main)


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def parse_stream(tasks: Iterator[list[Task]], run_id: int, *, jobs: int, force: bool = False,
                 work: Callable[..., list[Outcome]] = process,
                 hooks: Hooks = DEFAULT_HOOKS,
                 on_draining: Callable[[], None] = lambda: None) -> Iterator[list[Outcome]]:
    """Each task's outcomes, in task order: in ``jobs`` worker processes, at
    most ``jobs * IN_FLIGHT`` tasks ahead of the consumer; in-process when
    ``jobs`` is 1 or there is too little to parse to be worth the workers
    (``hooks.min_pool``).  ``work`` is what a worker does with a task and the
    hooks (tests replace it).  ``on_draining`` is called before each outcome
    a pool of workers gives once it has been sent its last task (the last of
    all, or its share before a new pool takes over): its workers parse what
    they hold and no more, and idle once that is done."""
    head: list[list[Task]] = []
    if jobs > 1 and not _workers_can_start():
        log.warning("the main module %r cannot be imported by worker processes: parsing in-process",
                    getattr(sys.modules["__main__"], "__file__", None))
        jobs = 1
    if jobs > 1:
        letters = 0
        for task in tasks:
            head.append(task)
            letters += len(task)
            if letters >= hooks.min_pool:
                break
        else:
            jobs = 1
    if jobs <= 1:
        for task in _chain(head, tasks):
            yield work(task, run_id, utcnow(), force, hooks)
        return
    remaining = _chain(head, tasks)
    while True:
        lost, more = yield from _in_pool(remaining, run_id, jobs, force, work, hooks, on_draining)
        if lost:
            # A worker died (a PDF that crashes PDFium, the kernel's OOM killer):
            # the tasks it may have held are parsed again a file at a time by one
            # worker, so the file that kills its reader is quarantined and the
            # others load; then a new pool goes on.
            yield from _isolated(lost, run_id, force, work, hooks)
        elif not more:
            return


def _for_workers(hooks: Hooks) -> Hooks:
    """``hooks`` as sent to the workers: the main process's own set back to
    the defaults, since a test's executor or on_batch need not pickle."""
    return replace(hooks, executor=DEFAULT_HOOKS.executor, on_batch=DEFAULT_HOOKS.on_batch)


def _in_pool(tasks: Iterator[list[Task]], run_id: int, jobs: int, force: bool,
             work: Callable[..., list[Outcome]], hooks: Hooks, on_draining: Callable[[], None]):
    """Yield tasks' outcomes from one pool of workers, until the tasks run
    out or the pool has been sent ``hooks.pool_letters`` letters; return the
    tasks not done when a worker died (empty when all went well) and whether
    tasks may remain."""
    sent = _for_workers(hooks)
    letters, more = 0, False
    with hooks.executor(jobs, mp_context=_context()) as pool:
        # [task, its future]; a task goes in before its submit, which itself
        # fails once a worker has died, so no task is lost with the pool.
        pending: deque = deque()
        try:
            for task in tasks:
                pending.append([task, None])
                pending[-1][1] = pool.submit(work, task, run_id, utcnow(), force, sent)
                letters += len(task)
                if letters >= hooks.pool_letters:
                    more = True
                    break
                if len(pending) >= jobs * IN_FLIGHT:
                    yield pending[0][1].result()
                    pending.popleft()
            while pending:
                on_draining()
                yield pending[0][1].result()
                pending.popleft()
        except BrokenProcessPool:
            log.debug("a worker process died", exc_info=True)
            return [task for task, _ in pending], True
        except BaseException:
            for _, future in pending:
                if future:
                    future.cancel()
            raise
    return [], more


def _isolated(lost: list[list[Task]], run_id: int, force: bool,
              work: Callable[..., list[Outcome]], hooks: Hooks) -> Iterator[list[Outcome]]:
    """Each lost task's outcomes, its files parsed one at a time by a single
    worker: the file that kills it is quarantined and a new worker goes on
    with the next.  (A process per crash, not per file: 30 files in flight
    cost one pool's start, not 30.)"""
    sent = _for_workers(hooks)
    pool = None
    try:
        for task in lost:
            out: list[Outcome] = []
            for item in task:
                pool = pool or hooks.executor(1, mp_context=_context())
                try:
                    out.extend(pool.submit(work, [item], run_id, utcnow(), force, sent).result())
                except BrokenProcessPool:
                    out.append(_crashed(item[0], hooks))
                    pool.shutdown()
                    pool = None
            yield out
    finally:
        if pool is not None:
            pool.shutdown()


def _crashed(path: str, hooks: Hooks) -> Quarantined:
    """The file whose reading or parsing killed the process doing it."""
    reason = "its reader crashed: the process reading and parsing it died"
    try:
        data, state = hooks.read(path, racy_ns=hooks.racy_ns)
    except OSError as error:
        return _unreadable(path, error)
    return Quarantined(path, state.sha256, "read", reason, data)


def _unreadable(path: str, error: OSError) -> Quarantined:
    return Quarantined(path, "", "read", f"cannot read: {error.strerror or error}")


def _chain(head: list[T], rest: Iterator[T]) -> Iterator[T]:
    yield from head
    yield from rest
