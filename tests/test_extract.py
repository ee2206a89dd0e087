"""Facts read from the case summary's prose: sentences quoted from the
sample letters (named), with the values a reader takes from them."""

from __future__ import annotations

import pytest

from imr_etl.extract import age_and_sex, diagnoses

CASES = [
    # CM16-0229336
    ("Medical records indicates that the injured worker is undergoing treatment for acute Lisfranc "
     "fracture, diabetes mellitus, hypertension and dyslipidemia. According to the note",
     ["acute Lisfranc fracture", "diabetes mellitus", "hypertension", "dyslipidemia"]),
    # CM16-0246624: no comma, a condition word before "and"
    ("the injured worker is undergoing treatment for right shoulder sprain and neck muscle strain. "
     "According to the progress report", ["right shoulder sprain", "neck muscle strain"]),
    # CM17-0005177: "and" inside a diagnosis
    ("The injured worker was diagnosed as having sprain of joints and ligaments in the neck, sprain of "
     "ligaments of the lumbar spine, and sprain of the thorax. Treatment to date",
     ["sprain of joints and ligaments in the neck", "sprain of ligaments of the lumbar spine",
      "sprain of the thorax"]),
    # CM16-0231706: a series of regions before the noun
    ("Medical records indicate the worker is undergoing treatment for cervical, thoracic and lumbar "
     "myoligamentous injury. A recent progress report", ["cervical, thoracic and lumbar myoligamentous injury"]),
    # CM16-0236134: ICD-10's tissue series
    ("The injured worker was undergoing treatment for strain of muscle, fascia and tendon of the lower "
     "back subsequent encounter. According to", ["strain of muscle, fascia and tendon of the lower back subsequent encounter"]),
    # CM16-0249536: a semicolon list keeps its commas
    ("The current diagnoses are documented as cervicalgia; pain in thoracic spine; low back pain; and "
     "pain, unspecified. The prior treatment",
     ["cervicalgia", "pain in thoracic spine", "low back pain", "pain, unspecified"]),
    # CM17-0014449: a site after a comma belongs to the condition
    ("The current diagnosis is documented as symptomatic SLAP lesion, right shoulder. The",
     ["symptomatic SLAP lesion, right shoulder"]),
    # CM17-0019907
    ("sustained an industrial injury on 10-25-16 and was being treated for the diagnosis of back pain. "
     "The injured worker", ["back pain"]),
    # CM17-0002181: "strain of knee and shoulder strain" is two
    ("the injured worker is undergoing treatment for strain of muscle and-or tendon of wrist, low back "
     "strain, strain of knee and shoulder strain. According",
     ["strain of muscle and-or tendon of wrist", "low back strain", "strain of knee", "shoulder strain"]),
]


@pytest.mark.parametrize("summary, expected", CASES)
def test_diagnoses(summary, expected):
    assert diagnoses(summary) == expected


@pytest.mark.parametrize("summary, expected", [
    ("The injured worker is a 53 year old female, who sustained", (53, "female")),  # CM17-0005177
    ("The patient is a 34 y/o female who", (34, "female")),
    ("This is a 69 year old male with", (69, "male")),
    ("The patient is a 66 year old with an injury date on 1/24/00.", (66, None)),  # seed 000
    ("The applicant is a 46-year-old gentleman. He reports", (46, "male")),
    ("A 40 year old who was injured. She complains", (40, "female")),
])
def test_age_and_sex(summary, expected):
    assert age_and_sex(summary) == expected
