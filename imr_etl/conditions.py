"""Diagnoses as conditions: one normalized spelling per condition (case,
spacing, abbreviations) and the body region it names.

SKELETON (issue 11).
"""

from __future__ import annotations

import re
from functools import lru_cache

from imr_etl import classify


@lru_cache(maxsize=8192)
def condition(diagnosis: str) -> tuple[str, str | None]:
    """(condition, body_region) of one diagnosis as the letter writes it."""
    text = re.sub(r"\s+", " ", diagnosis).strip(" .,;").lower()
    return text, classify.body_region(diagnosis)
