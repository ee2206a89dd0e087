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
    guideline_id = "/".join(filter(None, (source.lower(), _slug(document))))
    _SEEN.setdefault(guideline_id, {"guideline_id": guideline_id, "source": source, "document": document,
                                    "edition": None, "chapter": None, "acoem_chapter": None,
                                    "label": " ".join(filter(None, (source, document)))})
    return guideline_id, _slug(topic)


# SKELETON STAND-IN (issue 11, warehouse branch) until the real module is
# merged over it: no catalogue, so documents() lists the ids this process has
# seen, each as the first spelling it saw names it.
_SEEN: dict[str, dict] = {}


def documents() -> list[dict]:
    """One row per canonical document: guideline_id, source, document, edition,
    chapter, acoem_chapter, label.  SKELETON STAND-IN: the ids seen so far."""
    return list(_SEEN.values())

