"""Service lines → taxonomy, quantity and body region, as docs/record.md
states them; most lines are quoted from the sample letters."""

from __future__ import annotations

import pytest

from imr_etl.classify import body_region, quantity, treatment


@pytest.mark.parametrize("service, expected", [
    ("Norco 10/325mg #35", ("pharmaceuticals", "opioids")),
    ("Tylenol #3 #60", ("pharmaceuticals", "opioids")),
    ("Gabapentin 10%, Cyclobenzaprine 6%, Bupivacaine 5% in cream base", ("pharmaceuticals", "topical_analgesics")),
    ("Myofascial release to the low back two times a week times six weeks", ("rehabilitation", "massage")),
    ("Associated surgical service: Cold compression therapy 30 day rental", ("dmepos", "hot_cold_therapy")),
    ("Purchase of a knee brace", ("dmepos", "orthotics")),
    ("purchase of a bedside 3 in 1 commode", ("dmepos", "mobility_aids")),
    ("Hospital bed for an unspecified rental", ("dmepos", "other_dme")),
    ("Right shoulder arthroscopy RCR (rotator cuff repair) and decompression", ("surgery", "shoulder")),
    ("MR Arthrogram of the right shoulder", ("diagnostic_tests", "mri")),
    ("Diagnostic ultrasound of the right shoulder", ("diagnostic_tests", "ultrasound_imaging")),
    ("Sacroiliac joint injection", ("injections", "joint")),
    ("Acute inpatient rehabilitation physical therapy and occupational therapy 7-10 days",
     ("rehabilitation", "physical_therapy")),
    # CM17-0009441: ODG files it under Fitness for Duty; a test of function, not a consultation
    ("Functional capacity evaluation", ("diagnostic_tests", "other_diagnostic")),
])
def test_treatment(service, expected):
    assert treatment(service) == expected


def test_a_vague_service_takes_its_subcategory_from_the_cited_topic():
    # seed 004: "Cervical injection times 2", the reviewer cites "Epidural steroid injections (ESIs)"
    assert treatment("Cervical injection times 2") == ("injections", "other_injections")
    assert treatment("Cervical injection times 2", "Epidural steroid injections (ESIs)") == ("injections", "epidural")


@pytest.mark.parametrize("service, expected", [
    ("Acupuncture, eight visits", (8, "visits")),
    ("Eight (8) physical therapy sessions", (8, "sessions")),
    ("two sessions per week for six weeks", (12, "sessions")),
    ("Physical therapy additional 3 visits per week for 2 weeks", (6, "visits")),
    ("Physical therapy 2-3 times a week for 6 weeks", (18, "sessions")),
    ("Two refills of Ibuprofen 600mg #90", (2, "refills")),
    ("Oxycodone HCL ER 20mg #60 day supply: 30", (60, "units")),
    ("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40", (40, "units")),
    ("Diazepam (Valium) 5mg take 1 tab orally 1 hour before exam", (None, None)),
    ("Cervical injection times 2", (2, None)),
    ("Lidocaine ointment 5% 106.32gm", (None, None)),
    ("Associated surgical service: Physical Therapy sessions, 12", (12, "sessions")),
])
def test_quantity(service, expected):
    assert quantity(service) == expected


@pytest.mark.parametrize("text, expected", [
    ("MRI of the lumbar spine", "lumbar"),
    ("Physical therapy 3 times a week for 4 weeks for the lumbar spine and left shoulder", "multiple"),
    ("Cervical spine MRI without contrast", "cervical"),
    ("Acupuncture, eight visits", None),
])
def test_body_region(text, expected):
    assert body_region(text) == expected
