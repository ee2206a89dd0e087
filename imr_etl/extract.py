"""Facts the letter states in prose: the patient's age, sex and date of
injury, and the diagnoses, all from the clinical case summary; dates anywhere.

The grammar hands the summary over whole; these are small, anchored regular
expressions over it, each tried in order, first hit wins.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from functools import cache

from imr_etl import classify, vocabulary
from imr_etl.normalize import occurrences

# ------------------------------------------------------------------- dates

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTH_NAMES = classify.alternation(sorted(_MONTHS, key=len, reverse=True))

# 1/24/00, 10-20-2016, 10/14/ 2016 (extraction split it), October 10, 2015
DATE = re.compile(
    r"\b(?P<m>\d{1,2})\s?[/-]\s?(?P<d>\d{1,2})\s?[/-]\s?(?P<y>\d{4}|\d{2})(?!\d)"
    rf"|\b(?P<month>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)


# The letter's date, or a function that finds it: finding it can take a scan
# of the whole letter, and only a two-digit year needs it.
Reference = date | Callable[[], date | None] | None


def to_date(match: re.Match, reference: Reference = None) -> date | None:
    """A :data:`DATE` match as a date; a two-digit year takes the century
    that keeps the date on or before ``reference`` (the letter's date)."""
    if match.group("m"):
        month, day, year = int(match["m"]), int(match["d"]), match["y"]
    else:
        month, day, year = _MONTHS[match["month"].lower()], int(match["day"]), match["year"]
    if len(year) == 2:
        year = 2000 + int(year)
        limit = (reference() if callable(reference) else reference) or date.today()
        if _safe_date(year, month, day) and _safe_date(year, month, day) > limit:
            year -= 100
    return _safe_date(int(year), month, day)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str | None, reference: date | None = None) -> date | None:
    """The first date in ``text``, or None."""
    match = DATE.search(text or "")
    return to_date(match, reference) if match else None


def latest_date(text: str) -> date | None:
    """The latest four-digit-year date in ``text``: the letter's own date when
    its header is missing."""
    found = [to_date(m) for m in _dates(text) if len(m["y"] or m["year"] or "") == 4]
    found = [d for d in found if d]
    return max(found) if found else None


# Where a date can start: a run of digits, or a month's abbreviation (every
# month name begins with one).  A run's first digit is found as a digit not
# after another: a pattern that starts with one character class lets the
# regex engine skip to it ("[0-9]+" tried every character, three times slower).
_DIGIT_RUN = re.compile(r"[0-9](?<![0-9][0-9])")
_MONTH_STARTS = tuple(dict.fromkeys(name[:3] for name in _MONTHS))


def _dates(text: str):
    """``DATE.finditer(text)``, faster: the regex is tried only where a date
    can start, by ``match``, in increasing order (the first that matches is
    the leftmost match, as finditer's).  Its search tried every character of
    a whole letter: a pattern that starts with ``\\b`` and a case-insensitive
    alternation cannot skip ahead.  (On Latin-1 text only, where lower-casing
    is the regex's own case folding, one character for one, and \\d is
    [0-9]: the characters that fold to a month's letters, as "ſ" to "s", lie
    beyond it.)"""
    if not _latin1(text):
        yield from DATE.finditer(text)
        return
    starts = [m.start() for m in _DIGIT_RUN.finditer(text)] + occurrences(text.lower(), _MONTH_STARTS)
    end = 0
    for start in sorted(starts):
        if start >= end and (match := DATE.match(text, start)):
            yield match
            end = match.end()


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# ------------------------------------------------------------- age and sex

_AGE = re.compile(
    r"\b(?P<age>\d{1,3})[- ]?(?:years?[- ]old|y/o|yo|y\.o\.|year-old)\b"
    r"(?:[ ,]+(?:\w+ ){0,2}?(?P<noun>man|male|woman|female|gentleman|lady|boy|girl)\b)?",
    re.IGNORECASE,
)
_SEX_WORDS = {"man": "male", "male": "male", "gentleman": "male", "boy": "male",
              "woman": "female", "female": "female", "lady": "female", "girl": "female"}
_HE = re.compile(r"\b(?:he|his|him|himself)\b", re.IGNORECASE)
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.]*(?:\.(?!\d)|$)")


def age_and_sex(summary: str) -> tuple[int | None, str | None]:
    match = _AGE.search(summary)
    if not match:
        return None, None
    age = int(match["age"])
    if match["noun"]:
        return age, _SEX_WORDS[match["noun"].lower()]
    begin, end = _sentence_span(summary, match.start())
    sentence = summary[begin:end]
    he, she = bool(_HE.search(sentence)), bool(_SHE.search(sentence))
    if not (he or she):
        # "A 40 year old who was injured. She complains …": the next sentence
        # opening with a pronoun speaks of the same person.
        opener = _OPENING_PRONOUN.match(summary, end)
        he = bool(opener) and opener["pronoun"] == "He"
        she = bool(opener) and opener["pronoun"] == "She"
    return age, "male" if he and not she else "female" if she and not he else None


_OPENING_PRONOUN = re.compile(r"\s*(?P<pronoun>He|She)\b")


def _sentence_span(text: str, offset: int) -> tuple[int, int]:
    for match in _SENTENCE.finditer(text):
        if match.start() <= offset < max(match.end(), match.start() + 1):
            return match.span()
    return offset, offset


# ------------------------------------------------------------- injury date

# "injury date on 1/24/00", "DOI 9/3/10", "sustained an industrial injury on
# 6/27/2012", "injury of October 10, 2015", "date of injury on 10-20-2016",
# "an occupational claim from 10/14/ 2016"
_INJURY = re.compile(
    r"\b(?:DOI|date of injury|injury date|injur(?:y|ies)|injured on|occupational claim)\b",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"\.\s+[A-Z]")


def injury_date(summary: str, reference: Reference) -> date | None:
    """The first date within the same sentence, shortly after an injury phrase."""
    for key in _INJURY.finditer(summary):
        window = summary[key.end() : key.end() + 60]
        window = _SENTENCE_BREAK.split(window, maxsplit=1)[0]
        match = DATE.search(window)
        if match:
            return to_date(match, reference)
    return None


# --------------------------------------------------------------- diagnoses

_DIAGNOSES = re.compile(
    r"\b(?:diagnos[ie]s (?:are|is|include[sd]?|included|were|was)(?: (?:documented|listed|noted))?(?: as)?"
    r"|diagnosed (?:with|as having|as)|(?:a |the )?diagnos[ie]s of"
    r"|diagnoses? (?:to include|including)"
    # the 2016-2017 template: "the injured worker is undergoing treatment for …"
    r"|(?:is|was|being) undergoing treatment for|(?:is|was) being treated for)\s*:?\s*"
    # The list: the shortest run to an end, ".+?" tried a run at a time (an
    # end starts with a full stop or is the text's end, so none is passed).
    r"(?P<list>.(?:[^.\n]++|\.)*?)(?:(?<!\d)\.[\"']?(?=\s+(?-i:[A-Z(\"])|\s*$)|\.(?=(?-i:[A-Z][a-z]+ ))|$)",
    re.IGNORECASE,
)
# numbering extraction glued to the words: "1. carpal tunnel syndrome2. cervical"
_NUMBERING = re.compile(r"(?:(?<=\s)|^|(?<=[a-z)]))\d{1,2}[.)]\s*(?=[A-Za-z])")
_DIGIT = re.compile(r"\d")


def _numbered(text: str) -> str:
    """The list's numbering made separators.  (Every number has a digit: a
    list without one, as most are, is spared the numbering's walk.)"""
    return _NUMBERING.sub("; ", text) if _DIGIT.search(text) else text


_GLUED_SENTENCE = re.compile(r"(?<=[a-z])(?=[A-Z][a-z]+ (?:on|was|were|is|of|dated|showed|revealed)\b)")
_SPLIT = re.compile(r"\s*(?:;\s*(?:and\s+)?|,\s*(?:and\s+)?|\band\s+(?=\d+[.)]))\s*")
# A list separated by semicolons ("a; b; and c") keeps its commas: "pain, unspecified".
_SPLIT_SEMICOLONS = re.compile(r"\s*;\s*(?:and\s+)?")
# "being treated for the diagnosis of back pain" → "back pain"
_ARTICLE = re.compile(r"^(?:(?:an?|the)\s+)?(?:diagnos[ie]s\s+of\s+(?:an?\s+)?)?", re.I)


def diagnoses(summary: str) -> list[str]:
    """The conditions the summary names, one string each, in its order."""
    found: list[str] = []
    for match in _diagnosis_lists(summary):
        text = _GLUED_SENTENCE.split(match["list"], maxsplit=1)[0]
        text = _protect_region_series(_numbered(text))
        splitter = _SPLIT_SEMICOLONS if text.count(";") > 1 else _SPLIT
        parts = [p.strip(" \"'.,:;") for p in splitter.split(text)]
        parts = _split_last_and(list(filter(None, parts)))
        merged: list[str] = []
        for part in parts:
            if merged and (_QUALIFIER.match(part) or _is_site(part) or _only_regions(part)):
                merged[-1] += ", " + part
            else:
                merged.append(part)
        for part in merged:
            part = _ARTICLE.sub("", part.translate(_RESTORE))
            if part.lower() not in {f.lower() for f in found}:
                found.append(part)
    return found


# Every phrase _DIAGNOSES starts with has one of these words, at most
# _LEAD_IN characters after its start ("being undergoing treatment for").
_KEY_WORDS = ("diagnos", "undergoing treatment for", "being treated for")
_LEAD_IN = 10


def _diagnosis_lists(summary: str):
    """``_DIAGNOSES.finditer(summary)``, faster: the regex is tried only at
    the few places a match can start, up to :data:`_LEAD_IN` characters
    before each key word, by ``match`` — a ``search`` from there went on
    trying every character to the end of the summary whenever a key word
    was not a diagnosis's ("diagnostic testing").  In increasing order, the
    first that matches is the leftmost match, as finditer's.  (On ASCII
    text only, where lower-casing is the regex's own case folding.)"""
    if not summary.isascii():
        yield from _DIAGNOSES.finditer(summary)
        return
    at = 0  # where the next match may start: the end of the last one
    for hit in _key_words(summary.lower()):
        for start in range(max(at, hit - _LEAD_IN), hit + 1):
            match = _DIAGNOSES.match(summary, start)
            if match:
                yield match
                at = match.end()
                break
        else:
            at = max(at, hit + 1)  # each place up to the key word is tried


def _key_words(lowered: str) -> list[int]:
    """Where :data:`_KEY_WORDS` occur in ``lowered``, in order."""
    return occurrences(lowered, _KEY_WORDS)


def _split_last_and(parts: list[str]) -> list[str]:
    """'A, B and C' → A, B, C; 'right shoulder sprain and neck strain' → two;
    but 'sprain of joints and ligaments in the neck' stays one.  Without a
    comma, an 'and' ends a diagnosis when a condition word ('sprain',
    'pain', 'trigger finger') or a body part ('… of the right hand') comes
    just before it and the rest names a condition, or both sides name one
    ('sprain of ligaments of cervical spine and lumbar sprain').  An 'and'
    inside a 'with …' clause is the clause's ('protrusion with lateral
    recess and foraminal stenosis'); trailing qualifiers ('…, subsequent')
    stay after the list they follow."""
    last = len(parts) - 1
    while last > 0 and _QUALIFIER.match(parts[last]):
        last -= 1
    if last < 0 or " and " not in parts[last] or _only_regions(parts[last]):
        return parts
    text = parts[last]
    at = text.rfind(" and ")
    while at >= 0 and _CLAUSE.search(text, 0, at):  # the last 'and' outside a clause
        at = text.rfind(" and ", 0, at)
    if at < 0:
        return parts
    head, tail = text[:at], text[at + len(" and "):]
    if last > 0 or _ends_a_diagnosis(head, tail):
        return parts[:last] + [head, tail] + parts[last + 1:]
    return parts


# A clause that goes on describing its condition: an 'and' after it is its own.
_CLAUSE = re.compile(r"\b(?:with|secondary to|due to|consistent with)\b(?!.*\band\b)", re.I)


def _ends_a_diagnosis(head: str, tail: str) -> bool:
    """Is 'head and tail' two diagnoses (no comma before the 'and')?"""
    if _condition(at_end=True).search(head):  # "… sprain and …"
        return True
    if not _condition(at_end=False).search(tail):
        return False
    # "sprain of … spine and lumbar sprain", "… of the right hand and trigger finger …"
    return bool(_condition(at_end=False).search(head) or classify.names_region(head.rsplit(None, 1)[-1]))


@cache
def _condition(at_end: bool) -> re.Pattern:
    """A condition word of ``vocab/condition_words.csv`` anywhere, or ending
    the text (``at_end``)."""
    words = sorted((row["word"] for row in vocabulary.rows("condition_words.csv")), key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"\b(?:{alternatives})" + ("$" if at_end else r"\b"), re.I)


# "cervical, thoracic and lumbar myoligamentous injury" is one diagnosis: a
# series of region adjectives before a noun.  Its separators are hidden from
# the splitting and restored after.
_HIDE = {",": "\x01", " and ": "\x02"}
_RESTORE = {0x01: ",", 0x02: " and "}
_SERIES = re.compile(r"\b([A-Za-z]+)((?:, [A-Za-z]+)*,? and [A-Za-z]+)(?= [A-Za-z])")


_TISSUES = {"muscle", "muscles", "fascia", "fasciae", "tendon", "tendons", "ligament", "ligaments"}


def _protect_region_series(text: str) -> str:
    def hide(match: re.Match) -> str:
        words = re.split(r",? and |, ", match.group(0))
        before = match.string[: match.start()].rsplit(",", 1)[-1].strip()
        if all(w.lower() in _TISSUES for w in words):  # ICD-10's "muscle, fascia and tendon"
            pass
        # "knee and shoulder strain" is one; "strain of knee and shoulder strain"
        # and "derangement of the knee, and lumbar disc …" are two.
        elif not all(classify.names_region(w) for w in words) or (len(words) < 3 and before):
            return match.group(0)
        return match.group(0).replace(" and ", "\x02").replace(",", "\x01")
    # (A series has an " and ": a list without one is spared the walk.)
    return _SERIES.sub(hide, text) if " and " in text else text


def _only_regions(part: str) -> bool:
    """'shoulders and elbows': sites of the diagnosis before, not a diagnosis."""
    return all(classify.names_region(w) for w in re.split(r",? and |, ", part))


# A comma that goes on describing the same condition, not a new one:
# "SLAP lesion, right shoulder", "cervicalgia, consistent with …".
_SIDE = re.compile(r"^(?:right|left|bilateral)\s+", re.I)


def _is_site(part: str) -> bool:
    """'right shoulder': a side and a body part, nothing more."""
    side = _SIDE.match(part)
    return bool(side) and classify.names_region(part[side.end():])


_QUALIFIER = re.compile(
    r"(?:consistent with\b.*|secondary to\b.*|due to\b.*"
    r"|with\b.*|status post\b.*|s/p\b.*|(?:initial|subsequent)(?: encounter)?|sequela)$",
    re.I,
)
