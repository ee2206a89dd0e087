"""Every item of the sample letters against its hand-read DWC classification.

tests/expected/dwc_items.csv was written by reading each letter (not from the
program's output), following docs/dwc-taxonomy.md: one row per item with its
decision, the DWC's category and subcategory and, for a drug, its generic and
DWC drug class (the drug's other fields: tests/test_drugs.py).  The DWC's names are those of its IMR decision search
(docs/reference/dwc-imr-vocabulary.md).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from helpers import REAL, SEEDS, hand_read_items, letter_id
from imr_etl import dwc
from imr_etl.letters import parse_file
from imr_etl.vocabulary import rows as vocab

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "dwc-imr-vocabulary.md"
LETTERS = REAL + SEEDS

# A heading that names another service than the one the reviewer decided: the
# rules read the heading, the person read the letter.
MISNAMED = {
    ("CM16-0231745", 1): "'Physical exam 2 times 8' is reviewed as physical therapy (MTUS physical medicine)",
}


@cache
def record(path: Path) -> dict:
    return parse_file(path)


def reference_categories() -> set[tuple[str, str]]:
    """(category, subcategory) pairs of the reference file's table."""
    pairs = set()
    table = re.findall(r"^\| (?!category)([^|]+?) \| ([^|]+?) \|$", REFERENCE.read_text(encoding="utf-8"), re.M)
    for category, subcategories in table:
        if category.startswith("---"):
            continue
        for sub in subcategories.split("; "):
            pairs.add((category, "" if sub.startswith("by drug class") else sub))
    return pairs


def test_every_letter_has_its_items_in_the_fixture():
    ids = {letter_id(p, record(p)) for p in LETTERS}
    assert ids == set(hand_read_items())


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.stem)
def test_items_match_the_hand_read_classification(path: Path):
    got = record(path)
    want = hand_read_items()[letter_id(path, got)]
    assert [(w["ordinal"], w["decision"]) for w in want] == [
        (str(i["ordinal"]), i["decision"]) for i in got["items"]]
    problems = []
    for w, item in zip(want, got["items"]):
        if (w["letter_id"], int(w["ordinal"])) in MISNAMED:
            continue
        expected = (w["dwc_category"], w["dwc_subcategory"] or None)
        actual = (item["dwc_category"], item["dwc_subcategory"])
        if expected != actual:
            problems.append(f"item {w['ordinal']} {item['service']!r}: expected {expected}, got {actual}")
        drug = item["drug"] or {}
        expected = (w["drug_generic"] or None, w["drug_class"] or None)
        if (drug.get("generic"), drug.get("drug_class")) != expected:
            problems.append(f"item {w['ordinal']} {item['service']!r}: expected drug {expected}, got {drug}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", sorted(MISNAMED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_misnamed_headings_are_still_classified_by_their_heading(key):
    """Pinned so that a rule reading the reviewer's guideline instead shows up here."""
    path = next(p for p in REAL if p.stem == key[0])
    item = record(path)["items"][key[1] - 1]
    want = next(w for w in hand_read_items()[key[0]] if int(w["ordinal"]) == key[1])
    assert (item["dwc_category"], item["dwc_subcategory"]) != (want["dwc_category"], want["dwc_subcategory"])


def test_at_most_one_percent_of_items_are_unclassified():
    items = [i for p in REAL for i in record(p)["items"]]
    unclassified = [i["service"] for i in items if i["dwc_category"] == dwc.UNCLASSIFIED]
    assert len(unclassified) <= 0.01 * len(items), unclassified


def test_the_vocabulary_names_are_the_dwcs():
    listed = {(r["dwc_category"], r["dwc_subcategory"]) for r in vocab("dwc_categories.csv")}
    assert listed - {(dwc.UNCLASSIFIED, "")} == reference_categories()
    targets = {(r["dwc_category"], r["dwc_subcategory"]) for name in ("dwc_taxonomy.csv", "dwc_patterns.csv")
               for r in vocab(name)}
    targets |= {(r["dwc_category"], r["limb_subcategory"]) for name in ("dwc_taxonomy.csv", "dwc_patterns.csv")
                for r in vocab(name) if r["limb_subcategory"]}
    assert targets <= listed


@pytest.mark.parametrize("service, category, subcategory, region, expected", [
    # the misfiled examples, and rows of the rule book
    ("Electrocardiogram", "diagnostic_tests", "laboratory", None, ("Diagnostic Testing", "Other Diagnostic Tests")),
    ("Pre-operative EKG", "diagnostic_tests", "laboratory", "lumbar", ("Diagnostic Testing", "Other Diagnostic Tests")),
    ("Hygiene wipes #100", "other", "other", None, ("DMEPOS", "Supplies")),
    ("Bilateral hearing aids", "other", "other", None, ("DMEPOS", "Prosthetics/Orthotics")),
    ("Partial Hospitalization day treatment program", "programs", "other_programs", None, ("Programs", "Programs")),
    ("Chirophysio therapy 2 times a week for 4 weeks", "other", "other", None, ("Rehabilitation", "Chiropractic")),
    ("Manual therapy 6 sessions", "rehabilitation", "physical_therapy", None,
     ("Rehabilitation", "Other Therapies")),
    ("Therapeutic exercise 2x4", "other", "other", None,
     ("Rehabilitation", "Physical Therapy/Occupational Therapy (PT/OT)")),
    ("MRI of the right knee", "diagnostic_tests", "mri", "knee", ("Diagnostic Testing", "Imaging › Peripheral")),
    ("MRI of the lumbar spine", "diagnostic_tests", "mri", "lumbar", ("Diagnostic Testing", "Imaging › Radiology")),
    ("X-ray of the pelvis", "diagnostic_tests", "xray", "hip", ("Diagnostic Testing", "Imaging › Radiology")),
    ("Associated surgical service: Cold therapy unit", "dmepos", "hot_cold_therapy", "shoulder", ("DMEPOS", "DME")),
    ("Assistant surgeon", "surgery", "other_surgery", None, ("Surgery", "Adjunct Surgical Services")),
    ("Right knee arthroscopy with meniscectomy", "surgery", "knee", "knee", ("Surgery", "Arthroscopic Surgery")),
    ("Compound Ketoprofen 20%, 240 grams", "pharmaceuticals", "topical_analgesics", None,
     ("Pharmaceuticals", "Topical Compounds")),
    ("Lidocaine 5% patch #1", "pharmaceuticals", "topical_analgesics", None, ("Pharmaceuticals", None)),
    ("Transportation to/from all medical appointments", "other", "other", None, ("Transportation", "Transportation")),
    ("Something nobody requests", "other", "other", None, ("Unclassified", None)),
])
def test_rule_book_rows(service, category, subcategory, region, expected):
    assert dwc.classify(service, category, subcategory, region) == expected
