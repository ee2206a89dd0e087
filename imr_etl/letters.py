"""The whole parse of one letter: file → text → normalize → grammar → record.

This is what the CLI's ``parse`` and the loader call.  A text file's bytes
are its text; a PDF's text is extracted first (:mod:`imr_etl.pdftext`).  The
loader calls :func:`derive`, which also gives the grammar's output to keep,
and takes it back to re-derive a letter without the grammar.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Callable

from imr_etl import transform
from imr_etl.normalize import normalize
from imr_etl.errors import ImrEtlError, LetterParseError
from imr_etl.parse import parse_tree
from imr_etl.records import record

log = logging.getLogger(__name__)

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


def read_letter(text: bytes | str, source: str = "") -> tuple[transform.Letter, Callable[[], str]]:
    """The letter as the grammar reads it (its items located in the file),
    and its normalized text for :func:`imr_etl.records.record`."""
    normalized = normalize(text)
    # The parser transforms as it parses: no parse tree is built.
    letter = transform.located(parse_tree(normalized, source, transform.TRANSFORMER), normalized)
    return letter, lambda: normalized.text


def parse_text(text: bytes, data: bytes, source: str = "", format: str = "text") -> dict:
    """Record of docs/record.md for a letter's text (:func:`letter_text`);
    ``data`` is the file's raw bytes, which its hash is of."""
    return _record(*read_letter(text, source), data, source, format)


def _record(letter: transform.Letter, text: Callable[[], str], data: bytes, source: str, format: str) -> dict:
    parsed = record(letter, text)
    if not parsed["items"]:
        raise LetterParseError("no disputed items found", source)
    return {"source_path": source, "sha256": sha256(data),
            "format": format, **parsed}


class _NeedsText(Exception):
    """A record from a kept letter asked for the letter's text."""


def _needs_text() -> str:
    raise _NeedsText


def derive(text: bytes, data: bytes, source: str = "", format: str = "text",
           kept: bytes | None = None) -> tuple[dict, bytes | None]:
    """:func:`parse_text`, and the grammar's output to keep (``transform.keep``).

    Given ``kept``, the grammar's output kept for these bytes by a parser of
    the same grammar (:func:`imr_etl.lineage.grammar_key`), the record is made
    from it, skipping the normalizer and the grammar, and nothing new is
    kept.  A letter whose header gives no date of it is kept with its
    normalized text, which its record may need (:mod:`imr_etl.records`);
    should a record need the text all the same (a header date that is not
    one), or ``kept`` not read back, the text is parsed as if nothing were
    kept.  Same record either way."""
    if kept is not None:
        try:
            letter, kept_text = transform.kept(kept)
        except ImrEtlError:  # the letter's time budget ran out: not the bytes' fault
            raise
        except Exception:  # noqa: BLE001 - damaged or foreign bytes: the grammar decides
            log.debug("%s: the kept parse does not read back", source, exc_info=True)
        else:
            try:
                return _record(letter, _needs_text if kept_text is None else lambda: kept_text,
                               data, source, format), None
            except _NeedsText:
                pass
    letter, normalized_text = read_letter(text, source)
    # (the record's stage leaves the letter as it is: it may be kept first)
    keep = transform.keep(letter, None if transform.dated(letter) else normalized_text())
    return _record(letter, normalized_text, data, source, format), keep


def parse_bytes(data: bytes, source: str = "", format: str = "text") -> dict:
    """Record of docs/record.md for a letter's raw bytes (a text file's, or
    with ``format="pdf"`` a PDF's)."""
    return parse_text(letter_text(data, source, format), data, source, format)


def file_format(path: str | Path) -> str:
    """``text`` or ``pdf``, by the file's extension (unknown ones are text)."""
    # (os.path, not Path(path).suffix: asked twice of every letter a load
    # reads, and building a Path costs more than the rest of its row.)
    return FORMATS.get(os.path.splitext(path)[1].lower(), "text")


def parse_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LetterParseError(f"cannot read: {error.strerror or error}", str(path)) from None
    return parse_bytes(data, str(path), file_format(path))


__all__ = ["LetterParseError", "derive", "letter_text", "parse_bytes", "parse_file", "parse_text", "read_letter"]
