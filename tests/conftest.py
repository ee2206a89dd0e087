"""Shared fixtures: the sample letters shipped in imr_etl/samples."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path
from typing import NoReturn

import pytest

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


@pytest.fixture(params=SEEDS, ids=lambda p: p.stem)
def seed(request) -> Path:
    return request.param


@pytest.fixture
def letters(tmp_path) -> Path:
    """A directory with a copy of the seed letters and two real ones."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for path in SEEDS + REAL[:2]:
        shutil.copy(path, folder / path.name)
    return folder


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


def waiting_time(url: str) -> float:
    """Seconds a second writer waits (``--wait``) for a first that holds the
    warehouse's writer lock for half a second, in another thread."""
    import threading
    import time

    from imr_etl import warehouse

    held = threading.Event()

    def first():
        with warehouse.lock(url):
            held.set()
            time.sleep(0.5)

    thread = threading.Thread(target=first)
    thread.start()
    held.wait()
    started = time.monotonic()
    with warehouse.lock(url, wait=10):
        waited = time.monotonic() - started
    thread.join()
    return waited
