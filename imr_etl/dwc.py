"""The DWC's own classification of a disputed item (docs/dwc-taxonomy.md).

The DWC's IMR decision search files every item under a category and
subcategory of its own; analysts compare our numbers with the DWC's, so each
item carries them beside our finer taxonomy.  Both tables are data:

* ``vocab/dwc_patterns.csv`` — services our taxonomy files too coarsely or
  not at all ("EKG" is a test of its own, not a lab; "hygiene wipes" are
  supplies), first match wins, optionally only within one of our categories;
* ``vocab/dwc_taxonomy.csv`` — otherwise, our (category, subcategory) → the
  DWC's, with imaging of a limb filed apart from other imaging.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from imr_etl import drugs, vocabulary
from imr_etl.classify import FRAME
from imr_etl.prefilter import Prefiltered

UNCLASSIFIED = "Unclassified"
# Regions whose imaging the DWC files as peripheral (vocab/regions.csv groups).
_LIMB_GROUPS = {"upper_extremity", "lower_extremity"}


@cache
def _patterns() -> tuple[tuple[re.Pattern, str, tuple[str, str | None, str | None]], ...]:
    return tuple((re.compile(row["pattern"], re.I), row["treatment_category"], _target(row))
                 for row in vocabulary.rows("dwc_patterns.csv"))


@cache
def _prefilter() -> Prefiltered:
    return Prefiltered([pattern for pattern, _, _ in _patterns()])


def _target(row: dict) -> tuple[str, str | None, str | None]:
    """(category, subcategory, subcategory when the service names a limb)."""
    return row["dwc_category"], row["dwc_subcategory"] or None, row["limb_subcategory"] or None


@cache
def _mapping() -> dict[tuple[str, str], tuple[str, str | None, str | None]]:
    return {(row["treatment_category"], row["treatment_subcategory"]): _target(row)
            for row in vocabulary.rows("dwc_taxonomy.csv")}


@cache
def _limb_regions() -> frozenset[str]:
    return frozenset(row["region"] for row in vocabulary.rows("regions.csv")
                     if row["region_group"] in _LIMB_GROUPS)


@lru_cache(maxsize=8192)
def classify(service: str, category: str, subcategory: str,
             region: str | None) -> tuple[str, str | None]:
    """(dwc_category, dwc_subcategory) of an item from its service text, our
    (category, subcategory) and the body region the service names."""
    text = FRAME.sub("", service)
    dwc_category, dwc_subcategory, limb = _pattern(text, category) or _mapping().get(
        (category, subcategory), (UNCLASSIFIED, None, None))
    if category == "pharmaceuticals" and subcategory == "topical_analgesics" and _compounded(text):
        return dwc_category, "Topical Compounds"
    if limb and region in _limb_regions():
        return dwc_category, limb
    return dwc_category, dwc_subcategory


def _pattern(text: str, category: str) -> tuple[str, str | None, str | None] | None:
    """The first row of dwc_patterns.csv that fits; a named drug is a drug
    whatever else its service says, so none applies to pharmaceuticals."""
    if category == "pharmaceuticals":
        return None
    for pattern, within, target in _prefilter().among(_patterns(), text):
        if (not within or within == category) and pattern.search(text):
            return target
    return None


_AGENT = re.compile(r"\d(?:\.\d+)?\s*%")
_COMPOUND = re.compile(r"\bcompound(?:ed)?\b|\bin (?:a )?(?:cream|gel|lotion) base\b", re.I)


def _compounded(text: str) -> bool:
    """A compounded topical: named a compound, or two or more agents each
    with its own percentage ("Flurbiprofen 20%, Baclofen 5% … in cream base"),
    or a compounded product of the drug table ("Terocin", "Cyclophene 5% cream")."""
    return bool(_COMPOUND.search(text)) or len(_AGENT.findall(text)) > 1 or drugs.is_compound(text)
