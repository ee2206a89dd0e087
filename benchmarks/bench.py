"""`make bench`: how fast imr-etl loads, how much memory it takes, how cheap a
re-run and a nightly increment are, how fast the curated views answer.

Every load goes through the real command line (`imr-etl load … --quiet` in a
subprocess); the corpora come from `imr-etl synth`.  Each figure is the
median of several runs.  Sizes and repetitions come from the environment:

    BENCH=quick|full          presets (default full; quick takes a few minutes)
    BENCH_COLD=20000          letters of the first cold load
    BENCH_LARGE=100000        letters of the second cold load (0: skip)
    BENCH_WAREHOUSE=1000000   letters of the big warehouse (0: skip)
    BENCH_NEW=600             new letters loaded into the big warehouse
    BENCH_RUNS=3              runs of each measurement (the large load: BENCH_LARGE_RUNS)
    BENCH_JOBS=               --jobs for the loads (default: one per core)
    BENCH_PARSE=2000          letters for parse vs regex throughput
    BENCH_PG=                 a PostgreSQL server's URL (a role that may create databases):
                              also cold-load and re-run the BENCH_COLD corpus into a fresh
                              database there, against DuckDB's figures (unset: skip)
    BENCH_PDF_RUNS=5          runs of the PDF measurement (the 105 real PDFs; 0: skip)
    BENCH_PDF_REDERIVE=20000  PDFs (written from the corpus's first letters) to cold-load, then
                              re-derive after a vocabulary change (0: skip)

Re-derivation (issue 13): a copy of imr-etl whose drug vocabulary names a
class otherwise ("Muscle Relaxant" → "Skeletal Muscle Relaxant"), and on whose
path PDFium cannot be imported, loads a copy of the warehouse its letters were
loaded into: every letter is parsed again, those whose rows change are
rewritten, and a PDF's text comes from etl_pdf_text (a PDF it had to extract
would be quarantined).

Corpora and the big warehouse are cached under benchmarks/.cache (delete it to
start afresh).  The big warehouse is built from a cold load of the
BENCH_COLD corpus whose rows are then copied set-wise in SQL with fresh keys,
identities, paths and hashes until it holds BENCH_WAREHOUSE letters (parsing
a million letters would take the bench too long).

Results: a table on stdout and benchmarks/.cache/results.json.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
REAL = ROOT / "imr_etl" / "samples" / "real"
BIN = Path(sys.executable).parent
IMR_ETL = str(BIN / "imr-etl")
SEED, NEW_SEED = 1, 2

PRESETS = {
    "full": dict(COLD=20_000, LARGE=100_000, WAREHOUSE=1_000_000, NEW=600, RUNS=3, LARGE_RUNS=3, PARSE=2000,
                 PDF_RUNS=5, PDF_REDERIVE=20_000),
    "quick": dict(COLD=2_000, LARGE=5_000, WAREHOUSE=50_000, NEW=600, RUNS=2, LARGE_RUNS=1, PARSE=500,
                  PDF_RUNS=3, PDF_REDERIVE=1_000),
}
SUMMARY = re.compile(r": (\d+) letters seen, (\d+) new, (\d+) updated, (\d+) re-derived, (\d+) unchanged, "
                     r"(\d+) quarantined")


def settings() -> dict:
    preset = os.environ.get("BENCH", "full") or "full"
    if preset not in PRESETS:
        sys.exit(f"BENCH must be one of {', '.join(PRESETS)}")
    out = dict(PRESETS[preset], preset=preset)
    for name in ("COLD", "LARGE", "WAREHOUSE", "NEW", "RUNS", "LARGE_RUNS", "PARSE", "PDF_RUNS", "PDF_REDERIVE"):
        value = os.environ.get(f"BENCH_{name}")
        if value:
            out[name] = int(value.replace("_", "").replace(",", ""))
    out["JOBS"] = os.environ.get("BENCH_JOBS") or None
    out["PG"] = os.environ.get("BENCH_PG") or None
    return out


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ memory

class _Family:
    """A process and its descendants, found by each process's parent in
    ``/proc/PID/stat`` (this kernel has no ``/proc/PID/task/TID/children``).
    A pid's parent is read once: the first scan reads every process's, later
    ones only those of pids new since."""

    def __init__(self, pid: int):
        self.pid = pid
        self.parents: dict[int, int] = {}

    def pids(self) -> list[int]:
        alive = {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
        for pid in self.parents.keys() - alive:
            del self.parents[pid]
        for pid in alive - self.parents.keys():
            try:
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    self.parents[pid] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except OSError:
                continue
        tree: dict[int, list[int]] = {}
        for pid, parent in self.parents.items():
            tree.setdefault(parent, []).append(pid)
        family, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            family.append(pid)
            todo.extend(tree.get(pid, ()))
        return family


def _rss(pid: int) -> int:
    """RSS in bytes of one process, 0 when it is gone (``/proc/PID/statm``:
    the kernel's counters, read in microseconds)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE
    except OSError:
        return 0


PAGE = os.sysconf("SC_PAGE_SIZE")


def _pss(pid: int) -> int:
    """PSS in bytes of one process, 0 when it is gone.  (``smaps_rollup``
    walks the process's page tables: ~10 ms for a load's processes.)"""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next((int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        return 0


class PeakMemory:
    """Samples the summed RSS (and PSS) of a process and all its descendants.

    The sampler shares the machine with the load it measures, so it must
    cost little: RSS every ``every`` seconds from the kernel's counters, PSS
    (the page tables walked) every ``pss_every`` samples.  Read every 0.2 s,
    PSS cost the sampler 1.6 s of CPU in a 20k load — 4 % of the 2 cores the
    load was timed on (issue 15's fifteenth part, benchmarks/README.md)."""

    def __init__(self, pid: int, every: float = 0.2, pss_every: int = 10):
        self.pid, self.every, self.pss_every = pid, every, pss_every
        self.rss = self.pss = 0
        # the largest RSS of the process itself (the writer) and of any one
        # descendant (a worker, or the fork server)
        self.own = self.child = 0
        self.processes = 0
        self.family = _Family(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        samples = 0
        while not self._stop.is_set():
            family = self.family.pids()
            sizes = [_rss(pid) for pid in family]
            self.rss = max(self.rss, sum(sizes))
            self.own = max(self.own, sizes[0])
            self.child = max(self.child, *sizes[1:], 0)
            self.processes = max(self.processes, sum(1 for r in sizes if r))
            if samples % self.pss_every == 0:
                self.pss = max(self.pss, sum(_pss(pid) for pid in family))
            samples += 1
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -------------------------------------------------------------------- runs

def machine_cpu() -> tuple[float, float]:
    """The machine's CPU seconds so far, busy (user, nice, system, irq,
    softirq) and stolen by the hypervisor, from ``/proc/stat``'s first line."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq) / ticks, steal / ticks


def run_load(paths: list[Path], db: Path, jobs: str | None, env: dict | None = None,
             options: tuple[str, ...] = ()) -> dict:
    """One `imr-etl load --quiet [options]` in a subprocess: seconds, counts,
    peak memory, and the machine's CPU meanwhile (busy and stolen: the same
    load costs a third more CPU a letter in this machine's slow phases)."""
    command = [IMR_ETL, "load", *map(str, paths), "--db", str(db), "--quiet", *options]
    if jobs:
        command += ["--jobs", str(jobs)]
    busy, steal = machine_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env=env)
    memory = PeakMemory(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    busy, steal = (now - before for now, before in zip(machine_cpu(), (busy, steal)))
    memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}{stdout}")
    seen, new, updated, rederived, unchanged, quarantined = map(int, SUMMARY.search(stdout).groups())
    return dict(seconds=seconds, seen=seen, new=new, updated=updated, rederived=rederived, unchanged=unchanged,
                quarantined=quarantined, rate=seen / seconds, rss=memory.rss, pss=memory.pss,
                cpu_ms=1000 * busy / max(seen, 1), steal=steal,
                own_rss=memory.own, child_rss=memory.child,
                processes=memory.processes,
                # the largest single process of any child so far (Linux: KiB)
                children_maxrss=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def by_process(runs: list[dict]) -> str:
    """The peak memory of the writer and of its largest child, medians."""
    return (f"writer {median(runs, 'own_rss') / 2**20:,.0f}, "
            f"largest child {median(runs, 'child_rss') / 2**20:,.0f} MiB")


def corpus(n: int, seed: int = SEED) -> Path:
    """A cached synthetic corpus of n letters."""
    folder = CACHE / f"corpus-{n}-seed{seed}"
    manifest = folder / "manifest.jsonl"
    if manifest.exists() and sum(1 for _ in manifest.open()) == n:
        return folder
    say(f"imr-etl synth {n} {folder} --seed {seed}")
    if folder.exists():
        shutil.rmtree(folder)
    subprocess.run([IMR_ETL, "synth", str(n), str(folder), "--seed", str(seed), "--quiet"], check=True)
    return folder


def cold_paths(big: Path, n: int, total: int) -> list[Path]:
    """The first n letters of a cached corpus of ``total``: synth writes
    letter i to ``i // 1000`` so a prefix is whole subdirectories."""
    if n == total:
        return [big]
    if n % 1000 or total <= 1000:
        return [corpus(n)]
    return [big / f"{i:04d}" for i in range(n // 1000)]


def beside(db: Path) -> list[Path]:
    """A warehouse file's own files: its write-ahead log, and the parses a
    load keeps beside it (imr_etl.kept) with SQLite's."""
    parses = db.with_name(db.name + ".parses")
    return [db.with_name(db.name + ".wal"), parses, *(parses.with_name(parses.name + end) for end in ("-wal", "-shm"))]


def discard(db: Path) -> None:
    for path in (db, *beside(db)):
        path.unlink(missing_ok=True)


def copy_warehouse(source: Path, target: Path) -> None:
    """Copy a warehouse with what is kept beside it (a load keeps no WAL)."""
    discard(target)
    shutil.copy(source, target)
    for have, want in zip(beside(source), beside(target)):
        if have.exists():
            shutil.copy(have, want)


def move_warehouse(source: Path, target: Path) -> None:
    discard(target)
    for have, want in zip((source, *beside(source)), (target, *beside(target))):
        if have.exists():
            shutil.move(have, want)


def cold(paths: list[Path], runs: int, jobs: str | None, label: str, keep: Path | None = None) -> list[dict]:
    """``runs`` cold loads of ``paths``; the last one's warehouse moved to ``keep``."""
    return alternated_cold([(paths, runs, label, keep)], jobs)[0]


def alternated_cold(loads: list[tuple[list[Path], int, str, Path | None]], jobs: str | None) -> list[list[dict]]:
    """Cold loads of each (paths, runs, label, keep), the loads alternated run
    by run: each load's median then takes in the same phases of the machine
    as the others' (its CPU a letter moves by a third between them), and
    their ratio is the code's, not the hour's."""
    out: list[list[dict]] = [[] for _ in loads]
    for attempt in range(max(runs for _, runs, _, _ in loads)):
        for (paths, runs, label, keep), done in zip(loads, out):
            if attempt < runs:
                done.append(_cold_run(paths, jobs, f"{label} run {attempt + 1}",
                                      keep if attempt == runs - 1 else None))
    return out


def _cold_run(paths: list[Path], jobs: str | None, label: str, keep: Path | None) -> dict:
    db = Path(f"/tmp/imr-bench-{os.getpid()}.duckdb")
    discard(db)
    result = run_load(paths, db, jobs)
    say(f"{label}: {result['seen']} letters in {result['seconds']:.1f} s = "
        f"{result['rate']:.0f}/s, peak RSS {result['rss'] / 2**20:.0f} MiB "
        f"({result['quarantined']} quarantined); machine CPU {result['cpu_ms']:.2f} ms a letter, "
        f"{result['steal']:.1f} s stolen")
    if keep is not None:
        move_warehouse(db, keep)
    else:
        discard(db)
    return result


def _hide_password(url: str | None) -> str | None:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True) if url else None


def postgres(paths: list[Path], server: str, runs: int, jobs: str | None) -> tuple[list[dict], list[dict]]:
    """Cold loads, each into a new database on ``server``, each followed by a
    re-run; the databases are dropped."""
    from sqlalchemy import create_engine, make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    first, again = [], []
    for attempt in range(runs):
        name = f"imr_bench_{os.getpid()}_{attempt}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            first.append(run_load(paths, url, jobs))
            again.append(run_load(paths, url, jobs))
            say(f"PostgreSQL run {attempt + 1}: cold {first[-1]['seconds']:.1f} s = {first[-1]['rate']:.0f}/s, "
                f"re-run {again[-1]['seconds']:.2f} s")
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
    return first, again


# ---------------------------------------------------------- big warehouse

def big_warehouse(base_db: Path, letters: int) -> Path:
    """A warehouse of ``letters`` letters made by copying a loaded one's rows
    with fresh keys (cached)."""
    import duckdb

    from imr_etl import warehouse

    target = CACHE / f"warehouse-{letters}-rev{warehouse.head_revision()}.duckdb"
    if target.exists():
        return target
    say(f"building a {letters:,}-letter warehouse from {base_db.name}")
    started = time.perf_counter()
    shutil.copy(base_db, target.with_suffix(".tmp"))
    con = duckdb.connect(str(target.with_suffix(".tmp")))
    base = con.execute("SELECT count(*) FROM dim_letter").fetchone()[0]
    # copy k (1, 2, …) of base letter r (0 … base-1) is letter k * base + r: keep those below `letters`
    con.execute("CREATE TEMP TABLE ranked AS SELECT letter_key, source_path, "
                "row_number() OVER (ORDER BY letter_key) - 1 AS r FROM dim_letter")
    con.execute(f"CREATE TEMP TABLE copies AS SELECT letter_key, source_path, k.k FROM ranked, "
                f"range(1, {-(-letters // base)}) k(k) WHERE k.k * {base} + r < {letters}")
    fresh = {"letter_key": "(hash(t.letter_key, k) >> 1)::BIGINT",
             "decision_key": "(hash(t.decision_key, k) >> 1)::BIGINT",
             "letter_id": "t.letter_id || '~' || k", "case_number": "t.case_number || '~' || k",
             "source_path": "t.source_path || '~' || k", "sha256": "sha256(t.sha256 || '~' || k)"}
    for table, join in (("dim_letter", "USING (letter_key)"), ("fact_decision", "USING (letter_key)"),
                        ("fact_citation", "USING (letter_key)"), ("fact_diagnosis", "USING (letter_key)"),
                        ("etl_source_file", "USING (source_path)")):
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table]).fetchall()]
        select = ", ".join(fresh.get(c) or f"t.{c}" for c in columns)
        con.execute(f"INSERT INTO {table} SELECT {select} FROM {table} t JOIN copies {join}")
    # the aggregates a load keeps, recomputed for the copies (as `imr-etl check` does)
    from imr_etl import aggregates

    con.execute("DELETE FROM agg_guideline_document")
    con.execute(f"INSERT INTO agg_guideline_document ({aggregates.COLUMNS}) {aggregates.recomputed()}")
    con.execute("CHECKPOINT")
    con.close()
    target.with_suffix(".tmp").rename(target)
    say(f"built in {time.perf_counter() - started:.0f} s")
    return target


def nightly(big: Path, new: Path, runs: int, jobs: str | None) -> list[dict]:
    out = []
    for attempt in range(runs):
        db = Path(f"/tmp/imr-bench-big-{os.getpid()}.duckdb")
        copy_warehouse(big, db)
        result = run_load([new], db, jobs)
        say(f"{result['seen']} new letters into the big warehouse, run {attempt + 1}: {result['seconds']:.2f} s, "
            f"peak RSS {result['rss'] / 2**20:.0f} MiB")
        out.append(result)
        discard(db)
    return out


def new_release() -> dict[str, str]:
    """The environment that runs a copy of imr-etl with one vocabulary change
    and no PDFium (see the module's doc)."""
    root = CACHE / "release"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(ROOT / "imr_etl", root / "imr_etl", ignore=shutil.ignore_patterns("samples", "__pycache__"))
    drugs = root / "imr_etl" / "vocab" / "drugs.csv"
    drugs.write_text(drugs.read_text(encoding="utf-8").replace(",Muscle Relaxant,", ",Skeletal Muscle Relaxant,"),
                     encoding="utf-8")
    (root / "pypdfium2").mkdir()
    (root / "pypdfium2" / "__init__.py").write_text('raise ImportError("the new release must not run PDFium")\n')
    return {**os.environ, "PYTHONPATH": str(root)}


def rederive(paths: list[Path], loaded: Path, runs: int, jobs: str | None, label: str) -> list[dict]:
    """Load ``paths`` by the new release into copies of ``loaded`` (a
    warehouse the current release loaded them into)."""
    env, out = new_release(), []
    for attempt in range(runs):
        db = Path(f"/tmp/imr-bench-rederive-{os.getpid()}.duckdb")
        copy_warehouse(loaded, db)
        result = run_load(paths, db, jobs, env)
        say(f"{label} run {attempt + 1}: {result['seen']} letters in {result['seconds']:.1f} s = "
            f"{result['rate']:.0f}/s, {result['rederived']} re-derived, {result['quarantined']} quarantined")
        out.append(result)
        discard(db)
    return out


def pdf_corpus(base: Path, n: int) -> Path:
    """PDFs of the first ``n`` letters of a corpus (fpdf2, as the tests write
    them), cached."""
    from fpdf import FPDF

    from imr_etl.normalize import decode

    folder = CACHE / f"pdf-{n}"
    if folder.exists() and sum(1 for _ in folder.glob("*.pdf")) == n:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    say(f"writing {n:,} PDFs to {folder}")
    texts = sorted(base.rglob("*.txt"))[:n]
    for path in texts:
        pdf = FPDF(format="letter")
        pdf.set_font("Helvetica", size=10)
        pdf.add_page()
        # synth writes some letters in cp1252, as some extractions are; Helvetica is Latin-1
        for line in decode(path.read_bytes()).splitlines():
            pdf.multi_cell(0, 5, line.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
        (folder / f"{path.stem}.pdf").write_bytes(bytes(pdf.output()))
    return folder


def views(db: Path, runs: int) -> list[tuple[str, float, float, int]]:
    """Each curated view: median ms of count(*) and of a scan that computes
    every column of every row (hash of the whole row), and its row count."""
    import duckdb

    from imr_etl import warehouse

    con = duckdb.connect(str(db), read_only=True)
    out = []
    for view in warehouse.views():
        counts, scans = [], []
        rows = con.execute(f"SELECT count(*) FROM {view.name}").fetchone()[0]
        for _ in range(runs + 1):
            started = time.perf_counter()
            con.execute(f"SELECT count(*) FROM (SELECT * FROM {view.name})").fetchall()
            counts.append(time.perf_counter() - started)
            started = time.perf_counter()
            con.execute(f"SELECT count(*), max(hash(v)) FROM {view.name} v").fetchall()
            scans.append(time.perf_counter() - started)
        out.append((view.name, statistics.median(counts[1:]) * 1000, statistics.median(scans[1:]) * 1000, rows))
    con.close()
    return out


def parse_vs_regex(files: list, runs: int, passes: int = 1) -> dict:
    """Letters/s in one process: imr-etl's parse (read, decode, normalize,
    grammar, record) vs a plain regex scan of the same files (read, decode,
    find every decision line).  The two alternate run by run, so a change in
    the machine's load falls on both; each run is ``passes`` passes over the
    files, timed in CPU seconds of this process (one core)."""
    from imr_etl.letters import LetterParseError, parse_bytes

    decision = re.compile(r":\s*(Upheld|Overturned)\s*$", re.M)
    parse_bytes(Path(files[0]).read_bytes())  # build the grammar first

    def regex() -> None:
        for path in files:
            with open(path, "rb") as f:
                decision.findall(f.read().decode("utf-8", "replace"))

    def parse() -> None:
        for path in files:
            with open(path, "rb") as f:
                try:
                    parse_bytes(f.read(), str(path))
                except LetterParseError:
                    pass

    parse()  # the caches of the run's strings, as a long load's worker has them
    times: dict[str, list[float]] = {"regex": [], "parse": []}
    for _ in range(runs):
        for name, scan in (("regex", regex), ("parse", parse)):
            started = time.process_time()
            for _ in range(passes):
                scan()
            times[name].append(time.process_time() - started)
    rates = {name: passes * len(files) / statistics.median(taken) for name, taken in times.items()}
    rates["ratio"] = rates["parse"] / rates["regex"]
    return rates


def pdf_rates(runs: int) -> dict:
    """PDFs/s of CPU time in one process over the 105 real PDFs (bytes in
    memory): PDFium's text extraction alone, extraction and parse
    (``parse_bytes(…, "pdf")``), and the parse of the same letters' .txt for
    comparison.  The three alternate within each run; medians of ``runs``."""
    from imr_etl.letters import parse_bytes
    from imr_etl.pdftext import pdf_text

    real = ROOT / "imr_etl" / "samples" / "real"
    pdfs = [p.read_bytes() for p in sorted(real.glob("*.pdf"))]
    texts = [p.read_bytes() for p in sorted(real.glob("*.txt"))]
    parse_bytes(texts[0])  # build the grammar and load PDFium first
    pdf_text(pdfs[0])
    measures = {
        "extract": lambda: [pdf_text(data) for data in pdfs],
        "extract+parse": lambda: [parse_bytes(data, "", "pdf") for data in pdfs],
        "text parse": lambda: [parse_bytes(data) for data in texts],
    }
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            started = time.process_time()
            measure()
            times[name].append(time.process_time() - started)
    return {"files": len(pdfs), **{name: len(pdfs) / statistics.median(t) for name, t in times.items()}}


# ------------------------------------------------------------------- main

def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    import duckdb

    return (f"{os.cpu_count()} × {model}, {memory / 2**20:.0f} GiB RAM, Python {platform.python_version()} "
            f"({os.path.realpath(sys.executable)}), "
            f"DuckDB {duckdb.__version__}, load average {os.getloadavg()[0]:.2f} at start")


def main() -> None:
    config = settings()
    CACHE.mkdir(exist_ok=True)
    runs, jobs = config["RUNS"], config["JOBS"]
    rows: list[tuple[str, str, str]] = []  # measure, figure, target
    shown = dict(config, PG=_hide_password(config["PG"]))
    results: dict = {"date": datetime.now().isoformat(timespec="seconds"), "machine": machine(), "config": shown}
    say(f"bench {config['preset']}: {results['machine']}")

    total = max(config["COLD"], config["LARGE"])
    base = corpus(total)
    small = cold_paths(base, config["COLD"], total)
    kept = CACHE / f"cold-{config['COLD']}.duckdb"
    # The large load's runs alternate with the first's: the two rates' ratio is
    # the growth's cost, measured in the same phases of the machine.
    large_too = bool(config["LARGE"] and config["LARGE"] != config["COLD"])
    loads = [(small, runs, f"cold {config['COLD']:,}", kept)]
    if large_too:
        loads.append((cold_paths(base, config["LARGE"], total), config["LARGE_RUNS"], f"cold {config['LARGE']:,}", None))
    first, *larger = alternated_cold(loads, jobs)
    cold_rate = median(first, "rate")
    results["cold"] = first
    rows.append((f"cold load, {config['COLD']:,} letters", f"{cold_rate:,.0f} letters/s "
                 f"({median(first, 'seconds'):.1f} s, {median(first, 'quarantined'):.0f} quarantined; "
                 f"{median(first, 'cpu_ms'):.2f} ms CPU a letter)",
                 "≥ 1,000 letters/s"))
    rows.append((f"peak memory, {config['COLD']:,} letters", f"{median(first, 'rss') / 2**20:,.0f} MiB RSS "
                 f"({median(first, 'pss') / 2**20:,.0f} MiB PSS), {first[0]['processes']} processes; "
                 f"{by_process(first)}", "≤ 1 GiB"))

    if large_too:
        large = larger[0]
        results["large"] = large
        rows.append((f"cold load, {config['LARGE']:,} letters",
                     f"{median(large, 'rate'):,.0f} letters/s ({median(large, 'seconds'):.1f} s; "
                     f"{median(large, 'rate') / cold_rate:.2f} × the {config['COLD']:,} rate; "
                     f"{median(large, 'cpu_ms'):.2f} ms CPU a letter)",
                     "≥ 0.90 × that rate"))
        rows.append((f"peak memory, {config['LARGE']:,} letters",
                     f"{median(large, 'rss') / 2**20:,.0f} MiB RSS ({median(large, 'pss') / 2**20:,.0f} MiB PSS); "
                     f"{by_process(large)}",
                     "≤ 1 GiB, flat"))

    again = []
    for attempt in range(runs):
        again.append(run_load(small, kept, jobs))
        say(f"re-run {attempt + 1}: {again[-1]['seconds']:.2f} s = {again[-1]['rate']:,.0f}/s "
            f"({again[-1]['quarantined']} quarantined files retried)")
    results["rerun"] = again
    rows.append((f"re-run, unchanged {config['COLD']:,}", f"{median(again, 'rate'):,.0f} letters/s "
                 f"({median(again, 'seconds'):.2f} s; {median(again, 'rate') / cold_rate:.1f} × cold)",
                 "≥ 10 × cold"))

    redone = rederive(small, kept, runs, jobs, f"re-derive {config['COLD']:,}")
    results["rederive"] = redone
    rows.append((f"re-derive {config['COLD']:,} after a vocabulary change",
                 f"{median(redone, 'rate'):,.0f} letters/s ({median(redone, 'rederived'):,.0f} rewritten; "
                 f"{median(redone, 'rate') / cold_rate:.2f} × cold)", "≥ cold rate, ≥ 1,000 letters/s"))

    if config["PDF_REDERIVE"]:
        pdfs = [pdf_corpus(base, config["PDF_REDERIVE"])]
        pdf_db = CACHE / f"pdf-{config['PDF_REDERIVE']}.duckdb"
        pdf_cold = cold(pdfs, 1, jobs, f"PDF cold {config['PDF_REDERIVE']:,}", keep=pdf_db)
        import duckdb

        with duckdb.connect(str(pdf_db), read_only=True) as conn:
            texts, raw, stored = conn.execute("SELECT count(*), sum(text_bytes), sum(octet_length(text_zlib)) "
                                              "FROM etl_pdf_text").fetchone()
        pdf_redone = rederive(pdfs, pdf_db, runs, jobs, f"PDF re-derive {config['PDF_REDERIVE']:,}")
        results["pdf_rederive"] = {"cold": pdf_cold, "rederive": pdf_redone,
                                   "kept_texts": texts, "text_bytes": raw, "stored_bytes": stored}
        rows.append((f"PDF cold load, {config['PDF_REDERIVE']:,}", f"{median(pdf_cold, 'rate'):,.0f} letters/s",
                     "—"))
        rows.append((f"PDF re-derive {config['PDF_REDERIVE']:,} after a vocabulary change",
                     f"{median(pdf_redone, 'rate'):,.0f} letters/s ({median(pdf_redone, 'quarantined'):.0f} "
                     f"quarantined: PDFium not called; {median(pdf_redone, 'rate') / cold_rate:.2f} × text cold)",
                     "≥ text cold rate"))
        rows.append(("kept PDF text per letter", f"{stored / texts:,.0f} bytes zlib ({raw / texts:,.0f} of text, "
                     f"{raw / stored:.1f}×)", "—"))
        discard(pdf_db)

    if config["PG"]:
        pg_cold, pg_again = postgres(small, config["PG"], runs, jobs)
        results["postgresql"] = {"cold": pg_cold, "rerun": pg_again}
        rows.append((f"PostgreSQL cold load, {config['COLD']:,}", f"{median(pg_cold, 'rate'):,.0f} letters/s "
                     f"({median(pg_cold, 'rate') / cold_rate:.2f} × DuckDB's)", "same rate"))
        rows.append((f"PostgreSQL re-run, unchanged {config['COLD']:,}", f"{median(pg_again, 'rate'):,.0f} letters/s "
                     f"({median(pg_again, 'rate') / median(again, 'rate'):.2f} × DuckDB's)", "same rate"))

    if config["WAREHOUSE"]:
        big = big_warehouse(kept, config["WAREHOUSE"])
        new = corpus(config["NEW"], NEW_SEED)
        night = nightly(big, new, runs, jobs)
        results["nightly"] = night
        rows.append((f"{config['NEW']} new letters into {config['WAREHOUSE']:,}",
                     f"{median(night, 'seconds'):.2f} s (peak RSS {median(night, 'rss') / 2**20:,.0f} MiB)",
                     "≤ 10 s"))
        timed = views(big, max(runs, 3))
        results["views"] = timed
        for name, count_ms, scan_ms, n in timed:
            rows.append((f"view {name} ({n:,} rows)", f"{count_ms:,.0f} ms count(*), {scan_ms:,.0f} ms all columns",
                         "≤ 200 ms"))
    discard(kept)

    from imr_etl.discover import iter_files

    real = parse_vs_regex(sorted(REAL.glob("*.txt")), max(runs, 5), passes=5)
    results["parse_real"] = real
    rows.append((f"parse, 1 core ({len(list(REAL.glob('*.txt')))} real letters' text)",
                 f"{real['parse']:,.0f} letters/s, {real['parse'] / real['regex']:.3f} × the regex scan's "
                 f"{real['regex']:,.0f}/s (CPU time)", "≥ 1,500 letters/s"))
    if config["PARSE"]:  # (0 skips it, as every size)
        rates = parse_vs_regex([p for _, p in zip(range(config["PARSE"]), iter_files([base]))], runs)
        results["parse"] = rates
        rows.append(("parse vs regex scan, 1 core (synthetic)", f"{rates['parse']:,.0f} vs {rates['regex']:,.0f} "
                     f"letters/s = {rates['ratio']:.3f}", "≥ 0.25"))

    if config["PDF_RUNS"]:
        pdf = pdf_rates(config["PDF_RUNS"])
        results["pdf"] = pdf
        rows.append((f"PDF letters, 1 process ({pdf['files']} real PDFs)",
                     f"{pdf['extract']:,.0f} PDFs/s extract, {pdf['extract+parse']:,.0f} extract+parse "
                     f"(.txt parse {pdf['text parse']:,.0f}/s), CPU time", "≥ 100 PDFs/s extract"))

    results["children_maxrss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    (CACHE / "results.json").write_text(json.dumps(results, indent=1, default=str))
    width = [max(len(r[i]) for r in rows + [("measure", "median", "target")]) for i in range(3)]
    print(f"\nimr-etl bench ({config['preset']}), {results['date']}\n{results['machine']}\n")
    for row in [("measure", "median", "target"), tuple("-" * w for w in width), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, width)).rstrip())
    print(f"\nlargest single process of any load or synth (getrusage): {results['children_maxrss_mib']:,.0f} MiB")


if __name__ == "__main__":
    main()
