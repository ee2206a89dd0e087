"""Guideline citation rules, on the citation lines of the letters."""

from __future__ import annotations

from imr_etl.letters import parse_text

TEMPLATE = """HOW THE IMR FINAL DETERMINATION WAS MADE
MAXIMUS Federal Services sent the complete case file to an expert reviewer.
CLINICAL CASE SUMMARY
The patient is a 50 year old male.
IMR ISSUES, DECISIONS AND RATIONALES
Physical therapy, six visits: Upheld
Claims Administrator guideline: {claims}
MAXIMUS guideline: {reviewer}
Decision rationale: Not medically necessary.
"""


def cite(claims: str, reviewer: str = "The Expert Reviewer did not cite any medical evidence for its decision.") -> list[dict]:
    text = TEMPLATE.format(claims=claims, reviewer=reviewer)
    return parse_text(text.encode(), text.encode())["items"][0]["citations"]


def short(citations: list[dict]) -> list[tuple]:
    return [(c["source"], c["document"], c["topic"], c["pages"], c["section"]) for c in citations]


def test_seed_line_mtus_and_odg_is_two_citations():
    # seed 001, item 1, MAXIMUS guideline
    got = cite("Decision based on MTUS Chronic Pain Treatment Guidelines Manual therapy & manipulation "
               "Page(s): 58-60. Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) "
               "Low Back - Lumbar & Thoracic (Acute & Chronic), Chiropractic, Manipulation.")
    assert short(got) == [
        ("MTUS", "Chronic Pain Treatment Guidelines", "Manual therapy & manipulation", "58-60", None),
        ("ODG", "Official Disability Guidelines (ODG)",
         "Low Back - Lumbar & Thoracic (Acute & Chronic), Chiropractic, Manipulation", None, None),
    ]
    assert [c["cited_by"] for c in got] == ["claims_administrator", "claims_administrator"]


def test_no_medical_evidence_is_no_citation():
    assert cite("The Claims Administrator did not cite any medical evidence for its decision.") == []


def test_regulation_section_and_pages_words():
    # seed 004, item 1, MAXIMUS guideline
    got = cite("Decision based on MTUS Chronic Pain Treatment Guidelines 9792.24.1. Acupuncture Medical "
               "Treatment Guideline, pages 8-9.")
    assert short(got) == [("MTUS", "Chronic Pain Treatment Guidelines",
                           "Acupuncture Medical Treatment Guideline", "8-9", "9792.24.1")]


def test_a_non_mtus_statement_of_pages_alone_is_a_citation_of_those_pages():
    # The grammar reads a Non-MTUS statement whose text is only a page list; the
    # citation keeps the pages and names no document (it crashed the parse).
    got = cite("Decision based on Non- MTUS: Page(s): 58-60.")
    assert short(got) == [("OTHER", None, None, "58-60", None)]


def test_page_list_then_another_document():
    # seed 004, item 1, Claims Administrator guideline
    got = cite("Decision based on MTUS ACOEM Page(s): 114,Acupuncture Treatment Guidelines.")
    assert short(got) == [("MTUS", "ACOEM", None, "114", None),
                          ("MTUS", "Acupuncture Treatment Guidelines", None, None, None)]


def test_template_placeholders_keep_their_topic():
    # seed 003, item 2, MAXIMUS guideline
    got = cite("Decision based on MTUS Acupuncture Treatment Guidelines. Decision based on Non-MTUS "
               "Citation Official Disability Guidelines (ODG) <Insert Section (Low back pain)>, "
               "<Insert Topic (Infrared))>")
    assert short(got)[1] == ("ODG", "Official Disability Guidelines (ODG)", "Low back pain, Infrared", None, None)


def test_section_lists_of_several_mtus_documents():
    # CM16-0219557, MAXIMUS guideline
    got = cite("Decision based on MTUS Low Back Complaints 2004, Section(s): Summary, and Chronic Pain "
               "Medical Treatment 2016, Section(s): Facet blocks.  Decision based on Non-MTUS Citation "
               "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607.")
    assert short(got) == [
        ("MTUS", "Low Back Complaints 2004", "Summary", None, None),
        ("MTUS", "Chronic Pain Medical Treatment 2016", "Facet blocks", None, None),
        ("ACOEM", "ACOEM Occupational Medicine Practice Guidelines, 3rd ed", "Low Back Disorders", "607", None),
    ]


def test_and_inside_a_document_name_is_not_a_separator():
    # CM16-0228949: "Forearm, Wrist, and Hand Complaints 2004"
    got = cite("Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004, Section(s): "
               "Work-Relatedness, and Postsurgical Treatment 2009, Section(s): Forearm, Wrist, & Hand.")
    assert short(got) == [
        ("MTUS", "Forearm, Wrist, and Hand Complaints 2004", "Work-Relatedness", None, None),
        ("MTUS", "Postsurgical Treatment 2009", "Forearm, Wrist, & Hand", None, None),
    ]


def test_outside_mtus_sentence_and_urls():
    # CM16-0229336, MAXIMUS guideline
    got = cite("The Expert Reviewer based their decision on recommendation(s) outside of the MTUS "
               "Guidelines. Decision based on Non-MTUS Citation http://www.slideshare.net/a/b-c, "
               "https://medicalinsider.holy-cross.com/acute-inpatient.")
    assert short(got) == [("OTHER", "http://www.slideshare.net/a/b-c", None, None, None),
                          ("OTHER", "https://medicalinsider.holy-cross.com/acute-inpatient", None, None, None)]


def test_non_mtus_citation_of_mtus_text_is_mtus():
    # seed 002, Claims Administrator guideline
    got = cite("The Claims Administrator did not base their decision on the MTUS.  Decision based on "
               "Non-MTUS Citation MTUS: CHRONIC PAIN MEDICAL TREATMENT GUIDELINES, MASSAGE THERAPY,")
    assert short(got) == [("MTUS", "CHRONIC PAIN MEDICAL TREATMENT GUIDELINES", "MASSAGE THERAPY", None, None)]


def test_ama_guides_topic_in_parentheses():
    # seed 004, item 2, Claims Administrator guideline
    got = cite("Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 46.  Decision based on "
               "Non-MTUS Citation AMA Guides (Radiculopathy).")
    assert short(got) == [("MTUS", "Chronic Pain Treatment Guidelines", None, "46", None),
                          ("AMA", "AMA Guides", "Radiculopathy", None, None)]


def test_semicolon_continues_the_same_guideline():
    # CM17-0016666, Claims Administrator guideline
    got = cite("The Claims Administrator based their decision on recommendation(s) outside of the MTUS "
               "Guidelines. Decision based on Non-MTUS Citation Official Disability Guidelines, Shoulder "
               "(updated 12/12/16); ODG, Low Back (updated 12/20/16).")
    assert short(got) == [("ODG", "Official Disability Guidelines", "Shoulder (updated 12/12/16)", None, None),
                          ("ODG", "ODG", "Low Back (updated 12/20/16)", None, None)]


def test_reviewer_citations_follow_the_claims_administrators():
    got = cite("Decision based on MTUS Acupuncture Treatment Guidelines.",
               "Decision based on MTUS Chronic Pain Treatment Guidelines Massage therapy Page(s): 60.")
    assert [(c["cited_by"], c["topic"]) for c in got] == [("claims_administrator", None),
                                                          ("reviewer", "Massage therapy")]


def test_a_reference_in_bibliographic_form_is_a_citation_of_its_own():
    # CM17-0005344, item 1, Claims Administrator guideline: the ODG topic runs
    # straight on into a reference to ACOEM's guidelines by their editor
    got = cite("Decision based on MTUS Low Back Complaints 2004, Section(s): Physical Methods. Decision based on "
               "Non-MTUS Citation Official Disability Guidelines (ODG), Low back, Lumbar & Thoracic (Acute & "
               "Chronic) - Manipulation Harris J. Occupational medicine practice guidelines, 2nd edition "
               "(2004) p 301.")
    assert short(got) == [
        ("MTUS", "Low Back Complaints 2004", "Physical Methods", None, None),
        ("ODG", "Official Disability Guidelines (ODG)",
         "Low back, Lumbar & Thoracic (Acute & Chronic) - Manipulation", None, None),
        ("ACOEM", "Occupational medicine practice guidelines, 2nd edition (2004)", None, "301", None),
    ]
    assert got[2]["guideline_id"] == "acoem/practice-guidelines/2nd"


def test_a_capital_and_an_initial_that_are_no_author_split_nothing():
    # "Section A." / "Appendix B." name parts of a document, not an author
    got = cite("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Pain (Chronic), "
               "Appendix B. Formulary.")
    assert len(got) == 1 and got[0]["source"] == "ODG"
