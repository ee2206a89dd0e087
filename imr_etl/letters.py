"""The whole parse of one letter: file → normalize → grammar → record.

This is what the CLI's ``parse`` and the loader call.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from imr_etl.normalize import normalize
from imr_etl.parse import LetterParseError, parse_tree
from imr_etl.transform import TRANSFORMER, record

FORMATS = {".txt": "text", ".text": "text"}


# A letter is tens of kilobytes; a file far larger is not one, and parsing it
# would only cost time (the grammar's lexer is linear but not cheap).
MAX_BYTES = 2_000_000


def parse_bytes(data: bytes, source: str = "", format: str = "text") -> dict:
    """Record of docs/record.md for a letter's raw bytes."""
    if len(data) > MAX_BYTES:
        raise LetterParseError(f"too large for a letter: {len(data):,} bytes "
                               f"(the limit is {MAX_BYTES:,})", source)
    normalized = normalize(data)
    # The parser transforms as it parses: no parse tree is built.
    parsed = record(parse_tree(normalized, source, TRANSFORMER), normalized)
    if not parsed["items"]:
        raise LetterParseError("no disputed items found", source)
    return {"source_path": source, "sha256": hashlib.sha256(data).hexdigest(),
            "format": format, **parsed}


def parse_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LetterParseError(f"cannot read: {error.strerror or error}", str(path)) from None
    return parse_bytes(data, str(path), FORMATS.get(path.suffix.lower(), "text"))


__all__ = ["LetterParseError", "parse_bytes", "parse_file"]
