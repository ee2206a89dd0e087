"""Parse records against the hand-read fixtures in tests/expected/.

Each fixture holds values read from the letter by a person, following
docs/record.md; the test compares the program's record field by field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import EXPECTED, REAL, SAMPLES, SEEDS, record_differences
from imr_etl.letters import parse_bytes, parse_file

FIXTURES = sorted(EXPECTED.glob("*.json"))

def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _diff(expected: dict, record: dict) -> list[str]:
    """The shared comparison, plus what a fixture also holds: the start of
    each rationale and each item's span of lines."""
    letter = expected["letter"]
    problems = record_differences(letter, expected, record)
    for want, got in zip(expected["items"], record["items"]):
        where = f"{letter}: item {want['ordinal']} ({want['service']!r})"
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


# docs/record.md's record, key for key: a key missing, misspelt or left over
# (an analyst's column that is always null, or one nobody documented) fails.
RECORD_KEYS = {"source_path", "sha256", "format", "header", "reviewer", "patient", "diagnoses", "outcome", "items"}
ITEM_KEYS = {"ordinal", "service", "decision", "treatment_category", "treatment_subcategory",
             "quantity", "quantity_unit", "body_region", "body_region_source", "dwc_category",
             "dwc_subcategory", "drug", "partial_authorization", "citations", "rationale", "span"}
CITATION_KEYS = {"cited_by", "source", "document", "topic", "pages", "section", "guideline_id", "topic_id"}


@pytest.mark.parametrize("path", SEEDS + REAL, ids=lambda p: p.stem)
def test_every_record_has_the_documented_keys_and_no_other(path):
    record = parse_file(path)
    assert set(record) == RECORD_KEYS
    assert set(record["patient"]) == {"age", "sex", "injury_date"}
    assert set(record["header"]) == {"case_number", "date_assigned", "injury_date", "decision_date",
                                     "ur_denial_date", "priority", "application_received", "other"}
    assert set(record["reviewer"]) == {"specialties", "subspecialties", "board_certified",
                                       "licensure_states", "board_specialties"}
    for item in record["items"]:
        assert set(item) == ITEM_KEYS
        assert set(item["span"]) == {"start_line", "end_line"}
        for cited in item["citations"]:
            assert set(cited) == CITATION_KEYS
            assert cited["cited_by"] in {"claims_administrator", "reviewer"}


def test_the_injury_date_falls_back_on_the_header():
    """CM16-0229336's summary says "with a date of injury on 10-20-2016", its
    header "Date of Injury:  10/20/2016".  Without the summary's sentence the
    header's date is the patient's."""
    path = SAMPLES / "real" / "CM16-0229336.txt"
    text = path.read_text(encoding="utf-8")
    assert "male with a date of injury on 10-20-2016. A review" in text
    assert parse_file(path)["patient"]["injury_date"] == "2016-10-20"
    without = text.replace("male with a date of injury on 10-20-2016. A review", "male. A review")
    record = parse_bytes(without.encode("utf-8"), "without-the-sentence")
    assert record["patient"]["injury_date"] == "2016-10-20"
    header = without.replace("Date of Injury:  10/20/2016", "Date of Injury:  10/21/2016")
    assert parse_bytes(header.encode("utf-8"), "other-header")["patient"]["injury_date"] == "2016-10-21"


@pytest.mark.parametrize("states, codes", [
    ("California", ["CA"]),
    ("California and Nevada", ["CA", "NV"]),
    ("California/Nevada", ["CA", "NV"]),
    ("California, Nevada and Arizona", ["CA", "NV", "AZ"]),
])
def test_the_narrative_names_each_state_of_licensure(states, codes):
    """Seed 002: "...Board Certified in Occupational Medicine and is licensed
    to practice in California."  A reviewer licensed in several states is
    written the same way, the states joined by "and", "/" or commas."""
    path = next(p for p in SEEDS if p.name.startswith("002_"))
    text = path.read_text(encoding="utf-8")
    assert "is licensed to practice in California." in text
    varied = text.replace("is licensed to practice in California.", f"is licensed to practice in {states}.")
    assert parse_bytes(varied.encode("utf-8"), "varied")["reviewer"]["licensure_states"] == codes
