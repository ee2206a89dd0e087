"""Diagnoses → (condition, body region) (docs/record.md, Conditions).  The
diagnoses are quoted from the sample letters (their summaries' "diagnoses
are …" / "undergoing treatment for …" sentences); the expected conditions
were written by reading them."""

from __future__ import annotations

import pytest

from imr_etl.conditions import condition


@pytest.mark.parametrize("diagnosis, expected", [
    # CM17-0007142: "The current diagnoses are documented as right shoulder full
    # thickness rotator cuff tear, acromioclavicular joint arthrosis, …"
    ("right shoulder full thickness rotator cuff tear", ("shoulder full thickness rotator cuff tear", "shoulder")),
    # CM16-0237163: "Diagnoses included lumbar disc displacement, lumbar
    # radiculopathy and lumbar sprain strain."
    ("lumbar radiculopathy", ("lumbar radiculopathy", "lumbar")),
    ("lumbar sprain strain", ("lumbar sprain/strain", "lumbar")),
    # CM17-0015849: "undergoing treatment for left shoulder strain subsequent
    # encounter, contusion of the left shoulder subsequent encounter, …"
    ("left shoulder strain subsequent encounter", ("shoulder strain", "shoulder")),
    ("contusion of the left shoulder subsequent encounter", ("contusion of shoulder", "shoulder")),
    # CM16-0236906: "being treated for postconcussion syndrome, skull vault
    # fracture-initial, and migraine"
    ("skull vault fracture-initial", ("skull vault fracture", None)),
    # CM16-0234464: "… thoracic spine strain/bilateral parascapular strain, right
    # hand contusion/laceration, and lumbar spine strain."
    ("thoracic spine strain/bilateral parascapular strain",
     ("thoracic spine strain/parascapular strain", "thoracic")),
    ("right hand contusion/laceration", ("hand contusion/laceration", "wrist_hand")),
    # CM16-0237844: "being treated for low back pain wit sciatica, bilateral knee pain"
    ("bilateral knee pain", ("knee pain", "knee")),
    # CM17-0003623: "… cervical sprain and strain, bilateral shoulder strain and
    # sprain with impingement, …"
    ("bilateral shoulder strain and sprain with impingement", ("shoulder sprain/strain with impingement", "shoulder")),
    # CM17-0006287: "bilateral lumbar radiculitis and 3mm disc protrusion at L4-5 …"
    ("bilateral lumbar radiculitis and 3mm disc protrusion at L4-5 with lateral recess and foraminal stenosis",
     ("lumbar radiculitis and 3mm disc protrusion at l4-5 with lateral recess and foraminal stenosis", "lumbar")),
    # CM16-0231884: "undergoing treatment for major depressive disorder, …"
    ("major depressive disorder", ("major depressive disorder", None)),
    # CM17-0013625: "… low back pain, anxiety disorder, pain in bilateral hands …"
    ("low back pain", ("low back pain", "lumbar")),
])
def test_condition_of_a_diagnosis(diagnosis, expected):
    assert condition(diagnosis) == expected


@pytest.mark.parametrize("spellings", [
    # sprain/strain in every order and joint: CM16-0231745 "lumbar spine
    # sprain/strain", CM16-0237163 "lumbar sprain strain", CM17-0019066
    # "lumbar sprain-strain", CM17-0005418 "a lumbar sprain- strain"; and the
    # letters' other orders
    ["lumbar sprain/strain", "lumbar sprain strain", "lumbar sprain-strain", "lumbar sprain- strain",
     "Lumbar strain/sprain", "lumbar strain and sprain", "lumbar sprains and strains", "LUMBAR SPRAIN / STRAIN"],
    # CM17-0003623 "cervical sprain and strain"
    ["cervical sprain and strain", "Cervical sprain/strain", "cervical strain/sprain"],
    # CM17-0010021 "left knee strain", CM17-0011992 "right knee strain"
    ["left knee strain", "right knee strain", "Bilateral knee strain", "Rt knee strain", "L knee strain"],
    # CM17-0015849 "contusion of the left shoulder subsequent encounter",
    # CM17-0009996 "contusion of the right shoulder"
    ["contusion of the left shoulder subsequent encounter", "contusion of the right shoulder",
     "Contusion of right shoulder, initial encounter"],
    # CM16-0240259 "right- sided carpal tunnel syndrome" (extracted as
    # "right-sided carpal tunnel syndrome"); CM16-0230651 "carpal tunnel syndrome"
    ["right-sided carpal tunnel syndrome", "carpal tunnel syndrome", "Bilateral CTS", "CTS, left",
     "1. Carpal tunnel syndrome (G56.01)", "carpal tunnel syndrome (CTS)"],
    # CM16-0233904 "lumbar degenerative disc disease"
    ["lumbar degenerative disc disease", "Lumbar DDD", "lumbar  degenerative disc disease."],
    # CM17-0005246 "sprain of ligaments of lumbar spine", CM17-0005177 "sprain
    # of ligaments of the lumbar spine"
    ["sprain of ligaments of lumbar spine", "sprain of ligaments of the lumbar spine"],
    # CM17-0019218 "status post foreign body excision right thumb"
    ["status post foreign body excision right thumb", "S/P foreign body excision Lt thumb"],
    # CM17-0007857 "rule out cervical and lumbar spine herniated nucleus pulposus"
    ["rule out cervical and lumbar spine herniated nucleus pulposus", "R/O cervical and lumbar spine HNP"],
    # CM17-0007142 "right shoulder full thickness rotator cuff tear"
    ["right shoulder full thickness rotator cuff tear", "Left shoulder full thickness RCT"],
    # CM17-0013320: "chronic low back pain (LBP)"
    ["chronic low back pain (LBP)", "chronic LBP", "Chronic low back pain"],
])
def test_spellings_of_one_condition_give_one_condition(spellings):
    assert len({condition(s) for s in spellings}) == 1, [condition(s) for s in spellings]


@pytest.mark.parametrize("diagnosis, expected", [
    ("S/P L4-5 fusion", ("status post l4-5 fusion", "lumbar")),
    ("DDD C/S", ("degenerative disc disease cervical spine", "cervical")),
    ("L/S sprain/strain", ("lumbosacral sprain/strain", "lumbar")),
    ("OA of the R knee", ("osteoarthritis of knee", "knee")),
    ("DJD bilat knees", ("degenerative joint disease knees", "knee")),
    ("CRPS of the left upper extremity", ("complex regional pain syndrome of upper extremity", "upper_extremity")),
    ("GERD", ("gastroesophageal reflux disease", None)),
    ("TBI", ("traumatic brain injury", "head")),
    ("PTSD", ("post-traumatic stress disorder", None)),
    ("Lumbar radiculopathy w/ HNP L5-S1", ("lumbar radiculopathy with herniated nucleus pulposus l5-s1", "lumbar")),
    ("DDD/HNP C5-6", ("degenerative disc disease/herniated nucleus pulposus c5-6", "cervical")),
    ("C-spine strain", ("cervical spine strain", "cervical")),
])
def test_abbreviations_are_written_out(diagnosis, expected):
    assert condition(diagnosis) == expected


@pytest.mark.parametrize("diagnosis, expected", [
    ("load-bearing pain", "load-bearing pain"),          # "oa" only as a word
    ("bolt injury", "bolt injury"),                      # nor "lt"
    ("3.5 mm disc protrusion", "3.5 mm disc protrusion"),  # a measure, not numbering
    ("T12 compression fracture", "t12 compression fracture"),  # a level, not an ICD code
    ("HNP L 4-5", "herniated nucleus pulposus l 4-5"),   # the L of a level is not "left"
    ("left ventricular hypertrophy", "left ventricular hypertrophy"),  # a chamber, not a side
    ("Right", "right"),                                  # nothing but a side: kept as written
])
def test_what_is_not_an_abbreviation_numbering_or_side_stays(diagnosis, expected):
    assert condition(diagnosis)[0] == expected


def test_two_regions_are_multiple():
    # CM17-0019066: "Diagnoses include thoracic sprain-strain and lumbar sprain-strain, …"
    assert condition("thoracic sprain-strain and lumbar sprain-strain") == (
        "thoracic sprain/strain and lumbar sprain/strain", "multiple")
