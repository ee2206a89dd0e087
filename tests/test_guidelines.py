"""Canonical guideline documents and topics (imr_etl/guidelines.py,
docs/record.md "Citations"): one id per document and edition however the
letters spell it, one id per topic however it is written."""

from __future__ import annotations

import re

import pytest

from helpers import REAL, SEEDS
from imr_etl import vocabulary
from imr_etl.guidelines import canonical, documents, topic_id
from imr_etl.letters import parse_file


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    return {path.stem: parse_file(path) for path in REAL + SEEDS}


@pytest.fixture(scope="module")
def citations(records) -> list[dict]:
    return [c for r in records.values() for item in r["items"] for c in item["citations"]]


def ids(record: dict, ordinal: int) -> list[tuple[str, str | None]]:
    item = next(i for i in record["items"] if i["ordinal"] == ordinal)
    return [(c["guideline_id"], c["topic_id"]) for c in item["citations"]]


def all_ids(record: dict) -> list[tuple[str, str | None]]:
    return [(c["guideline_id"], c["topic_id"]) for item in record["items"] for c in item["citations"]]


# --- the letters' spellings ---------------------------------------------------

@pytest.mark.parametrize("spell", [str.upper, str.lower, str.title], ids=["upper", "lower", "title"])
def test_every_document_spelling_of_the_letters_keeps_its_id_in_any_case(citations, spell):
    spellings = {(c["source"], c["document"]) for c in citations}
    assert len(spellings) > 30
    for source, document in spellings:
        assert canonical(source, spell(document), None)[0] == canonical(source, document, None)[0], document


@pytest.mark.parametrize("document", [
    "Official Disability Guidelines (ODG)", "Official Disability Guidelines", "ODG", "ODG Guidelines",
    "Official Disability Guidelines (ODG) 2016", "Official Disability Guidelines, 2016, Web Version"])
def test_the_six_spellings_of_odg_are_one_document(document, citations):
    assert ("ODG", document) in {(c["source"], c["document"]) for c in citations}
    assert canonical("ODG", document, None) == ("odg", None)
    assert canonical("ODG", document, "Pain (Chronic), Opioids") == ("odg/pain", "opioid")


@pytest.mark.parametrize("document, guideline_id", [
    ("Chronic Pain Medical Treatment 2016", "mtus/chronic-pain/2016"),
    ("Chronic Pain Medical Treatment 2009", "mtus/chronic-pain/2009"),
    ("Chronic Pain Treatment Guidelines", "mtus/chronic-pain"),
    ("CHRONIC PAIN MEDICAL TREATMENT GUIDELINES", "mtus/chronic-pain"),
])
def test_the_chronic_pain_guideline_is_one_document_per_edition(document, guideline_id, citations):
    assert ("MTUS", document) in {(c["source"], c["document"]) for c in citations}
    assert canonical("MTUS", document, None)[0] == guideline_id


def test_the_2009_and_2016_chronic_pain_editions_differ():
    assert (canonical("MTUS", "Chronic Pain Medical Treatment 2009", None)
            != canonical("MTUS", "Chronic Pain Medical Treatment 2016", None))


@pytest.mark.parametrize("topic", ["Massage therapy", "massage therapy", "MASSAGE", "Massage Therapy",
                                   "MASSAGE THERAPY"])
def test_massage_therapy_topics_differing_by_case_or_a_word_are_one(topic):
    got = canonical("MTUS", "Chronic Pain Treatment Guidelines", topic)
    assert got == ("mtus/chronic-pain", "massage-therapy")


@pytest.mark.parametrize("topic", ["Opioids, criteria for use", "Opioids criteria for use",
                                   "opioids, criteria for use.", "OPIOIDS, CRITERIA FOR USE"])
def test_opioid_criteria_spellings_are_one_topic(topic):
    assert topic_id(topic) == topic_id("Opioids, criteria for use")


@pytest.mark.parametrize("topic, expected", [
    ("<Insert Topic (Infrared))>", "infrared-therapy"),
    ("Platelet-rich plasma (2016)", "platelet-rich-plasma"),
    ("Knee - Platelet-rich plasma (PRP)", "knee-platelet-rich-plasma"),
    ("MRIs (magnetic resonance imaging)", "magnetic-resonance-imaging"),
    ("Magnetic resonance imaging (MRI)", "magnetic-resonance-imaging"),
    ("Cervical pillows", "cervical-pillow"),
    ("Manual therapy & manipulation", "manual-therapy-and-manipulation"),
    ("Manual therapy and manipulation;", "manual-therapy-and-manipulation"),
    ("3.3.9 Opioids for Chronic Pain", "opioid-for-chronic-pain"),
    ("Electrodiagnostic testing (EMG/NCS)", "electrodiagnostic-testing"),
    ("326", None),
    ("", None),
    (None, None),
])
def test_topic_ids(topic, expected):
    assert topic_id(topic) == expected


# --- ODG chapters -------------------------------------------------------------

@pytest.mark.parametrize("topic, chapter, rest", [
    ("Knee & Leg", "odg/knee-leg", None),
    ("Knee and Leg (Acute & Chronic)", "odg/knee-leg", None),
    ("KNEE AND LEG CHAPTER, MRI", "odg/knee-leg", "magnetic-resonance-imaging"),
    ("Low Back - Lumbar & Thoracic (Acute & Chronic), Chiropractic, Manipulation", "odg/low-back",
     "manual-therapy-and-manipulation"),
    ("Low Back (Thoracic and Lumbar, Acute and Chronic) Chapter, Epidural Steroid Injection (ESI)",
     "odg/low-back", "epidural-steroid-injection"),
    ("Lumbar & Thoracic (Acute & Chronic), MRI", "odg/low-back", "magnetic-resonance-imaging"),
    ("Pain (Chronic), Opioids", "odg/pain", "opioid"),
    ("Pain (Benzodiazepines)", "odg/pain", "benzodiazepine"),
    ("Neck & Upper Back (Acute & Chronic)", "odg/neck-upper-back", None),
    ("Neck section, Physical therapy", "odg/neck-upper-back", "physical-therapy"),
    ("Shoulder (updated 11/23/16)", "odg/shoulder", None),
    ("Elbow (Acute & Chronic), Splinting", "odg/elbow", "splinting"),
    ("Forearm, Wrist, & Hand (Acute & Chronic), Splints", "odg/forearm-wrist-hand", "splint"),
    ("Hip & Pelvis (Acute & Chronic), X-ray", "odg/hip-pelvis", "x-ray"),
    ("Ankle & Foot (Acute & Chronic), Orthotic devices", "odg/ankle-foot", "orthotic-device"),
    ("Head (trauma, headaches, etc., not including stress & mental disorders), Opioids", "odg/head", "opioid"),
    ("Mental Illness & Stress, Psychotherapy", "odg/mental-stress", "psychotherapy"),
    ("Fitness for Duty, Functional capacity evaluation (FCE)", "odg/fitness-for-duty",
     "functional-capacity-evaluation"),
    ("Preface/Physical therapy", "odg/preface", "physical-therapy"),
    ("Carpal Tunnel Syndrome (Acute & Chronic)", "odg/carpal-tunnel", None),
    ("Burns, Skin substitutes", "odg/burns", "skin-substitute"),
    ("Eye, Vision therapy", "odg/eye", "vision-therapy"),
    ("Hernia section, Imaging", "odg/hernia", "imaging"),
    ("Pulmonary (Acute & Chronic), Spirometry", "odg/pulmonary", "spirometry"),
    ("Integrated Treatment/Disability Duration Guidelines", "odg/integrated-treatment", None),
    ("Work Loss Data Institute (21th Annual Edition), 2016, Neck and Upper Back (Acute & Chronic) Chapter",
     "odg/neck-upper-back", None),
    ("Chronic pain programs (functional restoration programs)", "odg", None),
    ("Physical Therapy Guidelines", "odg", "physical-therapy-guideline"),
    (None, "odg", None),
])
def test_odg_chapters(topic, chapter, rest):
    got = canonical("ODG", "Official Disability Guidelines (ODG)", topic)
    assert got[0] == chapter
    if rest or chapter != "odg":
        assert got[1] == rest


def test_a_chapter_named_by_the_document():
    assert canonical("ODG", "ODG Low Back Chapter", "Discography") == ("odg/low-back", "discography")


def test_every_odg_chapter_is_a_document_of_its_own():
    rows = {r["guideline_id"]: r for r in documents()}
    for row in vocabulary.rows("odg_chapters.csv"):
        assert rows[row["guideline_id"]]["chapter"] == row["chapter"]
        assert canonical("ODG", "ODG", row["chapter"]) == (row["guideline_id"], None), row["chapter"]


# --- MTUS, ACOEM, AMA, others -------------------------------------------------

@pytest.mark.parametrize("document, topic, guideline_id", [
    ("ACOEM Chapter 12 Low Back Complaints", None, "mtus/low-back/2004"),
    ("ACOEM", "Chapter 8, Neck and Upper Back Complaints", "mtus/neck-upper-back/2004"),
    ("ACOEM Chapter 7 Independent Medical Examinations and Consultations", None, "mtus/general-approaches/2004"),
    ("Independent Medical Examinations and Consultations", None, "mtus/general-approaches/2004"),
    ("Elbow Disorders 2007", None, "mtus/elbow/2007"),
    ("Elbow Complaints", None, "mtus/elbow/2007"),
    ("Low Back Complaints", None, "mtus/low-back/2004"),
    ("Low Back Disorders Guideline (ACOEM February 24, 2016)", None, "mtus/low-back/2017"),
    ("Acupuncture Medical Treatment Guidelines", None, "mtus/acupuncture/2007"),
    ("Postsurgical Treatment Guidelines", None, "mtus/postsurgical/2009"),
    ("Opioid Treatment 2016", None, "mtus/opioids/2016"),
    ("Stress Related Conditions", None, "mtus/stress-related/2004"),
    ("Eye", None, "mtus/eye/2004"),
    ("MTUS", "Chronic Pain Medical Treatment Guidelines, Massage", "mtus/chronic-pain"),
    ("ACOEM", None, "mtus/acoem"),
    ("MTUS", None, "mtus"),
    (None, None, "mtus"),
])
def test_mtus_documents(document, topic, guideline_id):
    assert canonical("MTUS", document, topic)[0] == guideline_id


@pytest.mark.parametrize("source, document, guideline_id", [
    ("ACOEM", "ACOEM Occupational Medicine Practice Guidelines, 3rd ed", "acoem/practice-guidelines/3rd"),
    ("ACOEM", "ACOEM Practice Guidelines, Second Edition (2004)", "acoem/practice-guidelines/2nd"),
    ("ACOEM", "ACOEM guidelines", "acoem"),
    ("AMA", "AMA Guides", "ama/guides"),
    ("AMA", "AMA Guides to the Evaluation of Permanent Impairment, 5th Edition", "ama/guides/5th"),
    ("AMA", "American Medical Association Guides, Sixth Edition", "ama/guides/6th"),
    ("AMA", "AMA Guides to the Evaluation of Disease and Injury Causation", "ama/causation"),
    ("OTHER", "UpToDate", "other/uptodate"),
    ("OTHER", "www.mdguidelines.com", "other/mdguidelines"),
    ("OTHER", "MDGuidelines", "other/mdguidelines"),
    ("OTHER", "http://www.slideshare.net/someone/a-page", "other/slideshare-net/someone-a-page"),
    ("OTHER", "Harrison's Principles of Internal Medicine", "other/harrisons-principles-of-internal-medicine"),
])
def test_other_sources(source, document, guideline_id):
    assert canonical(source, document, None)[0] == guideline_id


# --- the letters, read --------------------------------------------------------

def test_seed_001_mtus_and_odg_manipulation(records):
    # "MAXIMUS guideline: Decision based on MTUS Chronic Pain Treatment Guidelines Manual therapy &
    # manipulation Page(s): 58-60. Decision based on Non-MTUS Citation Official Disability Guidelines
    # (ODG) Low Back - Lumbar & Thoracic (Acute & Chronic), Chiropractic, Manipulation."
    reviewer = [c for c in records["001_25fdf4b73e49114f"]["items"][0]["citations"] if c["cited_by"] == "reviewer"]
    assert [(c["guideline_id"], c["topic_id"]) for c in reviewer] == [
        ("mtus/chronic-pain", "manual-therapy-and-manipulation"),
        ("odg/low-back", "manual-therapy-and-manipulation")]


def test_seed_002_massage_twice_spelled(records):
    # claims: "Decision based on Non-MTUS Citation MTUS: CHRONIC PAIN MEDICAL TREATMENT GUIDELINES,
    # MASSAGE THERAPY"; reviewer: "Decision based on MTUS Chronic Pain Treatment Guidelines MTUS:
    # CHRONIC PAIN MEDICAL TREATMENT GUIDELINES , MASSAGE, 60."
    assert ids(records["002_492631d62f9aa392"], 1) == [("mtus/chronic-pain", "massage-therapy")] * 2


def test_seed_003_acoem_chapter_12_and_the_odg_template(records):
    # "Claims Administrator guideline: Decision based on MTUS ACOEM Chapter 12 Low Back Complaints
    # Page(s): 300."; "MAXIMUS guideline: … Non-MTUS Citation Official Disability Guidelines (ODG)
    # <Insert Section (Low back pain)>, <Insert Topic (Infrared))>"
    got = all_ids(records["003_458d8054fcc9f719"])
    assert ("mtus/low-back/2004", None) in got
    assert ("odg/low-back", "infrared-therapy") in got


def test_cm17_0006287_chronic_pain_2009(records):
    # "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment
    # 2009, Section(s): Epidural steroid injections (ESIs)."
    assert ids(records["CM17-0006287"], 1)[0] == ("mtus/chronic-pain/2009", "epidural-steroid-injection")


def test_cm16_0219557_low_back_and_acoem_third_edition(records):
    # "MAXIMUS guideline: Decision based on MTUS Low Back Complaints 2004, Section(s): Summary, and
    # Chronic Pain Medical Treatment 2016, Section(s): Facet blocks.  Decision based on Non-MTUS
    # Citation ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607."
    item = next(i for i in records["CM16-0219557"]["items"] if i["service"].startswith("Facet joint injections"))
    reviewer = [(c["guideline_id"], c["topic_id"]) for c in item["citations"] if c["cited_by"] == "reviewer"]
    assert reviewer == [("mtus/low-back/2004", "summary"), ("mtus/chronic-pain/2016", "facet-block"),
                        ("acoem/practice-guidelines/3rd", "low-back-disorder")]


def test_cm16_0229336_odg_web_version(records):
    # "Official Disability Guidelines, 2016, Web Version, Criteria for skilled nursing facility."
    got = all_ids(records["CM16-0229336"])
    assert ("odg", "criteria-for-skilled-nursing-facility") in got


def test_cm17_0009883_odg_edition_before_the_chapter(records):
    # "ODG Guidelines, 14th Edition, 2016, Knee Chapter."
    got = all_ids(records["CM17-0009883"])
    assert ("odg/knee-leg", None) in got


def test_cm16_0247802_odg_pain_chapter(records):
    # "Official Disability Guidelines (ODG), Pain (Chronic), Lidoderm (Lidocaine patch)."
    # "Official Disability Guidelines (ODG), Pain (Chronic), Cyclobenzaprine (Flexeril)."
    got = set(all_ids(records["CM16-0247802"]))
    assert {("odg/pain", "lidocaine-patch"), ("odg/pain", "cyclobenzaprine")} <= got


def test_the_record_keeps_the_citation_as_written(records):
    # "Official Disability Guidelines (ODG), Pain (Chronic), Lidoderm (Lidocaine patch)."
    cited = next(c for item in records["CM16-0247802"]["items"] for c in item["citations"]
                 if c["topic"] == "Pain (Chronic), Lidoderm (Lidocaine patch)")
    assert cited["source"] == "ODG" and cited["document"] == "Official Disability Guidelines (ODG)"


# --- the dimension ------------------------------------------------------------

def test_no_two_documents_share_an_id():
    named = [r["guideline_id"] for r in vocabulary.rows("guideline_documents.csv")]
    named += [r["guideline_id"] for r in vocabulary.rows("odg_chapters.csv")]
    assert len(named) == len(set(named))
    rows = documents()
    assert len(rows) == len({r["guideline_id"] for r in rows})
    labels = [r["label"] for r in rows]
    assert len(labels) == len(set(labels))


def test_documents_cover_every_id_of_the_samples(citations):
    known = {r["guideline_id"] for r in documents()}
    assert {c["guideline_id"] for c in citations} <= known


def test_document_rows():
    rows = {r["guideline_id"]: r for r in documents()}
    assert rows["mtus/low-back/2004"] == {
        "guideline_id": "mtus/low-back/2004", "source": "MTUS", "document": "Low Back Complaints",
        "edition": "2004", "chapter": None, "acoem_chapter": 12,
        "label": "MTUS Low Back Complaints (ACOEM ch. 12, 2004)"}
    assert rows["mtus/general-approaches/2004"]["acoem_chapter"] is None  # chapters 1-7
    assert rows["odg/pain"]["chapter"] == "Pain (Chronic)"
    assert rows["ama/guides/5th"]["edition"] == "5th"
    assert all(set(r) == {"guideline_id", "source", "document", "edition", "chapter", "acoem_chapter", "label"}
               for r in rows.values())


def test_every_name_leads_to_documents_that_exist_and_one_when_no_edition_is_stated():
    rows = {r["guideline_id"]: r for r in documents()}
    for row in vocabulary.rows("guideline_spellings.csv"):
        named = row["ids"].split()
        assert set(named) <= set(rows), row
        if len(named) > 1:
            assert sum(1 for i in named if rows[i]["edition"] is None) == 1, row
            assert all(re.fullmatch(r"[a-z0-9/-]+", i) for i in named)


def test_the_mtus_documents_of_the_acoem_chapters():
    assert {n: canonical("MTUS", f"ACOEM Chapter {n}", None)[0] for n in (1, 7, 8, 9, 10, 11, 12, 13, 14, 15)} == {
        1: "mtus/general-approaches/2004", 7: "mtus/general-approaches/2004", 8: "mtus/neck-upper-back/2004",
        9: "mtus/shoulder/2004", 10: "mtus/elbow/2007", 11: "mtus/forearm-wrist-hand/2004",
        12: "mtus/low-back/2004", 13: "mtus/knee/2004", 14: "mtus/ankle-foot/2004", 15: "mtus/stress-related/2004"}


def test_canonical_is_cached():
    canonical.cache_clear()
    canonical("ODG", "ODG", "Pain (Chronic), Opioids")
    canonical("ODG", "ODG", "Pain (Chronic), Opioids")
    assert canonical.cache_info().hits == 1



def test_an_other_citation_without_a_document_is_other_once():
    assert canonical("OTHER", None, "Something") == ("other", "something")
    assert canonical("OTHER", "...", None) == ("other", None)
    assert [r["guideline_id"] for r in documents()].count("other") == 1


def test_a_process_keeps_the_last_other_documents_it_met_not_all(monkeypatch):
    """A worker meets new "other" documents all its life: it lists the latest
    few (guidelines._MET_KEPT), so its memory does not grow with the corpus."""
    from imr_etl import guidelines

    monkeypatch.setattr(guidelines, "_MET", {})
    monkeypatch.setattr(guidelines, "_MET_KEPT", 3)
    catalogue = len(documents())
    for n in range(5):
        assert canonical("OTHER", f"https://example.org/paper-{n}.pdf", None)[0] == f"other/example-org/paper-{n}"
    listed = [r["guideline_id"] for r in documents()]
    assert len(listed) == catalogue + 3
    assert listed[-3:] == ["other/example-org/paper-2", "other/example-org/paper-3", "other/example-org/paper-4"]
