"""Canonical guideline documents and topics: one id per real-world document
and edition, however the letters spell it (docs/record.md, Citations).

SKELETON (issue 11).
"""

from __future__ import annotations

import re
from functools import lru_cache


def _slug(text: str | None) -> str | None:
    if not text:
        return None
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or None


@lru_cache(maxsize=8192)
def canonical(source: str, document: str | None, topic: str | None) -> tuple[str, str | None]:
    """(guideline_id, topic_id) of a citation as the letter writes it."""
    return "/".join(filter(None, (source.lower(), _slug(document)))), _slug(topic)
