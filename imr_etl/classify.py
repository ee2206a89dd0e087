"""Vocabularies applied to text: what a service is, how much was asked for,
where on the body, and the reviewer's fields and states.

Every list here is a CSV in ``imr_etl/vocab/`` (see docs/record.md); this
module only says how the rows are matched.
"""

from __future__ import annotations

import re
from functools import cache

from imr_etl import vocabulary

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
# Categories a drug name does not override: "Toradol injection" is an injection.
_OVER_DRUGS = {"injections", "surgery", "diagnostic_tests"}
# Surgery's subcategory is the body region it is done on.
_SURGERY_BY_REGION = {"cervical": "spine", "thoracic": "spine", "lumbar": "spine", "spine": "spine",
                      "shoulder": "shoulder", "knee": "knee", "wrist_hand": "hand_wrist"}


@cache
def _service_patterns() -> tuple[tuple[re.Pattern, str, str], ...]:
    return tuple((re.compile(row["pattern"], re.I), row["category"], row["subcategory"])
                 for row in vocabulary.rows("service_patterns.csv"))


@cache
def _drugs() -> tuple[re.Pattern, dict[str, str]]:
    rows = vocabulary.rows("drugs.csv")
    names = sorted((row["name"] for row in rows), key=len, reverse=True)
    pattern = re.compile(r"\b(%s)\b" % "|".join(re.escape(n) for n in names), re.I)
    return pattern, {row["name"].lower(): row["subcategory"] for row in rows}


def _drug(service: str) -> str | None:
    """The pharmaceutical subcategory of a service that names a drug."""
    pattern, subcategory = _drugs()
    named = pattern.search(service)
    if named:
        return subcategory[named.group(1).lower()]
    if _TOPICAL.search(service):
        return "topical_analgesics"
    return None


def treatment(service: str) -> tuple[str, str]:
    """(category, subcategory) of ``vocab/taxonomy.csv`` for a service line."""
    found = next(((c, s) for p, c, s in _service_patterns() if p.search(service)), None)
    drug = _drug(service)
    if drug and (found is None or found[0] not in _OVER_DRUGS):
        return "pharmaceuticals", drug
    if found is None:
        return ("pharmaceuticals", "other_pharmaceuticals") if _DOSE.search(service) else ("other", "other")
    category, subcategory = found
    if category == "surgery":
        subcategory = _SURGERY_BY_REGION.get(body_region(service), "other_surgery")
    return category, subcategory


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
    return re.compile(r"\b(%s)\b" % "|".join(re.escape(w) for w in words), re.I)


def _digits(text: str) -> str:
    """'two sessions per week for six weeks' → '2 sessions per week for 6 weeks'."""
    return _number_word_pattern().sub(lambda m: str(_number_words()[m.group(1).lower()]), text)


_N = r"(\d+(?:\.\d+)?)"
_RANGE = rf"{_N}(?:\s*(?:-|to)\s*{_N})?"
_UNIT_WORD = r"([A-Za-z]+)"
# A strength or size, never a quantity: "600mg", "5%", "106.32gm", "10/325".
_STRENGTH = re.compile(r"\d+(?:\.\d+)?\s?(?:mg|mcg|gm|g|ml|cc|mm|cm|%|x\d)(?![a-z])|\d+/\d+", re.I)

# Each rule: a pattern and how to read it.  The first that matches wins, in
# this order (a stated total before a frequency, a frequency before a count).
_LEADING = re.compile(rf"^\s*{_N}\s+{_UNIT_WORD}\s+of\b", re.I)
_TOTAL = re.compile(rf"\(\s*{_N}\s+{_UNIT_WORD}\s*\)", re.I)
_FREQUENCY = re.compile(
    rf"{_RANGE}\s*(?:times|x|sessions?|visits?|treatments?)?\s*(?:a|per|/|each)\s*week"
    rf"\s*(?:for|x|times)\s*{_N}\s*weeks?", re.I)
_TIMES = re.compile(rf"(?<![\d/.]){_N}\s*(?:times|x)\s*{_N}(?!\s*(?:mg|%|weeks?|months?))(?![\d.])", re.I)
_COUNT = re.compile(rf"(?<![\d/.#]){_N}\s+(?:additional\s+|more\s+|\w+\s+)?{_UNIT_WORD}", re.I)
_HASH = re.compile(rf"#\s*{_N}", re.I)
_TIMES_ALONE = re.compile(rf"\b(?:times|x)\s*{_N}\b", re.I)
_RENTAL = re.compile(rf"{_N}[- ]{_UNIT_WORD}\s+(?:rental|supply|trial)", re.I)


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def quantity(service: str) -> tuple[int | float | None, str | None]:
    """The amount a service asks for, with its unit (docs/record.md, Quantities)."""
    text = _STRENGTH.sub(" ", _digits(service))
    units = _units()
    leading = _LEADING.match(text)
    if leading and leading.group(2).lower() in units:
        return _number(leading.group(1)), units[leading.group(2).lower()]
    total = _TOTAL.search(text)
    if total and total.group(2).lower() in units:
        return _number(total.group(1)), units[total.group(2).lower()]
    rental = _RENTAL.search(text)
    if rental and rental.group(2).lower() in units:
        return _number(rental.group(1)), units[rental.group(2).lower()]
    frequency = _FREQUENCY.search(text)
    if frequency:
        per_week = frequency.group(2) or frequency.group(1)
        return _number(str(float(per_week) * float(frequency.group(3)))), "sessions"
    times = _TIMES.search(text)
    if times:
        return _number(str(float(times.group(1)) * float(times.group(2)))), "sessions"
    for count in _COUNT.finditer(text):
        unit = units.get(count.group(2).lower())
        if unit and unit not in {"weeks"}:
            return _number(count.group(1)), unit
    hashed = _HASH.search(text)
    if hashed:
        return _number(hashed.group(1)), "units"
    alone = _TIMES_ALONE.search(text)
    if alone:
        return _number(alone.group(1)), None
    return None, None


# ------------------------------------------------------------- body region

# A level of the spine named with the spine itself is that level, not two regions.
_SPINE_LEVELS = {"cervical", "thoracic", "lumbar"}


@cache
def _regions() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(row["pattern"], re.I), row["region"])
                 for row in vocabulary.rows("body_regions.csv"))


def body_region(text: str) -> str | None:
    """The region of ``vocab/body_regions.csv`` a text names; ``multiple``
    when it names two or more."""
    found = {region for pattern, region in _regions() if pattern.search(text)}
    if found & _SPINE_LEVELS:
        found.discard("spine")
    if len(found) > 1:
        return "multiple"
    return found.pop() if found else None


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
