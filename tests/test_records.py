"""Parse records against the hand-read fixtures in tests/expected/.

Each fixture holds values read from the letter by a person, following
docs/record.md; the test compares the program's record field by field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EXPECTED, SAMPLES
from imr_etl.letters import parse_bytes, parse_file

FIXTURES = sorted(EXPECTED.glob("*.json"))

HEADER_KEYS = ("case_number", "date_assigned", "injury_date", "decision_date", "ur_denial_date",
               "priority", "application_received", "other")
REVIEWER_KEYS = ("specialties", "subspecialties", "board_certified", "licensure_states")
PATIENT_KEYS = ("age", "sex", "injury_date")
ITEM_KEYS = ("service", "decision", "treatment_category", "treatment_subcategory",
             "quantity", "quantity_unit", "body_region")
CITATION_KEYS = ("cited_by", "source", "document", "topic", "pages", "section")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _diff_citations(where: str, want: list[dict], got: list[dict]) -> list[str]:
    problems = []
    if len(want) != len(got):
        problems.append(f"{where} citations: expected {len(want)}, got {len(got)}: "
                        f"{[(c.get('source'), c.get('document'), c.get('topic')) for c in got]!r}")
    for n, (w, g) in enumerate(zip(want, got), 1):
        for key in CITATION_KEYS:
            if w.get(key) != g.get(key):
                problems.append(f"{where} citation {n} {key}: expected {w.get(key)!r}, got {g.get(key)!r}")
    return problems


def _diff(expected: dict, record: dict) -> list[str]:
    letter = expected["letter"]
    problems = []
    for section, keys in (("header", HEADER_KEYS), ("reviewer", REVIEWER_KEYS), ("patient", PATIENT_KEYS)):
        for key in keys:
            want, got = expected[section][key], record[section].get(key)
            if want != got:
                problems.append(f"{letter}: {section}.{key}: expected {want!r}, got {got!r}")
    if expected["diagnoses"] != record["diagnoses"]:
        problems.append(f"{letter}: diagnoses: expected {expected['diagnoses']!r}, got {record['diagnoses']!r}")

    want_items, got_items = expected["items"], record["items"]
    if len(want_items) != len(got_items):
        problems.append(f"{letter}: item count: expected {len(want_items)}, got {len(got_items)}: "
                        f"{[i.get('service') for i in got_items]!r}")
    for want, got in zip(want_items, got_items):
        where = f"{letter}: item {want['ordinal']} ({want['service']!r})"
        if want["ordinal"] != got.get("ordinal"):
            problems.append(f"{where} ordinal: expected {want['ordinal']!r}, got {got.get('ordinal')!r}")
        for key in ITEM_KEYS:
            if want[key] != got.get(key):
                problems.append(f"{where} {key}: expected {want[key]!r}, got {got.get(key)!r}")
        problems += _diff_citations(where, want["citations"], got.get("citations") or [])
        rationale = got.get("rationale") or ""
        if not rationale.startswith(want["rationale_start"]):
            problems.append(f"{where} rationale: expected to start with {want['rationale_start']!r}, "
                            f"got {rationale[:80]!r}")
        if want["span"] != got.get("span"):
            problems.append(f"{where} span: expected {want['span']!r}, got {got.get('span')!r}")
    return problems


def test_there_are_fixtures():
    assert FIXTURES, f"no fixtures in {EXPECTED}"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_record_matches_hand_read_fixture(fixture: Path):
    expected = _load(fixture)
    letter = SAMPLES / expected["letter"]
    assert letter.is_file(), f"{fixture.name}: letter {expected['letter']!r} not found under {SAMPLES}"
    record = parse_file(letter)
    problems = _diff(expected, record)
    if problems:
        pytest.fail(f"{len(problems)} difference(s):\n" + "\n".join(problems), pytrace=False)


def test_an_item_without_a_claims_administrator_paragraph():
    """Either guideline paragraph may be missing; the item still parses with
    the other's citations, and its span still ends with its rationale."""
    path = SAMPLES / "real" / "CM17-0005177.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    # lines 48-49 are "Claims Administrator guideline: … did not cite any medical evidence / for its decision."
    assert lines[47].startswith("Claims Administrator guideline:")
    text = "\n".join(lines[:47] + ["", ""] + lines[49:]) + "\n"
    record = parse_bytes(text.encode("utf-8"), "no-claims.txt")
    (item,) = record["items"]
    assert item["service"] == "Physical therapy additional 3 visits per week for 2 weeks"
    assert item["decision"] == "upheld"
    assert [(c["cited_by"], c["document"], c["topic"]) for c in item["citations"]] == [
        ("reviewer", "Chronic Pain Medical Treatment 2016", "Physical medicine treatment")]
    assert item["span"] == {"start_line": 45, "end_line": 63}
