"""A pharmaceutical item's drug: generic ingredient(s), brand, strength, dose
form and the DWC drug class (docs/dwc-taxonomy.md, Drugs).

The names are data: ``vocab/drugs.csv`` (each brand, generic and common
abbreviation with its generic, DWC class, whether it is a compounded product
and whether it is a brand) and ``vocab/dose_forms.csv``.  This module says how
they are matched: one alternation of every name, tried once per service
(docs/drugs.md says why a table of our own and not a drug-name library).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from imr_etl import vocabulary
from imr_etl.classify import alternation

TOPICAL_COMPOUNDS = "Topical Compounds"
TOPICAL_ANALGESICS = "Topical Analgesics"
# Classes of drugs that act where they are applied when put on the skin:
# "Diclofenac 1% gel" is a topical analgesic, "Butrans patch" stays an opioid.
_ACT_LOCALLY = frozenset({"NSAID", "Muscle Relaxant", "Anti-epilepsy drugs", "Antidepressant",
                          "Misc Analgesics", TOPICAL_ANALGESICS})


class _Name(NamedTuple):
    generic: str
    drug_class: str
    compound: bool
    brand: str  # "" (a generic), "yes" (a brand, as the letter writes it), or the brand of a form ("Terocin")


@cache
def _names() -> tuple[re.Pattern, dict[str, _Name]]:
    rows = vocabulary.rows("drugs.csv")
    table = {row["name"].lower(): _Name(row["generic"], row["drug_class"], row["compound"] == "yes",
                                        row["brand"])
             for row in rows}
    names = sorted((row["name"] for row in rows), key=len, reverse=True)
    return re.compile(r"\b(%s)\b" % alternation(names), re.I), table


@cache
def _combinations() -> dict[frozenset[str], _Name]:
    """Combination products by their set of ingredients, so that a combination
    the letter spells out ("APAP/hydrocodone") takes the name and class of the
    product ("hydrocodone/acetaminophen", Opioids).  Compounds keep the
    letter's order and are left out."""
    _, table = _names()
    return {frozenset(entry.generic.split("/")): entry for entry in table.values()
            if "/" in entry.generic and not entry.compound}


@cache
def _dose_forms() -> tuple[re.Pattern, dict[str, tuple[str | None, bool]]]:
    rows = vocabulary.rows("dose_forms.csv")
    table = {row["word"].lower(): (row["dose_form"] or None, row["topical"] == "yes") for row in rows}
    words = sorted((row["word"] for row in rows), key=len, reverse=True)
    return re.compile(r"\b(%s)\b" % alternation(words), re.I), table


# A strength: numbers with units, joined by "/" or "-" ("10/325mg", "7.5-325mg",
# "4%-27.5%-0.0325%"), optionally per volume or time ("25mg/ml", "10mcg/hr").
_NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
_UNIT = r"(?:(?:mg|mcg|µg|g|gm|grams?|%|units?|iu|meq|ml|cc)(?![a-z]))"
_STRENGTH = re.compile(
    rf"(?<![#\d./]){_NUM}(?:\s*{_UNIT})?(?:\s*[/-]\s*{_NUM}(?:\s*{_UNIT})?)*"
    rf"(?:\s*/\s*{_NUM}?\s*(?:ml|cc|hr|h|hours?|actuation|spray|dose)\b)?(?!\d|/\d)",
    re.I)
# Units of amount, which make a number a strength; sizes ("121gm", "420ml")
# alone are the package, not the strength.
_AMOUNT = re.compile(r"\d\s*(?:mg|mcg|µg|%|units?|iu|meq)(?![a-z])", re.I)
# "10/325" without units is a strength; "1/2 tab" or "1/2 hour" is not.
_RATIO = re.compile(rf"{_NUM}\s*/\s*{_NUM}", re.I)
_NOT_A_RATIO = re.compile(r"\s*(?:tabs?|tablets?|caps?|capsules?|hours?|hrs?|of)\b", re.I)

# The rule book's compounded topical, as imr_etl.dwc reads it from the text:
# named a compound or "in cream base", or two or more agents with percentages.
_COMPOUND_WORDS = re.compile(r"\bcompound(?:ed)?\b|\bin (?:a )?(?:cream|gel|lotion) base\b", re.I)
_AGENT = re.compile(r"\d(?:\.\d+)?\s*%")


def _strength(text: str) -> str | None:
    """The first strength in ``text`` as written, without spaces."""
    for match in _STRENGTH.finditer(text):
        found = match.group()
        if _AMOUNT.search(found) or (_RATIO.fullmatch(found) and not _NOT_A_RATIO.match(text, match.end())):
            return "".join(found.split())
    return None


def _compounded(service: str, named: list[_Name]) -> bool:
    return (any(entry.compound for entry in named) or bool(_COMPOUND_WORDS.search(service))
            or len(_AGENT.findall(service)) > 1)


def _dose_form(service: str) -> tuple[str | None, bool]:
    """(dose form, applied to the skin?) of a service: the first form named."""
    pattern, table = _dose_forms()
    form, topical = None, False
    for match in pattern.finditer(service):
        word_form, word_topical = table[match.group(1).lower()]
        form = form or word_form
        topical = topical or word_topical
    return form, topical


@lru_cache(maxsize=8192)
def _named(service: str) -> tuple[tuple[re.Match, _Name], ...]:
    """Each name of the table in the service, in letter order, with its row."""
    pattern, table = _names()
    return tuple((match, table[match.group(1).lower()]) for match in pattern.finditer(service))


def is_compound(service: str) -> bool:
    """Does the service name a compounded product of the table ("LidoPro",
    "Terocin", "Cyclophene")?  imr_etl.dwc files those as Topical Compounds."""
    return any(entry.compound for _, entry in _named(service))


@lru_cache(maxsize=8192)
def drug(service: str) -> dict | None:
    """``{generic, brand, strength, dose_form, drug_class}`` of the drug a
    service names, or None when it names none and says nothing of one.
    Cached: the same dict for the same service, so copy it to change it."""
    matches = [match for match, _ in _named(service)]
    named = [entry for _, entry in _named(service)]
    ingredients: list[str] = []
    for entry in named:
        ingredients += [i for i in entry.generic.split("/") if i not in ingredients]
    brand = next((m.group(1) if entry.brand == "yes" else entry.brand
                  for m, entry in zip(matches, named) if entry.brand), None)

    # Each drug's strength follows its name ("Baclofen 5%, Menthol 2%"); a
    # strength before any name ("5% lidocaine patch") is the one left.
    strengths = [_strength(service[m.end():n.start() if n else len(service)])
                 for m, n in zip(matches, matches[1:] + [None])]
    strengths = [s for s in strengths if s] or [s for s in [_strength(service)] if s]
    dose_form, on_skin = _dose_form(service)

    generic, drug_class = "/".join(ingredients) or None, named[0].drug_class if named else None
    product = _combinations().get(frozenset(ingredients)) if len(ingredients) > 1 else None
    if _compounded(service, named):
        drug_class = TOPICAL_COMPOUNDS
    elif product is not None:
        generic, drug_class = product.generic, product.drug_class
    if on_skin and drug_class in _ACT_LOCALLY:
        drug_class = TOPICAL_ANALGESICS
    found = {"generic": generic, "brand": brand, "strength": "/".join(strengths) or None,
             "dose_form": dose_form, "drug_class": drug_class}
    return found if any(found.values()) else None
