"""Another extractor, the same facts.

The bundled .txt files are what pypdf extracts from the published PDFs.
PDFium (pypdfium2) lays the same letters out differently: no blank lines,
CRLF, pages that end without a newline, and a word hyphenated at a line end
marked with U+FFFE and its line end dropped.  Every real letter must give
the same record from either text, field for field (less the hash and spans,
which belong to the file).
"""

from __future__ import annotations

import pytest

from helpers import REAL
from imr_etl import pdftext
from imr_etl.letters import parse_bytes


def pdfium_text(pdf_path, page_separator: str) -> str:
    """The package's extraction (imr_etl.pdftext), pages joined by ``page_separator``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdftext, "PAGE_SEPARATOR", page_separator)
        return pdftext.pdf_text(pdf_path.read_bytes(), str(pdf_path))


def facts(record: dict) -> dict:
    out = {k: v for k, v in record.items() if k not in {"sha256", "source_path"}}
    out["items"] = [{k: v for k, v in item.items() if k != "span"} for item in record["items"]]
    return out


@pytest.mark.parametrize("separator", ["\n", "\f"], ids=["newline", "formfeed"])
def test_pdfium_text_gives_the_same_record_as_pypdf_text(separator):
    mismatched = []
    for txt in REAL:
        expected = facts(parse_bytes(txt.read_bytes(), str(txt)))
        text = pdfium_text(txt.with_suffix(".pdf"), separator)
        got = facts(parse_bytes(text.encode("utf-8"), str(txt)))
        if got != expected:
            mismatched.append(txt.name)
    assert not mismatched, f"{len(mismatched)} letters differ: {mismatched[:10]}"


def test_pdfium_marks_line_end_hyphens_and_we_undo_them():
    # CM16-0230651: pypdf gives "electro-" / "myography" on two lines,
    # PDFium "electro\ufffemyography"; both are the word the letter means.
    txt = next(p for p in REAL if p.stem == "CM16-0230651")
    text = pdfium_text(txt.with_suffix(".pdf"), "\n")
    assert "electro\ufffemyography" in text
    record = parse_bytes(text.encode("utf-8"))
    assert "electromyography and nerve conduction" in record["items"][0]["rationale"]
