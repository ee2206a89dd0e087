"""Facts read from the case summary's prose: sentences quoted from the
sample letters (named), with the values a reader takes from them."""

from __future__ import annotations

from datetime import date

import pytest

from helpers import SEEDS
from imr_etl.extract import age_and_sex, diagnoses, injury_date, latest_date

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
    # CM16-0219557: a quoted diagnosis, its full stop inside the quotes
    ('October 14, 2016, the attending provider gave the applicant a diagnosis of "lumbar pain with '
     'radiculopathy." On a handwritten progress note', ["lumbar pain with radiculopathy"]),
    # CM16-0249536's list with two semicolons (not three): still a semicolon list
    ("The current diagnoses are documented as cervicalgia; low back pain; and pain, unspecified. The prior",
     ["cervicalgia", "low back pain", "pain, unspecified"]),
    # ...and a summary that opens with its diagnoses
    ("Diagnoses are documented as cervicalgia; low back pain; and pain, unspecified. The prior",
     ["cervicalgia", "low back pain", "pain, unspecified"]),
    # CM16-0229336's diagnosis named again, capitalized: once
    ("Medical records indicates that the injured worker is undergoing treatment for acute Lisfranc "
     "fracture, diabetes mellitus, hypertension and dyslipidemia. The injured worker was diagnosed with "
     "Acute Lisfranc fracture. According to the note",
     ["acute Lisfranc fracture", "diabetes mellitus", "hypertension", "dyslipidemia"]),
    # CM17-0002181: "strain of knee and shoulder strain" is two
    ("the injured worker is undergoing treatment for strain of muscle and-or tendon of wrist, low back "
     "strain, strain of knee and shoulder strain. According",
     ["strain of muscle and-or tendon of wrist", "low back strain", "strain of knee", "shoulder strain"]),
    # CM16-0236380: both sides of the "and" name a condition
    ("The current diagnoses are documented as sprain of ligaments of cervical spine and lumbar sprain. Prior "
     "treatment has included", ["sprain of ligaments of cervical spine", "lumbar sprain"]),
    # CM16-0228949: a body part before the "and", a condition after it
    ("Diagnoses include jammed interphalangeal joint of the finger of the right hand and trigger finger of "
     "the right thumb. Treatments to date include",
     ["jammed interphalangeal joint of the finger of the right hand", "trigger finger of the right thumb"]),
    # CM16-0242419: ICD-10's encounter word stays with the diagnosis it ends
    ("the injured worker has had diagnoses of low back pain and lumbar muscle strain, subsequent. Treatment "
     "to date has included", ["low back pain", "lumbar muscle strain, subsequent"]),
    # CM17-0006287: the "and" of a "with …" clause is the clause's
    ("The injured worker is undergoing treatment for bilateral lumbar radiculitis and 3mm disc protrusion "
     "at L4-5 with lateral recess and foraminal stenosis. According to",
     ["bilateral lumbar radiculitis", "3mm disc protrusion at L4-5 with lateral recess and foraminal stenosis"]),
    # CM17-0016666
    ("the injured worker is undergoing treatment for pain in the low back and pain in the left shoulder. "
     "Treatment to date has included", ["pain in the low back", "pain in the left shoulder"]),
    # (not split: a body part before the "and" but no condition after it)
    ("The injured worker is undergoing treatment for contusion of the right knee and lower leg. According to",
     ["contusion of the right knee and lower leg"]),
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
    # seed 000's sentence, then the next one or the same one speaking of the patient
    ("The patient is a 66 year old with an injury date on 1/24/00. He complains of continuing neck pain",
     (66, "male")),
    ("The patient is a 66 year old who injured his neck on 1/24/00.", (66, "male")),
    ("The patient is a 66 year old who injured her neck on 1/24/00.", (66, "female")),
    ("The patient is a 66 year old whose spouse says he and she were injured on 1/24/00.", (66, None)),
    ("The patient is a 66 year old with an injury date on 1/24/00. Patient complains", (66, None)),
])
def test_age_and_sex(summary, expected):
    assert age_and_sex(summary) == expected


# A two-digit year takes the century that keeps the date on or before the
# letter's own date.  Seed 000 writes "The patient is a 66 year old with an
# injury date on 1/24/00." (a letter of 2015: 2000); seed 002 "DOI 9/3/10."
@pytest.mark.parametrize("summary, letter_date, expected", [
    ("The patient is a 66 year old with an injury date on 1/24/00.", date(2015, 2, 27), date(2000, 1, 24)),
    ("The patient is a 34 y/o female, DOI 9/3/10.", date(2015, 2, 27), date(2010, 9, 3)),
    # the same sentences with a year after the letter's: the last century
    ("The patient is a 66 year old with an injury date on 1/24/98.", date(2015, 2, 27), date(1998, 1, 24)),
    ("The patient is a 34 y/o female, DOI 9/3/16.", date(2015, 2, 27), date(1916, 9, 3)),
    # on the letter's own date: this century
    ("The patient is a 34 y/o female, DOI 2/27/15.", date(2015, 2, 27), date(2015, 2, 27)),
])
def test_a_two_digit_year_is_read_against_the_letters_date(summary, letter_date, expected):
    assert injury_date(summary, lambda: letter_date) == expected
    assert injury_date(summary, letter_date) == expected


def test_a_headerless_letters_date_is_its_latest_full_date():
    """Seed 004 has no header block: its date is the latest four-digit-year
    date it writes -- "an industrial injury on 6/27/2012", "surgical
    intervention (11/17/2014 right C5-7", "performed on 11/19/2012"."""
    text = next(p for p in SEEDS if p.name.startswith("004_")).read_text(encoding="utf-8")
    for written in ("injury on 6/27/2012", "intervention (11/17/2014", "performed on 11/19/2012"):
        assert written in text
    assert latest_date(text) == date(2014, 11, 17)
    assert latest_date("DOI 9/3/10, seen 1/24/00") is None  # two-digit years do not count
