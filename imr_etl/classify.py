"""Vocabularies applied to text: what a service is, how much was asked for,
where on the body, and the reviewer's fields and states.

Every list here is a CSV in ``imr_etl/vocab/`` (see docs/record.md); this
module only says how the rows are matched.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Iterable

from imr_etl import vocabulary
from imr_etl.prefilter import Prefiltered


def alternation(words: list[str]) -> str:
    """A regex alternation of ``words`` (escaped), tried in the order given,
    written one branch per first letter: "n(?:orco|aproxen)|t(?:ramadol)".

    It matches exactly what "norco|naproxen|tramadol" matches (words that
    start with different letters never match at the same place, and each
    letter keeps its words' order), but at each position the regex engine
    tries only the words that begin with the letter there.  Long lists
    (drugs, month names) were the costliest searches in a letter.
    """
    by_letter: dict[str, list[str]] = {}
    for word in words:
        by_letter.setdefault(word[0].lower(), []).append(word)
    return "|".join(
        re.escape(group[0][0]) + "(?:%s)" % "|".join(re.escape(word[1:]) for word in group)
        for group in by_letter.values()
    )


def _plain(text: str) -> bool:
    """Is ``text`` printable ASCII?  On such text a pattern written in ASCII
    matches the same with re.ASCII as without (the flag changes only how
    non-ASCII letters fold case and which control characters are spaces),
    and the regex engine runs a third faster: the vocabularies' patterns,
    tried on every service, are compiled both ways."""
    return text.isascii() and text.isprintable()


def _compile(pattern: str, flags: int, plain: bool) -> re.Pattern:
    """``pattern`` for text that :func:`_plain` says is (or is not) plain."""
    return re.compile(pattern, flags | re.ASCII if plain and pattern.isascii() else flags)


# --------------------------------------------------------------- treatment

# What a named drug's request looks like even when the drug is not in the
# list: a strength ("600mg", "5%") or a dose form.
_DOSE = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:mg|mcg|gm|g|ml|%)(?![a-z])|\b(?:tablets?|capsules?|tabs?|caps?|"
    r"cream|ointment|gel|lotion|solution|suspension|spray|patch(?:es)?|compound(?:ed)?|"
    r"transdermal|topical|oral|medications?|refills?)\b",
    re.I,
)
_TOPICAL = re.compile(r"\b(?:cream|ointment|gel|lotion|compound(?:ed)?|transdermal|topical)\b", re.I)
_PERCENT = re.compile(r"\d%")
# Words that frame a service without saying what it is: "Associated
# surgical service: Cold therapy unit" is a cold therapy unit.
FRAME = re.compile(r"^\s*(?:associated\s+surgical\s+services?|retrospective(?:\s+request)?)\s*:?\s*", re.I)
# Categories a drug name does not override: "Toradol injection" is an injection.
_OVER_DRUGS = {"injections", "surgery", "diagnostic_tests"}
# Surgery's subcategory is the body region it is done on.
_SURGERY_BY_REGION = {"cervical": "spine", "thoracic": "spine", "lumbar": "spine", "spine": "spine",
                      "shoulder": "shoulder", "knee": "knee", "wrist_hand": "hand_wrist"}


@cache
def _service_patterns(plain: bool = False) -> tuple[tuple[re.Pattern, str, str, bool], ...]:
    """(pattern, category, subcategory, fallback): a fallback pattern ("purchase",
    "rental") names its subcategory only when no other pattern of the category
    matches — "Purchase of a knee brace" is a brace."""
    return tuple((_compile(row["pattern"], re.I, plain), row["category"], row["subcategory"],
                  row["fallback"] == "yes")
                 for row in vocabulary.rows("service_patterns.csv"))


@cache
def _service_prefilter() -> Prefiltered:
    """What each service pattern can start a match with (either compilation's: they differ only on non-ASCII text)."""
    return Prefiltered([pattern for pattern, *_ in _service_patterns()])


@cache
def _drugs(plain: bool = False) -> tuple[re.Pattern, dict[str, str]]:
    rows = vocabulary.rows("drugs.csv")
    names = sorted((row["name"] for row in rows), key=len, reverse=True)
    pattern = _compile(r"\b(%s)\b" % alternation(names), re.I, plain)
    return pattern, {row["name"].lower(): row["subcategory"] for row in rows}


@lru_cache(maxsize=8192)
def _drug(service: str) -> str | None:
    """The pharmaceutical subcategory of a service that names a drug.

    A compound ("Flurbiprofen 20%, Baclofen 5% … in cream base") is a topical
    analgesic whatever drugs it mixes.
    """
    if _TOPICAL.search(service) or len(_PERCENT.findall(service)) > 1:
        return "topical_analgesics"
    pattern, subcategory = _drugs(_plain(service))
    named = pattern.search(service)
    return subcategory[named.group(1).lower()] if named else None


def treatment(service: str, context: str = "") -> tuple[str, str]:
    """(category, subcategory) of ``vocab/taxonomy.csv`` for a service line.

    The first pattern that matches decides the category; within it, the
    subcategory named first in the service wins ("physical therapy and
    occupational therapy" is physical therapy).  A service too vague for a
    subcategory ("Cervical injection") takes one from ``context`` (the topics
    of the guidelines cited for it) when that names one of the same category.
    """
    category, subcategory, vague = _own_treatment(service)
    if vague and context:
        hinted = _match(context, category)
        if hinted and not hinted[1].startswith("other"):
            subcategory = hinted[1]
    return category, subcategory


# Cached, as are quantity and body_region: a corpus asks for the same
# services ("Norco 10/325mg #60") again and again.  By the service alone:
# with the cited topics in the key, three lookups in four missed.
@lru_cache(maxsize=8192)
def _own_treatment(service: str) -> tuple[str, str, bool]:
    """:func:`treatment` by the service's own text, and whether the topics
    cited for it may name its subcategory (one of its category's "other")."""
    service = FRAME.sub("", service)
    found = _match(service)
    drug = _drug(service) if found is None or found[0] not in _OVER_DRUGS else None
    if drug:
        return "pharmaceuticals", drug, False
    if found is None:
        unnamed = ("pharmaceuticals", "other_pharmaceuticals") if _DOSE.search(service) else ("other", "other")
        return *unnamed, False
    category, subcategory = found
    if category == "surgery":
        return category, _SURGERY_BY_REGION.get(body_region(service), "other_surgery"), False
    return category, subcategory, subcategory.startswith("other")


# Cached apart from _own_treatment: it reads the cited topics too, for a vague
# service's hint.  (Its searches were most of classifying a new service:
# imr_etl/prefilter.py.)
@lru_cache(maxsize=8192)
def _match(text: str, category: str | None = None) -> tuple[str, str] | None:
    """(category, subcategory) for ``text`` by the service patterns: the first
    pattern that matches names the category; of that category's patterns,
    the one that matches earliest in the text names the subcategory."""
    # (Only the patterns that can match it: a new service ran all forty-odd.)
    return _best(text, category, _service_prefilter().among(_service_patterns(_plain(text)), text))


def _best(text: str, category: str | None,
          patterns: Iterable[tuple[re.Pattern, str, str, bool]]) -> tuple[str, str] | None:
    """:func:`_match` by ``patterns``, service patterns in their order."""
    found = None  # (fallback, offset, subcategory) of the best match so far
    for pattern, c, s, fallback in patterns:
        # Once a category is known, only its own patterns can change the answer.
        if category is not None and c != category:
            continue
        match = pattern.search(text)
        if match and (found is None or (fallback, match.start()) < found[:2]):
            found, category = (fallback, match.start(), s), c
    return (category, found[2]) if found else None


# ---------------------------------------------------------------- quantity


@cache
def _number_words() -> dict[str, int]:
    return {row["word"].lower(): int(row["value"]) for row in vocabulary.rows("number_words.csv")}


@cache
def _units() -> dict[str, str]:
    return {row["word"].lower(): row["unit"] for row in vocabulary.rows("units.csv")}


@cache
def _number_word_pattern() -> re.Pattern:
    words = sorted(_number_words(), key=len, reverse=True)
    return re.compile(r"\b(%s)\b" % alternation(words), re.I)


def _digits(text: str) -> str:
    """'two sessions per week for six weeks' → '2 sessions per week for 6 weeks'."""
    text = _number_word_pattern().sub(lambda m: str(_number_words()[m.group(1).lower()]), text)
    return _RESTATED.sub(r"\1", text)


# "Eight (8) sessions" states its number twice.
_RESTATED = re.compile(r"\b(\d+)\s*\(\1\)")


_N = r"(\d+(?:\.\d+)?)"
_RANGE = rf"{_N}(?:\s*(?:-|to)\s*{_N})?"
# A strength or size, never a quantity: "600mg", "5%", "106.32gm", "10/325".
_STRENGTH = re.compile(r"\d+(?:\.\d+)?\s?(?:mg|mcg|gm|g|grams?|ml|cc|mm|cm|%)(?![a-z])|\d+/\d+", re.I)


# Directions for use ("take 1 tab orally 1 hour before exam") say how to take
# it, not how much was asked for; they run to the prescription count or the end.
_DOSING = re.compile(r"\btake\b.*?(?=#|$)", re.I)


@cache
def _rules(plain: bool = False) -> tuple[tuple[str, re.Pattern], ...]:
    """The quantity patterns, first match wins, in this order: a leading
    count, a stated total, a prescription count (#60), a rental or supply,
    a weekly frequency, "A times B", a count of units, "times N"."""
    unit = "(%s)" % alternation(sorted(_units(), key=len, reverse=True))
    return (
        ("count", _compile(rf"^\s*{_N}\s+{unit}\s+of\b", re.I, plain)),
        ("count", _compile(rf"\(\s*{_N}\s+{unit}\s*\)", re.I, plain)),
        ("hash", _compile(rf"#\s*{_N}", re.I, plain)),
        ("count", _compile(rf"(?<![\d.]){_N}[- ]{unit}\s+(?:rental|supply|trial|use)\b", re.I, plain)),
        ("weekly", _compile(
            rf"{_RANGE}\s*(times|x|sessions?|visits?|treatments?)?\s*(?:a|per|/|each)\s*week"
            rf"\s*(?:for|x|times)\s*{_N}\s*weeks?", re.I, plain)),
        ("product", _compile(rf"(?<![\d/.]){_N}\s*(?:times|x)\s*{_N}(?!\s*(?:weeks?|months?))(?![\d.])", re.I, plain)),
        ("count", _compile(rf"(?<![\d/.#])(?<!take\s){_N}\s+(?:[A-Za-z-]+\s+){{0,3}}?{unit}\b", re.I, plain)),
        ("count", _compile(rf"\b{unit},\s*{_N}\s*$", re.I, plain)),
        ("times", _compile(rf"\b(?:times|x)\s*{_N}\b", re.I, plain)),
        ("items", _compile(rf"^\s*{_N}\s+(?=[A-Za-z])", re.I, plain)),
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@lru_cache(maxsize=8192)
def quantity(service: str) -> tuple[int | float | None, str | None]:
    """The amount a service asks for, with its unit (docs/record.md, Quantities)."""
    text = _STRENGTH.sub(" ", _DOSING.sub(" ", _digits(FRAME.sub("", service))))
    for kind, pattern in _rules(_plain(text)):
        match = pattern.search(text)
        if not match:
            continue
        if kind == "count":
            number, unit = sorted(match.groups(), key=lambda g: not g[0].isdigit())
            if _units()[unit.lower()] != "weeks":
                return _number(float(number)), _units()[unit.lower()]
        elif kind == "hash":  # the last one: "Tylenol #3 #60" asks for 60
            *_, last = pattern.finditer(text)
            return _number(float(last.group(1))), "units"
        elif kind == "weekly":
            per_week = float(match.group(2) or match.group(1))
            unit = _units().get((match.group(3) or "").lower(), "sessions")
            return _number(per_week * float(match.group(4))), unit
        elif kind == "items":  # "2 leg wraps", "1 knee scooter"
            return _number(float(match.group(1))), "units"
        elif kind == "product":
            return _number(float(match.group(1)) * float(match.group(2))), "sessions"
        else:
            return _number(float(match.group(1))), None
    return None, None


# ------------------------------------------------------------- body region

# A level of the spine named with the spine itself is that level, not two regions.
_SPINE_LEVELS = {"cervical", "thoracic", "lumbar"}


@cache
def _regions(plain: bool = False) -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((_compile(row["pattern"], re.I, plain), row["region"])
                 for row in vocabulary.rows("body_regions.csv"))


@cache
def _region_prefilter() -> Prefiltered:
    return Prefiltered([pattern for pattern, _ in _regions()])


# Cached: besides each service, it reads the cited guidelines' chapters and
# topics, which recur letter after letter.
@lru_cache(maxsize=4096)
def body_region(text: str) -> str | None:
    """The region of ``vocab/body_regions.csv`` a text names; ``multiple``
    when it names two or more."""
    found = {region for pattern, region in _region_prefilter().among(_regions(_plain(text)), text)
             if pattern.search(text)}
    if found & _SPINE_LEVELS:
        found.discard("spine")
    if len(found) > 1:
        return "multiple"
    return found.pop() if found else None


@cache
def _regional() -> frozenset[tuple[str, str]]:
    return frozenset((row["category"], row["subcategory"]) for row in vocabulary.rows("taxonomy.csv")
                     if row["region_from_guideline"] == "yes")


def treats_a_region(category: str, subcategory: str) -> bool:
    """Is a treatment of this subcategory given to a body region, so that the
    guideline chapter it is judged by names that region?  (A drug, a lab test
    or a consultation is judged by a chapter without being given to its
    region: ``region_from_guideline`` in vocab/taxonomy.csv.)"""
    return (category, subcategory) in _regional()


@cache
def _general_topics() -> re.Pattern:
    return re.compile("|".join(row["pattern"] for row in vocabulary.rows("general_topics.csv")), re.I)


def general_topic(text: str | None) -> bool:
    """Does a cited topic apply to any region of its chapter ("Preoperative
    lab testing" in the Low Back chapter is for any operation)?"""
    return bool(text) and bool(_general_topics().search(text))


def cited_region(citations: list[dict]) -> str | None:
    """The one region the chapters of the cited guidelines agree on.  A
    chapter that spans regions ("Low Back - Lumbar & Thoracic") says nothing
    here, nor does a topic for any region ("Preoperative lab testing")."""
    citations = [c for c in citations if not general_topic(c["topic"])]
    regions = {body_region(_chapter(c["document"])) for c in citations}
    regions |= {body_region(_chapter(c["topic"])) for c in citations if c["source"] == "ODG"}
    regions -= {None, "multiple"}
    return regions.pop() if len(regions) == 1 else None


def _chapter(text: str | None) -> str:
    """'Low Back - Lumbar & Thoracic (Acute & Chronic), Chiropractic' → 'Low Back':
    an ODG chapter is named first; what follows narrows it."""
    return re.split(r" - |,|;", text or "", maxsplit=1)[0]


# Cached: the diagnoses ask it of each of their words and parts ("right
# shoulder", "knee"), the same letter after letter, and it tries every region.
@lru_cache(maxsize=8192)
def names_region(text: str) -> bool:
    """Is ``text`` just the name of a body part ('shoulder', 'upper extremity')?"""
    text = text.strip()
    return any(pattern.fullmatch(text) for pattern, _ in _regions(_plain(text)))


# ------------------------------------------------------- reviewer's fields


@cache
def _specialties() -> frozenset[str]:
    return frozenset(row["name"].lower() for row in vocabulary.rows("specialties.csv"))


def split_specialties(text: str) -> list[str]:
    """'Chiropractic and Acupuncture' → two fields; 'Physical Medicine and
    Rehabilitation' stays one, because it is a known field as written."""
    out: list[str] = []
    for part in re.split(r"\s*[,;]\s*", text.strip(" .")):
        part = re.sub(r"^and\s+", "", part.strip(), flags=re.I)
        if not part:
            continue
        halves = re.split(r"\s+(?:and|&)\s+", part)
        known = _specialties()
        if part.lower() not in known and len(halves) > 1 and all(h.lower() in known for h in halves):
            out.extend(halves)
        else:
            out.append(part)
    return out


@cache
def _states() -> dict[str, str]:
    table = {}
    for row in vocabulary.rows("states.csv"):
        table[row["name"].lower()] = row["code"]
        table[row["code"].lower()] = row["code"]
    return table


def state_code(name: str) -> str | None:
    """USPS code for a state's name or code ('New York', 'NY'); else None."""
    return _states().get(re.sub(r"\s+", " ", name).strip(" .").lower())


# A specialty's spelling, reduced to what tells fields apart: "Physical
# Medicine & Rehabilitation" and "physical medicine and rehabilitation,",
# "Orthopaedic" and "Orthopedic" are one key.
_AMPERSAND = re.compile(r"\s*&\s*")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# A typo is absorbed word by word, and only this close (difflib's ratio) to a
# word of the table: a letter added to or dropped from a word of about seven
# letters or more ("Medicinea" is Medicine, 0.94).  A word of the table is
# never changed into another ("Pediatric" stays Pediatric, not Podiatric;
# "Hematology" is not Rheumatology), nor a real word near one ("Neurotology"
# is not Neurology, 0.90).
_TYPO_CUTOFF = 0.92


def _specialty_key(name: str) -> str:
    text = _AMPERSAND.sub(" and ", name.lower()).replace("ae", "e")  # orthopaedic, anaesthesiology
    return _NOT_WORD.sub(" ", text).strip()


@cache
def _board_names() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Key of a spelling → the DWC board specialties it names (one, or two
    for a name joining two certifications); and the words of the keys."""
    table: dict[str, tuple[str, ...]] = {}
    for row in vocabulary.rows("board_specialties.csv"):
        key = _specialty_key(row["as_written"])
        table[key] = table.get(key, ()) + (row["board_specialty"],)
    return table, frozenset(word for key in table for word in key.split())


def _spelled(word: str, words: frozenset[str]) -> str:
    """``word``, or the word of ``words`` it is a typo of."""
    from difflib import get_close_matches  # only for a spelling not in the table

    if word in words:
        return word
    close = get_close_matches(word, words, n=1, cutoff=_TYPO_CUTOFF)
    return close[0] if close else word


@lru_cache(maxsize=1024)
def _board_specialty(name: str) -> tuple[str, ...]:
    table, words = _board_names()
    key = _specialty_key(name)
    if key not in table:
        key = " ".join(_spelled(word, words) for word in key.split())
    return table.get(key, ())


def board_specialties(specialties: list[str]) -> list[str]:
    """The DWC board-specialty names (``vocab/board_specialties.csv``) of
    the reviewer's specialties as written, in letter order, each once; a
    specialty the DWC's list has no name for is left out."""
    out: list[str] = []
    for name in specialties:
        for board in _board_specialty(name):
            if board not in out:
                out.append(board)
    return out
