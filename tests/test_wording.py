"""The template's wording (imr_etl/wording.py) against the grammar's terminals.

The normalizer, the parser's messages, the transformer and the synthetic
corpus take the template's words from imr_etl/wording.py; the grammar
(grammars/*.lark) spells them again in its terminals.  Here the grammar is
loaded with Lark and each terminal is matched against the words it must
read, as the grammar spells it (case and all), so that a word changed in
one place and not the other fails.
"""

from __future__ import annotations

import re

import pytest
from lark.lexer import PatternRE

from helpers import REAL, SEEDS
from imr_etl import wording
from imr_etl.normalize import normalize
from imr_etl.parse import parser

TERMINALS = {terminal.name: terminal.pattern for terminal in parser(None).terminals}
_FLAGS = {"i": re.I, "m": re.M, "s": re.S, "x": re.X, "u": re.U}


def _regex(name: str, ignore_case: bool = False) -> re.Pattern:
    """A terminal's regex; case-sensitive unless asked, to compare spellings
    (a terminal made of others carries their flags inline, "(?i:…)")."""
    pattern = TERMINALS[name]
    value = pattern.value if isinstance(pattern, PatternRE) else re.escape(pattern.value)
    if not ignore_case:
        value = value.replace("(?i:", "(?:")
    flags = [_FLAGS[flag] for flag in pattern.flags if ignore_case or flag != "i"]
    return re.compile(value, sum(flags))


def _alternatives(name: str) -> set[str]:
    """The words of a terminal's first list of alternatives, "(?:A|B|C)"."""
    return set(re.search(r"\(\?:((?:[^()|]+\|)+[^()|]+)\)", TERMINALS[name].value).group(1).split("|"))


# Each terminal and the text it must read whole: the template's words, with
# what the terminal reads around them where it needs more.
READS = [
    ("_HOW_HEADING", wording.HOW_HEADING),
    ("_SUMMARY_HEADING", wording.SUMMARY_HEADING),
    ("_ISSUES_HEADING", wording.ISSUES_HEADING),
    # a heading's line, and so on: the terminal with its line end
    ("_HOW_HEADING_LINE", wording.HOW_HEADING + "\n"),
    ("_SUMMARY_HEADING_LINE", wording.SUMMARY_HEADING + "\n"),
    ("_ISSUES_HEADING_LINE", wording.ISSUES_HEADING + "\n"),
    ("_CREDENTIALS_LINE", wording.CREDENTIALS + "\n"),
    ("_SUMMARY_INTRO_LINE", wording.SUMMARY_INTRO + " based on a review:\n"),
    ("_ISSUES_INTRO_LINE", wording.ISSUES_INTRO + " items/services set forth below:\n"),
    # a header field: its label and its value
    *[("KNOWN_FIELD", label + ": x") for label in wording.HEADER_LABELS],
    *[("KNOWN_FIELD_LINE", label + ": x\n") for label in wording.HEADER_LABELS],
    ("BOARD_CERTIFIED", wording.BOARD_CERTIFIED),
    ("_LICENSED_IN", wording.LICENSED_IN),
    ("_SUBSPECIALTY_IN", ", " + wording.SUBSPECIALTY_IN),
    ("_PRACTICE_IN", " and " + wording.PRACTICE_IN),
    ("_CREDENTIALS", wording.CREDENTIALS),
    ("_LICENSURE", wording.LICENSURE_LABEL),
    ("_SPECIALTY", wording.SPECIALTY_LABEL),
    ("LICENSURE_LINE", wording.LICENSURE_LABEL + " Texas,New York,California\n"),
    ("SPECIALTY_LINE", wording.SPECIALTY_LABEL + " Preventive Medicine, Occupational Medicine\n"),
    # the sentence runs on to a colon: "… summary based on a review of the case file, …:"
    ("_SUMMARY_INTRO", wording.SUMMARY_INTRO + " based on a review:"),
    ("_ISSUES_INTRO", wording.ISSUES_INTRO + " items/services set forth below:"),
    # the grammar spells the decision in lower case (and reads any case)
    *[("DECISION", word.lower()) for word in wording.DECISIONS],
    *[("SERVICE_DECISION", "Acupuncture, eight visits: " + word.lower()) for word in wording.DECISIONS],
    ("_WAS_ORIGINAL", wording.WAS_ORIGINAL),
    ("_WAS_AUTHORIZED", wording.WAS_AUTHORIZED),
    ("_CA_AUTHORIZED", wording.CA_AUTHORIZED),
    ("_LEAVING_ELIGIBLE", ", " + wording.LEAVING_ELIGIBLE),
    ("_REMAINING_PORTION", wording.REMAINING_PORTION),
    ("_ORIGINAL_NOW", wording.ORIGINAL_NOW),
    ("_CLAIMS_LABEL", wording.CLAIMS_LABEL),
    ("_NL_CLAIMS_LABEL", "\n" + wording.CLAIMS_LABEL),
    *[("_REVIEWER_LABEL", label) for label in wording.REVIEWER_LABELS],
    # the label and the rationale after it, to the line end
    ("RATIONALE", wording.RATIONALE_LABEL + " Per the guidelines.\n"),
    ("NL_RATIONALE", "\n" + wording.RATIONALE_LABEL + " Per the guidelines.\n"),
    ("citation__MTUS_BASED", wording.MTUS_BASED),
    ("citation__NON_MTUS_BASED", wording.NON_MTUS_BASED),
    ("citation__NO_EVIDENCE", "The Claims Administrator " + wording.NO_EVIDENCE),
    ("citation__OUTSIDE_MTUS", "The Expert Reviewer " + wording.OUTSIDE_MTUS),
    ("citation__OUTSIDE_MTUS", "The Claims Administrator " + wording.NOT_BASED_ON_MTUS),
]


@pytest.mark.parametrize("name, text", READS, ids=[f"{n}:{t[:30]}" for n, t in READS])
def test_each_terminal_reads_the_template_words_as_it_spells_them(name, text):
    assert _regex(name).fullmatch(text), f"{name} /{TERMINALS[name].value}/ does not read {text!r}"


def test_the_reviewers_qualifications_read_as_the_template_writes_them():
    # "The expert reviewer is Board Certified in Occupational Medicine, has a
    # subspecialty in Interventional Spine and is licensed to practice in California."
    for lead in (wording.BOARD_CERTIFIED, wording.LICENSED_IN):
        sentence = (f"{wording.REVIEWER_IS} {lead} Occupational Medicine, {wording.SUBSPECIALTY_IN} "
                    f"Interventional Spine and {wording.PRACTICE_IN} California.")
        assert _regex("_QUALIFICATION_LEAD").match(sentence).group() == wording.REVIEWER_IS + " "


def test_the_grammars_header_labels_are_the_templates():
    # KNOWN_FIELD lists every label the transformer maps to a key; OTHER_FIELD
    # (a label kept under "other") and HEADER_PREAMBLE (text before the first
    # label) list some of them, and must read none as another label.
    assert _alternatives("KNOWN_FIELD") == set(wording.HEADER_LABELS)
    assert _alternatives("HEADER_LINE") == set(wording.HEADER_LABELS)  # (the fields again, as one token)
    assert _alternatives("OTHER_FIELD") <= set(wording.HEADER_LABELS)
    assert _alternatives("HEADER_PREAMBLE") <= set(wording.HEADER_LABELS)
    for label in wording.HEADER_LABELS:
        assert not _regex("OTHER_FIELD", ignore_case=True).match(label + ":"), label
    # A field's value ends where any label starts (its regex lists them again).
    for label in [*wording.HEADER_LABELS, "Claim Number"]:
        field = _regex("KNOWN_FIELD", ignore_case=True).match(f"Case Number: CM16-0219557 {label}: x")
        assert field.group() == "Case Number: CM16-0219557 ", label


def test_the_grammars_lists_of_names_are_the_templates():
    assert {name + " guideline:" for name in _alternatives("_REVIEWER_LABEL")} == set(wording.REVIEWER_LABELS)
    assert _alternatives("DECISION") == {word.lower() for word in wording.DECISIONS}


def _template_words() -> set[str]:
    words = set()
    for name, value in vars(wording).items():
        if name.isupper():
            words.update([value] if isinstance(value, str) else value)
    return words


def test_every_word_of_the_template_is_checked_against_the_grammar():
    texts = [text for _, text in READS] + [wording.REVIEWER_IS]
    unchecked = {word for word in _template_words()
                 if not any(word in text or word.lower() in text for text in texts)}
    assert not unchecked, f"add these to READS: {unchecked}"


def test_the_template_words_are_printed_so_in_the_letters():
    # e.g. CM16-0219557: "Claims Administrator guideline: Decision based on MTUS
    # Chronic Pain Medical Treatment Guidelines …"
    texts = [normalize(path.read_bytes()).text for path in REAL + SEEDS]
    missing = {word for word in _template_words() if not any(word in text for text in texts)}
    # Read by the grammar, printed by none of the samples.
    assert missing == {"IMR Case Number", "Expert Reviewer guideline:"}
