"""The vocabularies in imr_etl/vocab/*.csv, read once.

Treatment taxonomy, drug names, body regions, number words, units, states,
specialties, guideline documents and typographic characters are data the
code reads, so a new drug or a new spelling is a row, not a code change.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``vocab/<name>`` as dicts keyed by its header."""
    with resources.files("imr_etl.vocab").joinpath(name).open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))
