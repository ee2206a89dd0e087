"""Reviewer specialties → the DWC's board-specialty names (docs/record.md,
Reviewer).  The spellings are the letters' own: the "Certification(s)/Specialty:"
line of the 2016-2017 letters and the "Board Certified in …" / "is licensed
in …" sentence of the older ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import REAL, SEEDS
from imr_etl import vocabulary
from imr_etl.classify import board_specialties
from imr_etl.letters import parse_file


@pytest.mark.parametrize("specialties, expected", [
    # CM17-0010885: "Certification(s)/Specialty: Preventive Medicine, Occupational
    # Medicine, Public Health & General Preventive Medicine"
    (["Preventive Medicine", "Occupational Medicine", "Public Health & General Preventive Medicine"],
     ["Preventive Medicine", "Occupational Medicine", "Public Health & General Preventive Medicine"]),
    # CM16-0237844: "Anesthesiology, Pain Management, Hospice & Palliative Medicine"
    (["Anesthesiology", "Pain Management", "Hospice & Palliative Medicine"],
     ["Anesthesiology", "Pain Management", "Hospice & Palliative Medicine"]),
    # CM17-0015218: "Orthopedic Surgery, Hand Surgery, Sports Medicine"
    (["Orthopedic Surgery", "Hand Surgery", "Sports Medicine"],
     ["Orthopedic Surgery", "Hand Surgery", "Sports Medicine"]),
    # CM17-0011992: "Physical Medicine & Rehabilitation, Neuromuscular Medicine"
    (["Physical Medicine & Rehabilitation", "Neuromuscular Medicine"],
     ["Physical Medicine & Rehabilitation", "Neuromuscular Medicine"]),
    # CM17-0002106: "Neurological Surgery"
    (["Neurological Surgery"], ["Neurological Surgery"]),
])
def test_the_dwc_names_as_written_are_themselves(specialties, expected):
    assert board_specialties(specialties) == expected


@pytest.mark.parametrize("specialties, expected", [
    # seed 002: "The expert reviewer is Board Certified Physical Medicine and Rehabilitation"
    (["Physical Medicine and Rehabilitation"], ["Physical Medicine & Rehabilitation"]),
    # CM17-0003192: "Certification(s)/Specialty: Chiropractor"
    (["Chiropractor"], ["Chiropractic"]),
    # CM16-0238035: "Certification(s)/Specialty: Orthopedic Surgery, Sports Medicinea"
    (["Orthopedic Surgery", "Sports Medicinea"], ["Orthopedic Surgery", "Sports Medicine"]),
    # CM16-0247802: "Physical Medicine & Rehabilitation, Pediatric Rehabilitation
    # Medicine" — an ABPMR subspecialty: one DWC name, once
    (["Physical Medicine & Rehabilitation", "Pediatric Rehabilitation Medicine"],
     ["Physical Medicine & Rehabilitation"]),
    # seed 003: "The expert reviewer is licensed in Chiropractic and Acupuncture"
    (["Chiropractic", "Acupuncture"], ["Chiropractic", "Oriental Medicine"]),
])
def test_the_letters_other_spellings(specialties, expected):
    assert board_specialties(specialties) == expected


@pytest.mark.parametrize("written, expected", [
    ("Family Medicine", "Family Practice"),
    ("Pain Medicine", "Pain Management"),
    ("Neurosurgery", "Neurological Surgery"),
    ("Podiatry", "Podiatrist"),
    ("Dentistry", "Dentist"),
    ("General Preventive Medicine", "Preventive Medicine"),
    ("Orthopaedic Surgery", "Orthopedic Surgery"),
    ("Cardiology", "Cardiovascular Disease"),
    # case, "&"/"and", punctuation
    ("PHYSICAL MEDICINE AND REHABILITATION.", "Physical Medicine & Rehabilitation"),
    ("Allergy & Immunology", "Allergy and Immunology"),
    ("hospice and palliative medicine", "Hospice & Palliative Medicine"),
    # a letter missing, added or wrong in a word
    ("Occupational Medcine", "Occupational Medicine"),
    ("Pain Managment", "Pain Management"),
    ("Neurolgy", "Neurology"),
])
def test_synonyms_spellings_and_typos(written, expected):
    assert board_specialties([written]) == [expected]


@pytest.mark.parametrize("written", [
    "Pediatric Surgery",   # one letter from Podiatric Surgery, but another field
    "Hematology",          # near Rheumatology
    "Neurotology",         # near Neurology
    "Nephrology Fellow",   # a word the table has not
    "Physical Therapy",    # no board specialty in the DWC's list
    "Interventional Spine",
    "Obstetrics & Gynecology",
    "Spine Surgery",       # orthopedic or neurological: not ours to guess
])
def test_a_specialty_the_dwc_does_not_name_is_left_out(written):
    assert board_specialties([written]) == []


def test_letter_order_each_once():
    assert board_specialties(["Pain Medicine", "Anesthesiology", "Pain Management", "Physical Therapy",
                              "Physical Medicine and Rehabilitation", "Physical Medicine & Rehabilitation"]) \
        == ["Pain Management", "Anesthesiology", "Physical Medicine & Rehabilitation"]


def test_a_name_joining_two_certifications_gives_both():
    assert board_specialties(["Pulmonary & Critical Care Medicine"]) == ["Pulmonary Disease",
                                                                          "Critical Care Medicine"]


def test_parsed_letters_carry_both_keys():
    # CM16-0238035: "Certification(s)/Specialty: Orthopedic Surgery, Sports Medicinea"
    typo = next(p for p in REAL if p.stem == "CM16-0238035")
    reviewer = parse_file(typo)["reviewer"]
    assert reviewer["specialties"] == ["Orthopedic Surgery", "Sports Medicinea"]
    assert reviewer["board_specialties"] == ["Orthopedic Surgery", "Sports Medicine"]
    # seed 003: "licensed in Chiropractic and Acupuncture"
    seed = next(p for p in SEEDS if p.stem.startswith("003_"))
    assert parse_file(seed)["reviewer"]["board_specialties"] == ["Chiropractic", "Oriental Medicine"]


# ----------------------------------------------------------- the table itself

ROWS = vocabulary.rows("board_specialties.csv")
REFERENCE = "docs/reference/dwc-imr-vocabulary.md"


def _dwc_list() -> list[str]:
    """The names under "IMRO reviewer board specialty" in the DWC reference
    (a copy ships in docs/reference)."""
    path = Path(__file__).resolve().parent.parent / REFERENCE
    section = path.read_text(encoding="utf-8").split("## IMRO reviewer board specialty", 1)[1]
    text = " ".join(section.split("\n## ", 1)[0].split())
    return [name.strip() for name in text.strip(" .").split(";")]


def test_the_table_lists_each_dwc_name_as_itself_and_maps_only_to_them():
    own = {row["as_written"] for row in ROWS if row["as_written"] == row["board_specialty"]}
    assert {row["board_specialty"] for row in ROWS} <= own


def test_every_target_is_a_name_in_the_dwc_reference():
    names = _dwc_list()
    assert len(names) > 50
    assert {row["board_specialty"] for row in ROWS} <= set(names)
    assert {row["as_written"] for row in ROWS if row["as_written"] == row["board_specialty"]} == set(names)


def test_no_spelling_is_listed_twice_for_one_name():
    pairs = [(row["as_written"].lower(), row["board_specialty"]) for row in ROWS]
    assert len(pairs) == len(set(pairs))
