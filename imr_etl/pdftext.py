"""Stage 0 (read) for a PDF letter: its text layer, as PDFium lays it out.

The DWC publishes each letter as a PDF encrypted with an empty user password
(AES, copying "forbidden" by a permission flag, which a reader may ignore).
PDFium (pypdfium2) opens those with the empty password and extracts a letter
in a few milliseconds, about ten times as fast as the pure-Python extractors
(benchmarks/README.md).  Its text differs from pypdf's in layout only —
CRLF, no blank lines, a page's last line without a line end, a word broken
at a line end marked with U+FFFE — and the normalizer takes either to the
same record (tests/test_extractions.py).

A PDF that yields no text is a scan (an image of a letter) and is refused,
as is one that needs a password or is not a readable PDF: each with a one-
line reason (:class:`PdfTextError`), which the loader quarantines at the
read stage.

PDFium is not thread-safe: call this from one thread per process (the loader
reads in worker processes, each single-threaded).  It starts no threads of
its own, so the load's fork server may load it before forking the workers.
Every PDFium object is closed as soon as it is used, also when the letter's
time budget (a SIGALRM, :func:`imr_etl.workers.time_budget`) interrupts the
extraction — which it can only between pages, not inside PDFium's C code.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from imr_etl.errors import PdfTextError

# The text a PDF may hold before it is not a letter (the limit a text file has).
MAX_TEXT_CHARS = 2_000_000
# Pages are joined with a line end: PDFium ends a page's last line without one.
PAGE_SEPARATOR = "\n"

NO_TEXT = "no text layer (a scanned image?)"
NEEDS_PASSWORD = "needs a password"


def pdf_text(data: bytes, source: str = "") -> str:
    """The text of a PDF letter's pages, joined by :data:`PAGE_SEPARATOR`."""
    if not data:
        raise PdfTextError("not a readable PDF: the file is empty", source)
    document = _open(data, source)
    try:
        pages: list[str] = []
        size = 0
        for index in range(len(document)):
            text = _page_text(document, index, source)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                raise PdfTextError(f"too large for a letter: over {MAX_TEXT_CHARS:,} characters of text "
                                   f"by page {index + 1}", source)
            pages.append(text)
    finally:
        document.close()
    if not pages:
        raise PdfTextError("not a readable PDF: it has no pages", source)
    text = PAGE_SEPARATOR.join(pages)
    if not text.strip():
        raise PdfTextError(NO_TEXT, source)
    return text


def _open(data: bytes, source: str) -> pdfium.PdfDocument:
    try:
        # The empty password opens the published letters; an unencrypted PDF ignores it.
        return pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise PdfTextError(NEEDS_PASSWORD, source) from None
        raise PdfTextError(f"not a readable PDF: {_why(error)}", source) from None


def _page_text(document: pdfium.PdfDocument, index: int, source: str) -> str:
    try:
        page = document[index]
    except pdfium.PdfiumError as error:
        raise PdfTextError(f"not a readable PDF: page {index + 1}: {_why(error)}", source) from None
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    except pdfium.PdfiumError as error:
        raise PdfTextError(f"not a readable PDF: page {index + 1}: {_why(error)}", source) from None
    finally:
        page.close()


def _why(error: pdfium.PdfiumError) -> str:
    """PDFium's own words, without pypdfium2's wrapping: 'Failed to load
    document (PDFium: Data format error).' → 'data format error'."""
    message = str(error).strip().rstrip(".")
    if "(PDFium: " in message:
        message = message.split("(PDFium: ", 1)[1].rstrip(")")
    message = " ".join(message.split())
    if not message or message.lower() == "success":  # a broken file PDFium failed on without a code
        return "PDFium could not read it"
    return message[:1].lower() + message[1:]
