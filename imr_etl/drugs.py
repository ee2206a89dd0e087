"""A pharmaceutical item's drug: generic ingredient(s), brand, strength, dose
form and the DWC drug class (docs/dwc-taxonomy.md, Drugs).

SKELETON (issue 11): to be filled from ``vocab/drugs.csv``.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8192)
def drug(service: str) -> dict | None:
    """``{generic, brand, strength, dose_form, drug_class}`` of the drug a
    service names, or None when it names none."""
    return None
