"""Diagnoses as conditions: one normalized spelling per condition (case,
spacing, abbreviations, side) and the body region it names, so that the
warehouse can group its (letter, diagnosis) rows by condition.

The rule is docs/record.md, Conditions; the abbreviations are
``imr_etl/vocab/condition_abbreviations.csv``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from imr_etl import classify, vocabulary

# "1. ", "2) ", "(3) ", "#4 ", "a) " before a diagnosis of a numbered list
# (not the "3." of "3.5 mm disc protrusion").
_NUMBERING = re.compile(r"^(?:\(?\d{1,2}[.)]|#\d{1,2}[.):]?|\(?[a-z]\))(?:\s+|(?=[a-z]))")
# An ICD code with its decimals ("M54.16", "(847.2)", "ICD9 337.2"): the
# diagnosis's number, not its words.  A spine level (T12, L4-5) has no
# decimal point and stays.
_ICD = re.compile(r"\(?\b(?:icd(?:-?(?:9|10))?(?:-cm)?\s*:?\s*)?(?:[a-z]\d{2}|\d{3})\.[0-9a-z]{1,4}\b\)?")
# "low back pain (LBP)": the letter names the abbreviation it will use.
_GLOSS = re.compile(r"\s*\(([^()]+)\)")
# Sprain and strain are named together in either order and several ways:
# "sprain/strain", "strain-sprain", "sprain strain", "strains and sprains".
_SPRAIN_STRAIN = re.compile(r"\b(sprain|strain)s?(?:\s*[/-]\s*|\s+(?:and\s+|&\s+)?)(?!\1)(?:sprain|strain)s?\b")
# The side says where, not what: "right shoulder impingement" and "bilateral
# shoulder impingement" are one condition.  (The heart's left and right
# chambers are anatomy, not a side.)
_SIDE = re.compile(r"\b(?:left|right|bilateral(?:ly)?)(?:[- ]sided)?\b(?!\s+(?:ventric|atri|heart|bundle))")
# Letters write "sprain of the ligaments of the cervical spine", ICD-10
# "sprain of ligaments of cervical spine".
_ARTICLE = re.compile(r"\bthe\b")
# ICD-10's seventh character, written out: the encounter, not the condition.
_ENCOUNTER = re.compile(r"(?:[\s,;]+|-)(?:(?:initial|subsequent)(?: encounter)?|sequela)$")

# Tidying after words are replaced or dropped.
_SLASH = re.compile(r"\s*/\s*")
_SPACE_BEFORE = re.compile(r"\s+(?=[,;:)])")
_SPACE_AFTER = re.compile(r"(?<=\()\s+")
_REPEATED = re.compile(r"([,;])(?:\s*[,;])+")
# A mark left alone by a dropped word: "strain/bilateral parascapular strain",
# "shoulder pain right' right arm numbness".
_STRAY = re.compile(r"(?<=\s)['\"*-]+(?=\s|$)")
_EDGES = " .,;:-'\"*"


@cache
def _abbreviations() -> tuple[re.Pattern, dict[str, str]]:
    """One pattern for every abbreviation, longest first ("w/o" before
    "w/"), as a whole word: "oa" is not the "oa" of "load-bearing", "lt" not
    the end of "bolt"; a slash parts words ("DDD/HNP", "w/HNP")."""
    table = {row["abbreviation"].lower(): row["expansion"].lower()
             for row in vocabulary.rows("condition_abbreviations.csv")}
    words, other = [], []  # starting with a letter or digit, or not
    for word in sorted(table, key=len, reverse=True):
        after = r"(?![\w-])" if word[-1].isalnum() else ""
        if len(word) == 1:  # the R of "R knee", but not the L of "L 4-5"
            after = r"(?=\s+[a-z])"
        (words if word[0].isalnum() else other).append(re.escape(word) + after)
    # The look-behind once, before the alternatives, not in each: the regex
    # engine then tests it once a position, not once a branch (30 times faster
    # on a diagnosis; what starts with a letter can only match where that holds).
    branches = [r"(?<![\w-])(?:%s)" % "|".join(words)] if words else []
    return re.compile("|".join(branches + other)), table


def _expanded(text: str) -> str:
    pattern, table = _abbreviations()

    def gloss(match: re.Match) -> str:
        said = table.get(match.group(1).strip())
        return "" if said and match.string[: match.start()].endswith(said) else match.group(0)

    return pattern.sub(lambda m: " " + table[m.group(0)] + " ", _GLOSS.sub(gloss, text))


def _squashed(text: str) -> str:
    text = _REPEATED.sub(r"\1", " ".join(_STRAY.sub("", text).split()))
    text = _SLASH.sub("/", _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", text)))
    return text.replace("()", "").strip(_EDGES)


# Cached: a corpus names the same diagnoses ("lumbar strain") letter after letter.
@lru_cache(maxsize=8192)
def condition(diagnosis: str) -> tuple[str, str | None]:
    """(condition, body_region) of one diagnosis as the letter writes it:
    "DDD C/S" → ("degenerative disc disease cervical spine", "cervical")."""
    plain = _NUMBERING.sub("", " ".join(diagnosis.lower().split()).strip(_EDGES))
    text = _expanded(_SLASH.sub("/", _ICD.sub(" ", plain)))
    text = _ARTICLE.sub(" ", _SIDE.sub(" ", _SPRAIN_STRAIN.sub("sprain/strain", text)))
    text = _squashed(_ENCOUNTER.sub("", _squashed(text))) or plain  # "right": a side only
    return text, classify.body_region(text)
