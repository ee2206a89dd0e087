"""What the tests share: the sample letters, readings of them that do not go
through the parser, the warehouse's rows as a test compares them, hooks that
change how a load reads and parses, the command line in a subprocess, and
doubles for the vocabularies' mappings.
Fixtures are in conftest.py; test files import from here, never from each
other."""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Callable, NoReturn

import pytest

from imr_etl import classify, dialect, guidelines, rows, schema, warehouse, workers
from imr_etl.writer import load

# ---------------------------------------------------------- the sample letters

BACKENDS = ("duckdb", "postgresql")

SAMPLES = Path(__file__).resolve().parent.parent / "imr_etl" / "samples"


# One definition of "under CI" for every test: CI sets $CI (`.ci/run`: CI=true);
# any value but empty, 0 or false counts.
UNDER_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def missing(reason: str) -> NoReturn:
    """A test's real dependency is not here: skip it with the reason on a
    developer's machine, fail with it under CI (which must run every test)."""
    if UNDER_CI:
        pytest.fail(f"CI must run this test: {reason}", pytrace=False)
    pytest.skip(reason)


SEEDS = sorted((SAMPLES / "seeds").glob("*.txt"))


REAL = sorted((SAMPLES / "real").glob("*.txt"))


EXPECTED = Path(__file__).resolve().parent / "expected"


def paragraphs(text: str) -> list[str]:
    """A seed letter's paragraphs as a reader sees them: its lines with the
    extraction's blank lines dropped (each seed line is one wrapped line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def rewrap(text: str, width: int) -> str:
    """Re-lay a letter at another line width: join the physical lines of
    each paragraph-ish run and wrap again, the way another extractor would."""
    out = []
    for line in paragraphs(text):
        out.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""])
    return "\n".join(out) + "\n"


# The record's keys (docs/record.md), for comparing a record with what it should be.
HEADER_KEYS = ("case_number", "date_assigned", "injury_date", "decision_date", "ur_denial_date",
               "priority", "application_received", "other")


REVIEWER_KEYS = ("specialties", "subspecialties", "board_certified", "licensure_states")


PATIENT_KEYS = ("age", "sex", "injury_date")


ITEM_KEYS = ("ordinal", "service", "decision", "treatment_category", "treatment_subcategory",
             "quantity", "quantity_unit", "body_region", "body_region_source")


CITATION_KEYS = ("cited_by", "source", "document", "topic", "pages", "section")


def record_differences(where: str, expected: dict, record: dict) -> list[str]:
    """Where a parse record departs from what it should be — header, reviewer,
    patient, diagnoses, and each item with its citations — one line each."""
    problems = []
    for section, keys in (("header", HEADER_KEYS), ("reviewer", REVIEWER_KEYS), ("patient", PATIENT_KEYS)):
        for key in keys:
            want, got = expected[section][key], record[section].get(key)
            if want != got:
                problems.append(f"{where}: {section}.{key}: expected {want!r}, got {got!r}")
    if expected["diagnoses"] != record["diagnoses"]:
        problems.append(f"{where}: diagnoses: expected {expected['diagnoses']!r}, got {record['diagnoses']!r}")
    want_items, got_items = expected["items"], record["items"]
    if len(want_items) != len(got_items):
        problems.append(f"{where}: item count: expected {len(want_items)}, got {len(got_items)}: "
                        f"{[i.get('service') for i in got_items]!r}")
    for want, got in zip(want_items, got_items):
        item = f"{where}: item {want['ordinal']} ({want['service']!r})"
        for key in ITEM_KEYS:
            if want[key] != got.get(key):
                problems.append(f"{item} {key}: expected {want[key]!r}, got {got.get(key)!r}")
        problems += _citation_differences(item, want["citations"], got.get("citations") or [])
    return problems


def _citation_differences(where: str, want: list[dict], got: list[dict]) -> list[str]:
    problems = []
    if len(want) != len(got):
        problems.append(f"{where} citations: expected {len(want)}, got {len(got)}: "
                        f"{[(c.get('source'), c.get('document'), c.get('topic')) for c in got]!r}")
    for n, (w, g) in enumerate(zip(want, got), 1):
        for key in CITATION_KEYS:
            if w.get(key) != g.get(key):
                problems.append(f"{where} citation {n} {key}: expected {w.get(key)!r}, got {g.get(key)!r}")
    return problems


def writers_in_turn(url: str) -> list[str]:
    """What happens, in order, when a second writer (``--wait``) asks for the
    warehouse's writer lock that a first, in another thread, holds for half a
    second: the second must hold it only after the first lets it go.  (Told
    by the order of events, not by clocks, which a busy machine stretches.)"""
    import threading
    import time

    from imr_etl import warehouse

    held = threading.Event()
    events: list[str] = []

    def first():
        with warehouse.lock(url):
            held.set()
            time.sleep(0.5)
            events.append("first lets go")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait()
    with warehouse.lock(url, wait=60):
        events.append("second holds")
    thread.join()
    return events


# ------------------------------------- readings of the letters, not by the parser

DECISION_LINE = re.compile(r":\s*(Upheld|Overturned)\s*$", re.M)


TABLES = [t.name for t in schema.metadata.sorted_tables]


Z = 1.96


def decision_lines(path: Path) -> list[str]:
    """The decision words of a letter, read straight off its text: each item
    heading ends in ': Upheld' or ': Overturned'."""
    return DECISION_LINE.findall(path.read_text(encoding="utf-8", errors="replace"))


def wilson_by_quadratic(k: int, n: int) -> tuple[float, float]:
    """The Wilson interval as the two p with |k/n - p| = z*sqrt(p(1-p)/n):
    the roots of (1 + z²/n)p² - (2k/n + z²/n)p + (k/n)² = 0."""
    phat = k / n
    a, b, c = 1 + Z * Z / n, -(2 * phat + Z * Z / n), phat * phat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


SEED_TREATMENTS = {  # counted by hand in imr_etl/samples/seeds: (decisions, overturned)
    ("rehabilitation", "massage"): (4, 1),
    ("rehabilitation", "acupuncture"): (3, 1),
    ("rehabilitation", "chiropractic"): (2, 0),
    ("rehabilitation", "physical_modalities"): (1, 0),
    ("injections", "epidural"): (1, 1),
}


def break_letter(path: Path) -> tuple[int, str]:
    """Give a letter an unknown decision word; return its line and the new text."""
    text = path.read_text()
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.rstrip().endswith("Upheld"))
    broken = text.replace(lines[number - 1], lines[number - 1].replace("Upheld", "Modified"))
    path.write_text(broken)
    return number, broken


@cache
def hand_read_items() -> dict[str, list[dict]]:
    """The hand-read fixture tests/expected/dwc_items.csv, by letter_id."""
    by_letter = defaultdict(list)
    with open(EXPECTED / "dwc_items.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_letter[row["letter_id"]].append(row)
    return by_letter


def letter_id(path: Path, record: dict) -> str:
    return record["header"]["case_number"] or path.stem


# ------------------------------------------------------- the warehouse's rows

def query(db: str, sql: str, *params) -> list[tuple]:
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        return [tuple(r) for r in dialect.execute(conn, sql, params)]


def snapshot(db: str, ignore: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table but the logs of runs and of files read, less
    the ``ignore`` columns."""
    out = {}
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        for table in TABLES:
            if table in ("etl_load_run", "etl_source_file"):
                continue
            columns = [c.name for c in schema.metadata.tables[table].columns
                       if c.name not in ignore]
            names = ", ".join('"%s"' % c for c in columns)
            out[table] = sorted(map(tuple, conn.exec_driver_sql(f"SELECT {names} FROM {table}")), key=repr)
    return out


def declared_keys(db: str) -> dict[str, tuple[str, ...]]:
    """Table → the columns of its declared PRIMARY KEY, as the database has them."""
    found: dict[str, tuple[str, ...]] = {}
    for table, column in query(db,
            "SELECT tc.table_name, k.column_name FROM information_schema.table_constraints AS tc "
            "JOIN information_schema.key_column_usage AS k "
            "ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name "
            "AND k.table_schema = tc.table_schema "
            "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() "
            "AND tc.table_name <> 'alembic_version' ORDER BY tc.table_name, k.ordinal_position"):
        found[table] = (*found.get(table, ()), column)
    return found


# The tables that gain a row with (nearly) every new letter: revision 0008
# stopped declaring their keys on DuckDB (PostgreSQL keeps them).
GROWING = ("dim_letter", "etl_source_file", "etl_pdf_text", "dim_service", "dim_reviewer", "dim_guideline",
           "dim_condition")


def schema_keys(declared_only: bool) -> dict[str, tuple[str, ...]]:
    """Table → its key's columns by imr_etl.schema: the declared keys, or
    every table's key, declared or kept by the load."""
    return {t.name: tuple(schema.key_columns(t)) for t in schema.metadata.sorted_tables
            if schema.key_columns(t) and (t.primary_key.columns or not declared_only)}


# What may differ between two loads of the same letters: when and by which run.
VOLATILE = {"v_letters": ("load_run_id", "loaded_at"), "v_load_runs": None, "v_quarantine": ("run_id", "quarantined_at")}


class Warehouses:
    """Warehouses loaded once per module and backend: ``get(backend, 'seeds')``
    or ``get(backend, 'samples')`` (every bundled letter)."""

    def __init__(self, stack: ExitStack, folder: Path):
        self.stack, self.folder, self.loaded = stack, folder, {}

    def get(self, backend: str, what: str) -> str:
        if (backend, what) not in self.loaded:
            if backend == "postgresql":
                import pgserver  # it imports this module

                db = self.stack.enter_context(pgserver.database(pgserver.server()))
            else:
                db = str(self.folder / f"{what}.duckdb")
            summary = load([SEEDS[0].parent] if what == "seeds" else [], db, jobs=1)
            assert summary.quarantined == 0
            self.loaded[backend, what] = db
        return self.loaded[backend, what]


def documented_columns(view: warehouse.View) -> list[str]:
    """The column names the view's opening comment lists under 'Columns:'."""
    lines = view.sql.splitlines()
    start = lines.index("-- Columns:") + 1
    names = []
    for line in lines[start:]:
        match = re.match(r"^--   (\w+)\s", line)
        if not match:
            break
        names.append(match.group(1))
    return names


# ------------------------------------- hooks for a load (imr_etl.workers.Hooks)
# Closures: a load given them must parse in-process (jobs=1, or fewer letters
# than the hooks' min_pool), as the workers cannot unpickle them.

def recording(calls: list, real: Callable | None = None) -> Callable:
    """A ``read`` or ``prepare`` hook that notes the path of each call in
    ``calls``, then does what ``real`` does (without it, nothing: the call
    returns None, which fails the load if it was not meant to happen)."""

    def hook(path, *args, **knobs):
        calls.append(path)
        return None if real is None else real(path, *args, **knobs)

    return hook


def unwritable(victim: str, decision: int) -> Callable:
    """A ``prepare`` hook that parses as the loader does, but leaves the
    ``service`` of the ``victim`` file's decision number ``decision`` (from 0)
    empty: a NOT NULL column, so writing that letter's rows fails."""

    def prepare(path, *args, **knobs):
        result = workers.prepare(path, *args, **knobs)
        if path == victim:
            decisions = result.tables["fact_decision"]
            service = [c.name for c in schema.fact_decision.columns].index("service")
            decisions[decision] = decisions[decision][:service] + (None,) + decisions[decision][service + 1:]
        return result

    return prepare


# ----------------------------------------------- the command line, as a process

BIN = Path(sys.executable).parent / "imr-etl"


RUN_COLUMNS = ("load_run_id", "loaded_at", "run_id", "quarantined_at")  # differ between any two loads


def imr_etl(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=120, **kwargs)


def package_copy(root: Path, change: Callable[[Path], None]) -> dict[str, str]:
    """A copy of the imr_etl package under ``root`` (no samples), changed by
    ``change(its folder)``: the environment that runs it, as another release."""
    package = Path(workers.__file__).parent
    shutil.copytree(package, root / "imr_etl", ignore=shutil.ignore_patterns("samples", "__pycache__"))
    change(root / "imr_etl")
    return {**os.environ, "PYTHONPATH": str(root)}


def python_prints(code: str, env: dict | None = None) -> str:
    """What ``code`` prints in a new Python process (stripped): a process
    that has done nothing else, as a fork server or a new command starts.
    Run from "/": ``python -c`` puts the working directory (the checkout)
    first on the path."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True, cwd="/").stdout.strip()


def load_killed(corpus: Path, db: str, condition, seconds: float, env: dict | None = None) -> bool:
    """Start `imr-etl load CORPUS --db DB` and SIGKILL it as soon as
    ``condition()`` holds (or after ``seconds``); whether it had finished first."""
    process = subprocess.Popen([str(BIN), "load", str(corpus), "--db", db, "--quiet", "--jobs", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None and not (condition and condition()):
        time.sleep(0.001)
    finished = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return finished


# ------------------------------------------------------- the mappings' doubles

ODG = "odg/treatment-in-workers-comp"


CHRONIC_PAIN = "mtus/chronic-pain"


CATALOGUE = [
    {"guideline_id": ODG, "source": "ODG", "document": "Official Disability Guidelines: Treatment in Workers' Comp",
     "edition": None, "chapter": None, "acoem_chapter": None, "label": "ODG Treatment in Workers' Comp"},
    {"guideline_id": CHRONIC_PAIN, "source": "MTUS", "document": "Chronic Pain Medical Treatment Guidelines",
     "edition": "2016", "chapter": None, "acoem_chapter": None, "label": "MTUS Chronic Pain (2016)"},
]


_YEAR = re.compile(r"\s*\b(?:19|20)\d\d\b")


def _slug(text: str | None) -> str | None:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or None if text else None


def fake_canonical(source: str, document: str | None, topic: str | None) -> tuple[str, str | None]:
    """Every ODG spelling is one document; the MTUS's chronic pain guidelines
    another; any other document is its source and name without a year
    ('Shoulder Complaints 2004' and 'Shoulder Complaints' are one)."""
    if source == "ODG":
        return ODG, _slug(topic)
    if source == "MTUS" and "chronic pain" in (document or "").lower():
        return CHRONIC_PAIN, _slug(topic)
    return "/".join(filter(None, (source.lower(), _slug(_YEAR.sub("", document or ""))))), _slug(topic)


BOARDS = {"Anesthesiology", "Chiropractic", "Emergency Medicine", "Family Practice", "Hand Surgery",
          "Hospice & Palliative Medicine", "Internal Medicine", "Medical Toxicology", "Neurological Surgery",
          "Neurology", "Neuromuscular Medicine", "Occupational Medicine", "Orthopedic Surgery", "Pain Management",
          "Physical Medicine & Rehabilitation", "Preventive Medicine", "Psychiatry",
          "Public Health & General Preventive Medicine", "Rheumatology", "Sports Medicine"}


ALIASES = {"Physical Medicine and Rehabilitation": "Physical Medicine & Rehabilitation", "Chiropractor": "Chiropractic"}


def fake_board_specialties(specialties: list[str]) -> list[str]:
    """DWC names as written, two aliases; anything else ('Sports Medicinea',
    'Acupuncture') names none."""
    out: list[str] = []
    for name in specialties:
        board = ALIASES.get(name, name)
        if board in BOARDS and board not in out:
            out.append(board)
    return out


DRUGS = ((r"\bnorco\b", "hydrocodone/acetaminophen", "Opioids"),
         (r"\b(?:tramadol|ultram)\b", "tramadol", "Opioids"),
         (r"\b(?:cyclobenzaprine|flexeril)\b", "cyclobenzaprine", "Muscle Relaxant"),
         (r"\b(?:omeprazole|prilosec)\b", "omeprazole", "Proton Pump Inhibitors"),
         (r"\bnaproxen\b", "naproxen", "NSAID"))


BRANDS = ("Norco", "Ultram", "Flexeril", "Prilosec")


_STRENGTH = re.compile(r"\d+(?:\.\d+)?(?:[/-]\d+(?:\.\d+)?)?\s*mg", re.I)


def fake_drug(service: str) -> dict | None:
    for pattern, generic, drug_class in DRUGS:
        if re.search(pattern, service, re.I):
            strength = _STRENGTH.search(service)
            return {"generic": generic, "brand": next((b for b in BRANDS if b.lower() in service.lower()), None),
                    "strength": strength.group().replace(" ", "") if strength else None,
                    "dose_form": "tablet" if re.search(r"\btab", service, re.I) else None,
                    "drug_class": drug_class}
    return None


def _clear_caches() -> None:
    for function in (rows.guideline_document_row, rows._specialty_mapping, rows._specialty_rows):
        function.cache_clear()


def _patch(monkeypatch) -> None:
    monkeypatch.setattr(guidelines, "canonical", fake_canonical)
    monkeypatch.setattr(guidelines, "documents", lambda: CATALOGUE)
    # the warehouse reads the catalogue once per process (rows.catalogue): the double's instead
    monkeypatch.setattr(rows, "catalogue", lambda: {d["guideline_id"]: d for d in CATALOGUE})
    monkeypatch.setattr(classify, "board_specialties", fake_board_specialties)
    _clear_caches()
