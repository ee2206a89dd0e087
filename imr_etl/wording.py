"""The fixed wording of the Final Determination Letter template, defined once.

Every letter prints the same headings, labels and stock sentences around its
own text.  The normalizer finds line starts by them, the grammar's terminals
read them, the parser names them in error messages, the transformer maps the
header labels to record keys and the synthetic corpus writes them: all take
them from here.  ``grammars/letter.lark`` and ``grammars/citation.lark`` stay
grammar files, so they spell the words again; tests/test_wording.py loads
the grammar and checks each terminal against the words below, so the two
cannot drift apart.

A change of wording (a new label, another spelling of a heading) is made
here and in the terminal that reads it; the test says which one.
"""

from __future__ import annotations

# --------------------------------------------------------------- headings
# The three section headings, in letter order.  Each stands on a line alone.
HOW_HEADING = "HOW THE IMR FINAL DETERMINATION WAS MADE"
SUMMARY_HEADING = "CLINICAL CASE SUMMARY"
ISSUES_HEADING = "IMR ISSUES, DECISIONS AND RATIONALES"
HEADINGS = (HOW_HEADING, SUMMARY_HEADING, ISSUES_HEADING)

# ----------------------------------------------------------------- header
# "Case Number: CM16-0219557 Date Assigned: 11/18/2016 …": each label as
# printed (it is followed by a colon) → its key in the record's header
# (docs/record.md).  In record-key order; a key's first label is the one
# the published template prints.
HEADER_LABELS = {
    "Case Number": "case_number",
    "IMR Case Number": "case_number",
    "Date Assigned": "date_assigned",
    "Date of Injury": "injury_date",
    "Decision Date": "decision_date",
    "UR Denial Date": "ur_denial_date",
    "Priority": "priority",
    "Application Received": "application_received",
}

# --------------------------------------------------------------- reviewer
# The narrative form: "The expert reviewer is Board Certified in Occupational
# Medicine, has a subspecialty in Interventional Spine and is licensed to
# practice in California."  (The template's own "Board Certified in" and
# "licensed in" lead the specialty.)
REVIEWER_IS = "The expert reviewer is"
BOARD_CERTIFIED = "Board Certified in"
LICENSED_IN = "licensed in"
SUBSPECIALTY_IN = "has a subspecialty in"
PRACTICE_IN = "is licensed to practice in"

# The credentials form: the sentence, then two labelled lists.
CREDENTIALS = "The Expert Reviewer has the following credentials:"
LICENSURE_LABEL = "State(s) of Licensure:"
SPECIALTY_LABEL = "Certification(s)/Specialty:"

# ---------------------------------------------------------------- summary
# The sentence before the summary; its end varies ("… based on a review of
# the case file, including all medical records:"), up to a colon.
SUMMARY_INTRO = "The expert reviewer developed the following clinical case summary"

# ------------------------------------------------------------------ items
# The sentence before the items; its end varies as the summary's does.
ISSUES_INTRO = "The Final Determination was based on decisions for the disputed"

# An item's heading ends in its decision: "Acupuncture, eight visits: Upheld".
UPHELD = "Upheld"
OVERTURNED = "Overturned"
DECISIONS = (UPHELD, OVERTURNED)

# A partial authorization is one heading of three sentences, in either form:
#   "<original> was the original request. <authorized> was authorized by the
#    Claims Administrator. The remaining IMR eligible portion of the original
#    request, <remaining> is: Upheld"
#   "<original> was the original request. The Claims Administrator authorized
#    <authorized>, leaving the original request IMR eligible. The original
#    request, <original> is: Upheld"
WAS_ORIGINAL = "was the original request."
WAS_AUTHORIZED = "was authorized by the Claims Administrator."
CA_AUTHORIZED = "The Claims Administrator authorized"
LEAVING_ELIGIBLE = "leaving the original request IMR eligible."  # after a comma
REMAINING_PORTION = "The remaining IMR eligible portion of the original request,"
ORIGINAL_NOW = "The original request,"

# The labels that start an item's paragraphs.  The reviewer's guideline is
# labelled by the review organization's name or by the reviewer; the first
# is the published template's.
CLAIMS_LABEL = "Claims Administrator guideline:"
REVIEWER_LABELS = ("MAXIMUS guideline:", "Expert Reviewer guideline:")
RATIONALE_LABEL = "Decision rationale:"

# ------------------------------------------------- guideline statements
# How a guideline paragraph's statements begin (grammars/citation.lark), and
# the two stock sentences of a paragraph that cites no guideline, after
# "The Claims Administrator" or "The Expert Reviewer".
MTUS_BASED = "Decision based on MTUS"
NON_MTUS_BASED = "Decision based on Non-MTUS Citation"
NO_EVIDENCE = "did not cite any medical evidence for its decision."
OUTSIDE_MTUS = "based their decision on recommendation(s) outside of the MTUS Guidelines."
NOT_BASED_ON_MTUS = "did not base their decision on the MTUS."
