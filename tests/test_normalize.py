"""Other extractions of the same letter give the same facts.

Each variant is built from a seed letter the way another extractor would lay
it out; the parsed record must equal the original's (less the hash and the
line spans, which belong to the file).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import REAL, SEEDS, paragraphs, rewrap
from imr_etl.errors import LetterParseError
from imr_etl.letters import parse_bytes
from imr_etl.normalize import decode, normalize, normalize_text


def facts(record: dict) -> dict:
    """A record without what depends on the file's bytes and layout."""
    out = {k: v for k, v in record.items() if k not in {"sha256", "source_path", "span"}}
    out["items"] = [{k: v for k, v in item.items() if k != "span"} for item in record["items"]]
    return out


def parsed(text: str | bytes) -> dict:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return facts(parse_bytes(data, "variant"))


@pytest.fixture(params=SEEDS + REAL[:5], ids=lambda p: p.stem)
def letter(request) -> str:
    return request.param.read_text(encoding="utf-8")


def logical(text: str) -> list[str]:
    return [line.text for line in normalize_text(text).lines]


@pytest.mark.parametrize("width", [35, 50, 66, 80, 120, 400])
def test_rewrapped_at_any_width(letter, width):
    relaid = "\n".join(
        "\n".join(__import__("textwrap").wrap(line, width, break_long_words=False,
                                              break_on_hyphens=False))
        for line in logical(letter)
    )
    assert parsed(relaid) == parsed(letter)


def test_physical_lines_split_narrower(letter):
    assert parsed(rewrap(letter, 45)) == parsed(letter)


def test_line_ends_crlf_and_cr(letter):
    plain = "\n".join(paragraphs(letter))
    assert parsed(plain.replace("\n", "\r\n")) == parsed(letter)
    assert parsed(plain.replace("\n", "\r")) == parsed(letter)


def test_blank_and_lone_space_lines(letter):
    lines = paragraphs(letter)
    doubled = "\n\n".join(lines)  # a blank line after every line, as in the seeds
    spaced = "\n \n".join(line + "   " for line in lines)  # lone spaces, trailing blanks
    assert parsed(doubled) == parsed(letter)
    assert parsed(spaced) == parsed(letter)


def test_page_furniture_and_form_feeds(letter):
    lines = paragraphs(letter)
    pages = []
    for number, start in enumerate(range(0, len(lines), 25), start=1):
        pages.append("\n".join(lines[start : start + 25]) + f"\nPage {number} of 9\n")
    assert parsed("\f".join(pages)) == parsed(letter)


def test_typographic_punctuation_and_nbsp(letter):
    fancy = (letter.replace("'", "\u2019").replace(" - ", " \u2013 ")
             .replace(". ", ".\u00a0", 20))
    fancy = re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", fancy)
    assert parsed(fancy) == parsed(letter)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_encodings(letter, encoding):
    fancy = letter.replace("'", "\u2019")
    data = fancy.encode(encoding, errors="replace")
    assert decode(data).replace("\r\n", "\n") == fancy.encode(encoding, errors="replace").decode(encoding)
    assert parsed(data) == parsed(letter)


def test_words_hyphenated_across_lines():
    text = SEEDS[1].read_text(encoding="utf-8")
    # "medically" occurs whole in this letter; an extractor that hyphenates
    # it at a line end must not change the rationale.
    assert "medically" in text
    broken = text.replace("not medically necessary", "not medi-\ncally necessary", 1)
    assert parsed(broken) == parsed(text)


def test_real_hyphen_at_line_end_is_kept():
    # seed 003 wraps "electro-acupuncture" after its hyphen
    record = parse_bytes(SEEDS[3].read_bytes(), "seed")
    assert "trial of electro-acupuncture treatments" in record["items"][0]["rationale"]


def test_decision_word_wrapped_onto_its_own_line():
    text = SEEDS[0].read_text(encoding="utf-8")
    wrapped = text.replace("Acupuncture, eight visits:  Upheld", "Acupuncture, eight visits:\n\nUpheld")
    assert wrapped != text
    assert parsed(wrapped) == parsed(text)


def test_header_block_above_a_seed():
    text = SEEDS[2].read_text(encoding="utf-8")
    header = ("Case Number: CM15-0123456 Date Assigned: 01/20/2015\n"
              "Date of Injury: 09/03/2010 Decision Date: 02/27/2015\n"
              "UR Denial Date: 12/31/2014 Priority: Standard Application\n"
              "Received:\n01/09/2015\nEmployer Name: Acme Tools\n")
    record = parse_bytes((header + text).encode(), "with-header")
    assert record["header"] == {
        "case_number": "CM15-0123456", "date_assigned": "2015-01-20",
        "injury_date": "2010-09-03", "decision_date": "2015-02-27",
        "ur_denial_date": "2014-12-31", "priority": "Standard",
        "application_received": "2015-01-09", "other": {"Employer Name": "Acme Tools"},
    }
    without = facts(record)
    without.pop("header")
    expected = parsed(text)
    expected.pop("header")
    assert without == expected


def test_normalizing_twice_equals_once(letter):
    once = normalize(letter)
    assert normalize(once.text).text == once.text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed_index=st.integers(0, len(SEEDS) - 1), widths=st.lists(st.integers(30, 160), min_size=1, max_size=6),
       blank=st.sampled_from(["", " ", "  "]), crlf=st.booleans(), rng=st.randoms())
def test_random_relayout_gives_the_same_record(seed_index, widths, blank, crlf, rng):
    text = SEEDS[seed_index].read_text(encoding="utf-8")
    out = []
    for line in logical(text):
        width = rng.choice(widths)
        out.extend(__import__("textwrap").wrap(line, width, break_long_words=False, break_on_hyphens=False))
        if rng.random() < 0.3:
            out.append(blank)
    sep = "\r\n" if crlf else "\n"
    assert parsed(sep.join(out)) == parsed(text)


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_normalize_is_idempotent_on_any_text(text):
    once = normalize(text)
    assert normalize(once.text).text == once.text


PARTIAL = [p for p in REAL if "was the original request" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("width", [40, 45, 70])
def test_partial_authorizations_rewrapped_narrow(width):
    """Every real letter with a partial authorization, its heading wrapped
    anywhere (even inside the authorized request): the same record."""
    assert len(PARTIAL) >= 5
    for path in PARTIAL:
        letter = path.read_text(encoding="utf-8")
        relaid = "\n".join(
            "\n".join(__import__("textwrap").wrap(line, width, break_long_words=False,
                                                  break_on_hyphens=False))
            for line in logical(letter)
        )
        assert parsed(relaid) == parsed(letter), path.name


# ------------------------------------------- a citation's page or a page number
# CM16-0219557's reviewer cites "ACOEM Occupational Medicine Practice
# Guidelines, 3rd ed., Low Back \nDisorders, pg. 607." and its rationale writes
# the same page as "…Third Edition ACOEM Guidelines Low Back Disorders
# Chapter,\npage 607."  A letter that writes the citation that way and ends
# the paragraph without a full stop, wrapped before "page", has a physical
# line that is just "page 607" -- which is also what a page number looks like.
LOW_BACK = next(p for p in REAL if p.stem == "CM16-0219557")
CITED = "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back \nDisorders, pg. 607. \n"
PAGE_LAST = "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders,\npage 607\n"


def page_last() -> list[str]:
    """CM16-0219557 with its citation ending in a line "page 607", as paragraphs."""
    text = LOW_BACK.read_text(encoding="utf-8")
    assert CITED in text
    return paragraphs(text.replace(CITED, PAGE_LAST))


def acoem(record: dict) -> dict:
    cited = record["items"][0]["citations"][-1]
    assert cited["cited_by"] == "reviewer" and cited["source"] == "ACOEM"
    return cited


def paginate(lines: list[str], breaks: list[int], footer: str | None, feed: str = "\f",
             header: bool = False) -> str:
    """``lines`` cut into pages before each index in ``breaks``: each page
    but the last ends in ``footer`` (numbered, or none) and ``feed``; with
    ``header``, each page but the first starts with it instead."""
    out, start = [], 0
    for number, end in enumerate(breaks, start=1):
        out += lines[start:end]
        if footer and not header:
            out.append(footer.format(k=number, n=len(breaks) + 1))
        if feed:
            out.append(feed)
        if footer and header:
            out.append(footer.format(k=number + 1, n=len(breaks) + 1))
        start = end
    return "\n".join(out + lines[start:]) + "\n"


def test_a_citation_wrapped_before_its_page_keeps_the_page():
    lines = page_last()
    record = parsed("\n".join(lines))
    assert acoem(record)["pages"] == "607"
    assert acoem(record)["topic"] == "Low Back Disorders"
    # the same citation as the letter's own "Low Back \nDisorders, pg. 607."
    assert acoem(record) == acoem(parsed(LOW_BACK.read_bytes()))


FOOTERS = ["Page {k}", "Page {k} of {n}", "- {k} -", "{k}/{n}", "Page {k}/{n}", "{k}/{n} pages"]


@pytest.mark.parametrize("footer", FOOTERS + [None])
@pytest.mark.parametrize("where", ["after", "before"])
def test_a_page_break_next_to_the_citations_page(footer, where):
    """A page (with its number in any form, or none: PDFium's pages joined by
    form feeds) ends just after "page 607", or just before it, between
    "…Low Back Disorders," and "page 607": the number is dropped, the
    citation's page kept."""
    lines = page_last()
    at = lines.index("page 607") + (1 if where == "after" else 0)
    assert 25 < at < len(lines) - 5
    expected = parsed("\n".join(lines))
    paged = paginate(lines, [25, at, at + 30], footer)
    assert parsed(paged) == expected
    assert acoem(parsed(paged))["pages"] == "607"
    if footer:
        kept = " ".join(line.text for line in normalize_text(paged).lines)
        assert footer.format(k=2, n=4) not in kept


@pytest.mark.parametrize("footer", ["Page {k}", "Page {k} of {n}"])
@pytest.mark.parametrize("first", [20, "citation"])
def test_page_numbers_without_form_feeds(footer, first):
    """An extraction that joins pages with a plain line end (pypdf's text
    read page by page) keeps a page's number as a line of its own, also
    right after "…Low Back Disorders," (the line that leads to "page 607"):
    page 1's number, or a later one."""
    lines = page_last()
    at = lines.index("page 607")
    breaks = [20, at, at + 20] if first == 20 else [at, at + 20]
    expected = parsed("\n".join(lines))
    paged = paginate(lines, breaks, footer, feed="")
    assert f"Disorders,\n{footer.format(k=len(breaks) - 1, n=len(breaks) + 1)}\npage 607" in paged
    assert parsed(paged) == expected
    assert acoem(parsed(paged))["pages"] == "607"


@pytest.mark.parametrize("feed", ["\f", ""])
def test_page_numbers_at_the_top_of_each_page(feed):
    """Page numbers printed as headers (page 2's "Page 2" first on it), with
    or without form feeds: page 2 starts between "…Low Back Disorders," and
    "page 607"."""
    lines = page_last()
    at = lines.index("page 607")
    expected = parsed("\n".join(lines))
    paged = paginate(lines, [at, at + 20], "Page {k}", feed=feed, header=True)
    assert parsed(paged) == expected
    assert acoem(parsed(paged))["pages"] == "607"


def test_other_extractions_of_the_citation_give_the_same_facts():
    lines = page_last()
    expected = parsed("\n".join(lines))
    crlf = "\r\n".join(lines)
    curly = re.sub(r'"([^"\n]*)"', "\u201c\\1\u201d", "\n".join(lines)).replace("'", "\u2019")
    assert curly != "\n".join(lines)
    blank = "\n\n".join(lines)  # a blank line after each, as pypdf gives the letters
    for variant in (crlf, curly, blank, blank.replace("\n", "\r\n")):
        assert parsed(variant) == expected
        assert acoem(parsed(variant))["pages"] == "607"


def test_a_page_number_that_no_text_leads_to_is_furniture():
    """Without form feeds, a lone "Page N" that neither continues the run of
    page numbers nor follows a line leading to it (a letter excerpted from
    page 5 on) is still dropped: the old rule, for the footer after a
    sentence.  Here it falls just above the item heading "Facet joint
    injections L4-5, L5-S1:  Upheld", which it must not join."""
    lines = paragraphs(LOW_BACK.read_text(encoding="utf-8"))
    at = lines.index("Facet joint injections L4-5, L5-S1:  Upheld")
    moved = lines[:at] + ["Page 5"] + lines[at:]
    record = parsed("\n".join(moved))
    assert record["items"][0]["service"] == "Facet joint injections L4-5, L5-S1"
    assert record == parsed(LOW_BACK.read_bytes())


def test_a_damaged_byte_after_a_byte_order_mark_is_replaced():
    """A BOM names the encoding; a byte that is not of it (a damaged file)
    becomes U+FFFD instead of failing the letter."""
    text = LOW_BACK.read_text(encoding="utf-8")
    damaged = text.encode("utf-16").replace("applicant".encode("utf-16-le"), b"\x00\xd8" + "pplicant".encode("utf-16-le"), 1)
    assert "\ufffd" in decode(damaged)
    assert parsed(damaged)["items"] == parsed(text)["items"]


def test_bytes_that_cp1252_lacks_are_read_as_latin_1():
    """0x81, 0x8D, 0x8F, 0x90 and 0x9D are not cp1252 (nor UTF-8): a Windows
    extraction with one of them still decodes, as latin-1 (the stray byte a
    control character, read as a space), and parses."""
    text = LOW_BACK.read_text(encoding="utf-8")
    data = text.encode("cp1252").replace(b"the applicant", b"the \x81applicant", 1)
    assert decode(data).count("\x81") == 1
    assert parsed(data)["items"] == parsed(text)["items"]


def test_a_line_end_hyphen_in_a_compound_the_letter_also_spells_whole_is_kept():
    """CM16-0245466 writes "an oral non-steroidal anti-inflammatory drug" and
    "oral non-steroidal anti-inflammatory drugs", and once "nonsteroidal
    anti-inflammatory drugs".  An extractor that breaks the first at its
    hyphen ("non-" / "steroidal") must leave it as the letter spells it."""
    path = next(p for p in REAL if p.stem == "CM16-0245466")
    text = path.read_text(encoding="utf-8")
    assert "nonsteroidal anti-inflammatory drugs" in text
    spelt = "failure of an oral non-steroidal anti-inflammatory drug"
    broken = text.replace(spelt, "failure of an oral non-\nsteroidal anti-inflammatory drug", 1)
    assert broken != text
    rationales = [item["rationale"] for item in parsed(broken)["items"]]
    assert any(spelt in r for r in rationales)
    assert parsed(broken) == parsed(text)


# ------------------------------------------- an error's place in the file

def _denied(text: str) -> tuple[int, int]:
    """Line and column of the decision word "Denied" in ``text``, read as an
    editor numbers them (CR, LF or CRLF end a line)."""
    lines = re.split(r"\r\n|\r|\n", text)
    (number,) = [n for n, line in enumerate(lines, 1) if "Denied" in line]
    return number, lines[number - 1].index("Denied") + 1


@pytest.mark.parametrize("respell", [
    lambda text: text,
    lambda text: text.replace("\n", "\r\n"),
    lambda text: text.replace("Acupuncture, eight", "   Acupuncture,\u00a0\u00a0eight"),  # indented, odd spaces
    lambda text: text.replace("Acupuncture, eight", "\u201cAcupuncture\u201d,\teight"),  # curly quotes, a tab
    lambda text: text.replace("visits:  Denied", "visits: \f Denied"),  # a form feed inside the line
], ids=["as extracted", "crlf", "odd spaces", "curly quotes", "form feed"])
def test_a_parse_error_names_the_files_own_line_and_column(respell):
    # seed 000's first item, "Acupuncture, eight visits:  Upheld", with its
    # decision misspelt: however extraction spaced and spelt the line, the
    # error points at the word in the file.
    text = respell(SEEDS[0].read_text(encoding="utf-8").replace(":  Upheld", ":  Denied", 1))
    with pytest.raises(LetterParseError) as caught:
        parse_bytes(text.encode("utf-8"), "x.txt")
    assert (caught.value.line, caught.value.column) == _denied(text)
    assert "found 'Denied'" in caught.value.reason


def test_a_heading_out_of_place_is_reported_as_its_own_line():
    # The determination cut out of a real letter: the summary's heading and
    # intro line (one token to the grammar) stand where the determination's
    # heading should; the error names the heading alone, at its line.
    text = REAL[0].read_text(encoding="utf-8")
    lines = text.split("\n")
    how = next(n for n, line in enumerate(lines) if line.startswith("HOW THE IMR"))
    summary = next(n for n, line in enumerate(lines) if line.startswith("CLINICAL CASE SUMMARY"))
    cut = "\n".join(lines[:how] + lines[summary:])
    with pytest.raises(LetterParseError) as caught:
        parse_bytes(cut.encode("utf-8"), "x.txt")
    assert (caught.value.line, caught.value.column) == (how + 1, 1)
    assert caught.value.reason == ("found 'CLINICAL CASE SUMMARY', "
                                   "expected 'HOW THE IMR FINAL DETERMINATION WAS MADE'")
