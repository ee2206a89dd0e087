"""The whole parse of one letter: file → text → normalize → grammar → record.

This is what the CLI's ``parse`` and the loader call.  A text file's bytes
are its text; a PDF's text is extracted first (:mod:`imr_etl.pdftext`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from imr_etl.normalize import normalize
from imr_etl.errors import LetterParseError
from imr_etl.parse import parse_tree
from imr_etl.transform import TRANSFORMER, record

FORMATS = {".txt": "text", ".text": "text", ".pdf": "pdf"}


# A letter is tens of kilobytes; a file far larger is not one, and parsing it
# would only cost time (the grammar's lexer is linear but not cheap).
MAX_BYTES = 2_000_000
# A letter's PDF is a few times its text (the published ones: 10-100 kB, with
# their fonts); a scan of a long one may run to megabytes.  Past this it is
# not a letter, and reading it would only cost memory.  Its text has the
# text file's limit (imr_etl.pdftext.MAX_TEXT_CHARS).
MAX_PDF_BYTES = 20_000_000


def letter_text(data: bytes, source: str = "", format: str = "text") -> bytes:
    """The bytes the normalizer reads: a text file's own, a PDF's extracted
    text (UTF-8).  A PDF without text raises :class:`imr_etl.pdftext.PdfTextError`."""
    if format != "pdf":
        if len(data) > MAX_BYTES:
            raise LetterParseError(f"too large for a letter: {len(data):,} bytes "
                                   f"(the limit is {MAX_BYTES:,})", source)
        if not_text := _binary(data):
            raise LetterParseError(f"not text: {not_text}", source)
        return data
    # Imported here: reading text files needs no PDFium (the load's fork server
    # imports it up front, see imr_etl.workers.warm).
    from imr_etl.pdftext import PdfTextError, pdf_text

    if len(data) > MAX_PDF_BYTES:
        raise PdfTextError(f"too large for a letter's PDF: {len(data):,} bytes "
                           f"(the limit is {MAX_PDF_BYTES:,})", source)
    return pdf_text(data, source).encode("utf-8")


# The control bytes text does not have: all but tab, the line ends, form feed,
# vertical tab and escape (some extractions write them).  Many of these in a
# "text" file mean it is not one.
_CONTROLS = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 and UTF-32 text has NUL bytes


def _binary(data: bytes) -> str | None:
    """Why ``data`` is not a letter's text, or None: a PDF named as text, or
    bytes with NULs or many control characters (an image, an archive)."""
    head = data[:8192]
    if head.startswith(b"%PDF-"):
        return "it is a PDF (name it .pdf to have its text extracted)"
    if head.startswith(_WIDE_BOMS):
        return None
    controls = len(head) - len(head.translate(None, _CONTROLS))  # counted in C: this runs on every letter
    if b"\x00" in head or controls > len(head) // 20:
        return "binary data (control bytes where a letter has text)"
    return None


# A loader hashes a file's bytes where it reads them and again where it
# parses or quarantines them (imr_etl.workers.read and prepare, parse_text):
# the same bytes object each time.  The last digest is kept with the object
# it is of (so the object lives, and ``is`` cannot match another one).
_last_hashed: tuple[bytes, str] = (b"", hashlib.sha256(b"").hexdigest())


def sha256(data: bytes) -> str:
    """Hex sha256 of ``data``, computed once for the same bytes object hashed again."""
    global _last_hashed
    if data is not _last_hashed[0] or type(data) is not bytes:  # (a bytearray may change)
        _last_hashed = (data, hashlib.sha256(data).hexdigest())
    return _last_hashed[1]


def parse_text(text: bytes, data: bytes, source: str = "", format: str = "text") -> dict:
    """Record of docs/record.md for a letter's text (:func:`letter_text`);
    ``data`` is the file's raw bytes, which its hash is of."""
    normalized = normalize(text)
    # The parser transforms as it parses: no parse tree is built.
    parsed = record(parse_tree(normalized, source, TRANSFORMER), normalized)
    if not parsed["items"]:
        raise LetterParseError("no disputed items found", source)
    return {"source_path": source, "sha256": sha256(data),
            "format": format, **parsed}


def parse_bytes(data: bytes, source: str = "", format: str = "text") -> dict:
    """Record of docs/record.md for a letter's raw bytes (a text file's, or
    with ``format="pdf"`` a PDF's)."""
    return parse_text(letter_text(data, source, format), data, source, format)


def file_format(path: str | Path) -> str:
    """``text`` or ``pdf``, by the file's extension (unknown ones are text)."""
    return FORMATS.get(Path(path).suffix.lower(), "text")


def parse_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LetterParseError(f"cannot read: {error.strerror or error}", str(path)) from None
    return parse_bytes(data, str(path), file_format(path))


__all__ = ["LetterParseError", "letter_text", "parse_bytes", "parse_file", "parse_text"]
