"""The same letter with its guideline, specialty or drug names respelled — in
every form the real letters use, in any case — gives the same canonical ids,
board specialties and drugs (issue 11: one key per real-world thing)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from helpers import REAL
from imr_etl.letters import parse_bytes

# (as one letter writes it, as another letter writes the same thing)
RESPELLINGS = [
    ("Official Disability Guidelines (ODG)", "Official Disability Guidelines"),
    ("Official Disability Guidelines (ODG)", "ODG"),
    ("Official Disability Guidelines (ODG)", "ODG Guidelines"),
    ("Official Disability Guidelines (ODG)", "OFFICIAL DISABILITY GUIDELINES (ODG)"),
    ("Official Disability Guidelines (ODG)", "official disability guidelines (odg)"),
    ("Chronic Pain Medical Treatment 2016", "CHRONIC PAIN MEDICAL TREATMENT 2016"),
    ("Chronic Pain Medical Treatment 2016", "chronic pain medical treatment 2016"),
    ("Chronic Pain Treatment Guidelines", "CHRONIC PAIN MEDICAL TREATMENT GUIDELINES"),
    ("Chronic Pain Treatment Guidelines", "Chronic Pain Medical Treatment Guidelines"),
    ("Low Back Complaints 2004", "LOW BACK COMPLAINTS 2004"),
    ("Neck and Upper Back Complaints 2004", "Neck & Upper Back Complaints 2004"),
    ("Physical Medicine & Rehabilitation", "Physical Medicine and Rehabilitation"),
    ("Physical Medicine & Rehabilitation", "PHYSICAL MEDICINE & REHABILITATION"),
    ("Physical Medicine & Rehabilitation", "physical medicine and rehabilitation"),
    ("Family Practice", "FAMILY PRACTICE"),
    ("Orthopedic Surgery", "Orthopaedic Surgery"),
    ("Norco", "Hydrocodone/APAP"),
    ("Norco", "hydrocodone/acetaminophen"),
    ("Norco", "NORCO"),
    ("Norco", "Vicodin"),
    ("Cyclobenzaprine", "Flexeril"),
    ("Cyclobenzaprine", "CYCLOBENZAPRINE"),
    ("Omeprazole", "Prilosec"),
]

DRUGS = {"Norco", "Cyclobenzaprine", "Omeprazole"}


def phrase(text: str) -> re.Pattern:
    """``text`` wherever the letter has it, wrapped across lines or not."""
    return re.compile(r"(?<![A-Za-z])" + r"\s+".join(map(re.escape, text.split())) + r"(?![A-Za-z])")


@cache
def letter(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def facts(record: dict, drugs_respelled: bool) -> dict:
    """What must not change with a spelling: the canonical keys.  (A drug
    respelled inside a topic, "Muscle relaxants, Cyclobenzaprine (Flexeril)",
    names the topic differently: its ids are compared when guideline and
    specialty names are respelled.)"""
    out = {
        "board_specialties": record["reviewer"]["board_specialties"],
        "drugs": [(item["drug"] or {}).get("generic") for item in record["items"]],
        "classes": [(item["drug"] or {}).get("drug_class") for item in record["items"]],
        "dwc": [(item["dwc_category"], item["dwc_subcategory"]) for item in record["items"]],
    }
    if not drugs_respelled:
        out["citations"] = [[(c["cited_by"], c["guideline_id"], c["topic_id"]) for c in item["citations"]]
                            for item in record["items"]]
    return out


def cases():
    for original, respelled in RESPELLINGS:
        found = [p for p in REAL if phrase(original).search(letter(p))]
        for path in found[:4]:
            yield pytest.param(path, original, respelled, id=f"{path.stem}:{original}->{respelled}")


def test_every_spelling_occurs_in_a_real_letter():
    missing = [original for original, _ in RESPELLINGS if not any(phrase(original).search(letter(p)) for p in REAL)]
    assert not missing


@pytest.mark.parametrize("path, original, respelled", list(cases()))
def test_a_respelled_letter_gives_the_same_keys(path: Path, original: str, respelled: str):
    text = letter(path)
    changed = phrase(original).sub(respelled, text)
    assert changed != text
    drugs = original in DRUGS
    before = facts(parse_bytes(text.encode("utf-8"), path.name), drugs)
    after = facts(parse_bytes(changed.encode("utf-8"), path.name), drugs)
    assert after == before
