"""The parse's fast paths find exactly what the plain code they replace finds.

Each speed-up in the parse rewrites something simple into something faster:
a grammar terminal, a scan of the letter, a letter's rows as CSV lines.  Here each is checked against its
plain form over every sample letter and over text made to trip it (stop
phrases at odd places, key words cut short, mixed case).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from helpers import REAL, SEEDS
from imr_etl import (citations, classify, conditions, dwc, extract, letters, lineage, normalize, outcomes, prefilter,
                     rows, schema, transform, vocabulary, wording)
from imr_etl.prefilter import Prefiltered
from imr_etl.letters import parse_bytes
from imr_etl.parse import parser

# (The seeds and a few real letters: the plain forms are slow.)
LETTERS = [normalize.normalize(path.read_bytes()) for path in SEEDS + REAL[:6]]

# The terminals as they were written before they were made fast: the lazy
# "[^\n]+?(?=end)" and the tempered "((?!stop)[^\n])+".
_NOT_A_STATEMENT = (r"(?!(The )?(Claims Administrator|Expert Reviewer|reviewer)[^\n]*?(did not cite any medical"
                    r" evidence|outside of the MTUS|did not base (their|its) decision on the MTUS))")
PLAIN = {
    "SERVICE": (r"(?! )[^\n]+?(?=( is)? *:[^:\n]*$)( is)? *: *", re.M),
    "citation__REFERENCE_TEXT": (
        r"(?! )((?!Decision based on|Section\(s\):|Page\(s\):|(pages?|pg\.?) ?\d|(?<=\d{4}), and "
        r"|(?<=\d), and [A-Z]|The (Claims Administrator|Expert Reviewer) )[^\n])+", re.I),
    # (These two begin with their labels: the text is tried after one.)
    "citation__SECTIONS": (
        r"Section\(s\): *(?:%s(?! )((?!Decision based on|Page\(s\):|, and [A-Z]"
        r"|The (Claims Administrator|Expert Reviewer) )[^\n])+)?" % _NOT_A_STATEMENT, re.I),
    "REQUEST": (
        (r"(?! )[^\n]+?(?= ?(was the original request\.|was authorized by the Claims Administrator\."
         r"|, leaving the original request IMR eligible\.))"), re.I),
    "_QUALIFICATION_LEAD": (
        r"[^\n]*?The expert reviewer is (?=(Board Certified|licensed in)[^\n]*?licensed to practice in [^\n]*?\.)",
        re.I),
    "citation__NON_MTUS_BASED": (
        r"Decision based on Non- ?MTUS( Citation)?:? *(?:%s(?! )((?!Decision based on"
        r"|The (Claims Administrator|Expert Reviewer) )[^\n])+)?" % _NOT_A_STATEMENT, re.I),
}
LABELS = {"citation__SECTIONS": "Section(s): ", "citation__NON_MTUS_BASED": "Decision based on Non-MTUS "}

TRICKY = [
    "Decision based on MTUS Chronic Pain 2009, and Low Back Page(s): 12, and Knee Section(s): pages 3",
    "Acupuncture is : Upheld\nPT:  :x: Overturned\nEMG is:Upheld\nA is B is: Overturned",
    "The Claims Administrator guideline pg.4 p. 7 Section(s):, and Z DECISION BASED ON odg",
    "page 2 pages2 pg 2, and 2016, and x 1, and Y the expert reviewer tHE cLAIMS aDMINISTRATOR ",
    "Norco 10/325mg #60 is: Upheld is: Upheld",
    ("Tramadol, w/ 50mg,#90 WAS THE ORIGINAL REQUEST. W #60 was authorized by the claims administrator. x was"
     " the original request, , leaving the original request IMR eligible. was the original request."),
    "The Claims Administrator authorized Norco #30 , leaving the original request IMR eligible.was",
    "Norco #30was the original request. Norco #20Was authorized by the Claims Administrator.",
    ("Per the expert reviewer: the expert reviewer is Board Certified. The Expert Reviewer is licensed in Ohio and"
     " is licensed to practice in Ohio. THE EXPERT REVIEWER IS BOARD CERTIFIED in Surgery, is licensed to practice"
     " in CA. the expert reviewer is Board Certified in X, licensed to practice in Y"),
]


def _terminal(name: str) -> re.Pattern:
    lexer = parser(None).parser.lexer
    terminal = next(t for t in lexer.root_lexer.terminals if t.name == name)
    return re.compile(terminal.pattern.to_regexp())


def _positions(text: str) -> list[int]:
    """Where a token can start: each line start and each character after a space."""
    return sorted({0} | {i + 1 for i, c in enumerate(text) if c in " \n" and i + 1 < len(text)})


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_each_fast_terminal_matches_what_its_plain_form_matches(name):
    fast = _terminal(name)
    pattern, flags = PLAIN[name]
    plain = re.compile(pattern, flags)
    texts = [letter.text for letter in LETTERS] + TRICKY
    checked = 0
    for text in texts:
        for pos in _positions(text):
            if name in LABELS:  # the label, then the text from here to the line end
                sample, at = LABELS[name] + text[pos : text.find("\n", pos) + 1 or None], 0
            else:
                sample, at = text, pos
            a, b = fast.match(sample, at), plain.match(sample, at)
            assert (a and a.span()) == (b and b.span()), (name, sample[at:at + 80])
            checked += bool(a)
    assert checked > 100  # the terminal did match, many times


def _fields_one_by_one(line: str) -> list[str] | None:
    """HEADER_LINE's plain form: the header's fields as the lexer reads them a
    token at a time (KNOWN_FIELD where it matches, else OTHER_FIELD) to the
    line end, or None if it does not get there."""
    known, other = _terminal("KNOWN_FIELD"), _terminal("OTHER_FIELD")
    fields, at = [], 0
    while at < len(line) and line[at] != "\n":
        field = known.match(line, at) or other.match(line, at)
        if not field or field.end() == at:
            return None
        fields.append(field.group())
        at = field.end()
    return fields if fields and line[at:] == "\n" else None


def _header_lines() -> list[str]:
    """The real letters' header lines after any preamble, and the same
    damaged in ways that trip one field or another."""
    preamble = _terminal("HEADER_PREAMBLE")
    lines = []
    for path in REAL[:40]:
        first = normalize.normalize(path.read_bytes()).lines[0].text
        found = preamble.match(first)
        lines.append(first[found.end() if found else 0 :] + "\n")
    damaged = []
    for line in lines[:10]:
        damaged += [line.upper(), line.lower(), line.replace(":", "", 1), line.replace("Priority:", "Priority"),
                    line.replace("Date Assigned:", "Claim Number: 12 Date Assigned:"),
                    line.replace("Standard", "Standard foo: bar"), line.replace("Standard", "Standard Foo: bar"),
                    line.replace("Decision Date:", "DECISION DATE :"), line.replace(" ", "  "),
                    line[:-1] + " Case Number:\n", line[:-1] + " :\n", "Case Number: " + line]
    return lines + damaged


def test_the_header_line_reads_as_its_fields_one_by_one():
    header_line = _terminal("HEADER_LINE")
    read = 0
    for line in _header_lines():
        whole, fields = header_line.match(line), _fields_one_by_one(line)
        assert (whole is not None and whole.end() == len(line)) == (fields is not None), line
        if fields is not None:
            assert [f.group() for f in transform._header_field().finditer(line)] == fields, line
            read += 1
    assert read > 50


# Terminals that read, as one token, what others read one by one: each
# with its parts, and texts that have it whole or damaged.
_CREDENTIALS = [letter.text for letter in LETTERS] + [
    text.replace("Licensure: ", "Licensure: ,", 1) for text in (l.text for l in LETTERS)] + [
    text.replace("Certification(s)/Specialty:", "Certification(s) / Specialty:") for text in (l.text for l in LETTERS)]
ONE_TOKEN = {
    "citation__MTUS_SECTIONS": (("citation__MTUS_BASED", "citation__SECTIONS"), [
        "Decision based on MTUS Section(s): Opioids, Decision based on MTUS Knee section(s):x",
        "Decision based on MTUS Chronic Pain SECTION(S): Opioids Page(s): 3, and Low Back Section(s): A"]),
    "CREDENTIALS_LINES": (("_CREDENTIALS_LINE", "LICENSURE_LINE", "SPECIALTY_LINE"), _CREDENTIALS),
}


@pytest.mark.parametrize("name", sorted(ONE_TOKEN))
def test_a_terminal_of_others_reads_as_they_read_one_by_one(name):
    parts, more = ONE_TOKEN[name]
    together = _terminal(name)
    read = 0
    for text in [letter.text for letter in LETTERS] + TRICKY + more:
        for pos in _positions(text):
            ends = [pos]
            for part in parts:
                found = _terminal(part).match(text, ends[-1])
                if not found:
                    break
                ends.append(found.end())
            both = together.match(text, pos)
            assert (both and both.span()) == ((pos, ends[-1]) if len(ends) > len(parts) else None), text[pos:pos + 80]
            read += bool(both)
    assert read > 5


def test_the_transformer_cuts_a_terminal_of_others_where_they_end():
    for text in [letter.text for letter in LETTERS]:
        for pos in _positions(text):
            both = _terminal("citation__MTUS_SECTIONS").match(text, pos)
            if both:
                first = _terminal("citation__MTUS_BASED").match(text, pos)
                assert citations._SECTIONS_LABEL.search(both.group()).start() == first.end() - pos


def test_the_line_start_search_finds_what_finditer_finds():
    grids = [normalize._Layout(normalize.clean_lines(normalize.decode(p.read_bytes()))) for p in SEEDS + REAL]
    grids.append(normalize._Layout([(line, n) for n, line in enumerate(
        ["The Expert Reviewer has the following credentials:", "CLINICAL CASE SUMMARY",
         "Decision rationale: x", "Decision rationale:", "HOW THE IMR", "FINAL DETERMINATION WAS MADE"], 1)]))
    for grid in grids:
        for pattern in (normalize._STANDALONE, normalize._LINE_START):
            assert grid._at_line_starts(pattern) == [m.span() for m in pattern.finditer(grid.joined)]


def _grids() -> list[normalize._Layout]:
    grids = [normalize._Layout(normalize.clean_lines(normalize.decode(p.read_bytes()))) for p in SEEDS + REAL]
    tricky = ["how the imr final determination was made", "Clinical Case SUMMARY", "HOW THE IMR", "FINAL DETERMINATION",
              "WAS MADE", "X is: UPHELD", "Y is:", "overturned", "Claims administrator GUIDELINE: x",
              "Norco #30 WAS THE ORIGINAL REQUEST. Norco #20 Was Authorized By The Claims Administrator.",
              "The remaining portion of the original request, Z is: Upheld", "Decision Rationale: k"]
    grids.append(normalize._Layout([(line, n) for n, line in enumerate(tricky, 1)]))
    return grids


def test_a_folded_pattern_matches_lower_cased_text_where_its_pattern_matches_the_text():
    texts = [grid.joined for grid in _grids()]
    texts = [text for text in texts if text.isascii()]
    assert len(texts) > 100
    for text in texts:
        for pattern, folded in zip(normalize._PATTERNS, normalize._FOLDED):
            assert [m.span() for m in folded.finditer(text.lower())] == [m.span() for m in pattern.finditer(text)]


def test_the_layout_finds_the_same_line_starts_searching_the_text_itself():
    grids = _grids()
    assert sum(grid.patterns is normalize._FOLDED for grid in grids) > 100
    for grid in grids:
        starts = grid.starts()
        grid.searched, grid.patterns = grid.joined, normalize._PATTERNS
        assert grid.starts() == starts


def test_the_labels_flat_alternation_matches_where_the_reviewers_grouped_did():
    reviewers = "(?:%s)" % "|".join(normalize._words(label) for label in wording.REVIEWER_LABELS)
    grouped = [normalize._words(wording.CLAIMS_LABEL), reviewers, normalize._words(wording.RATIONALE_LABEL)]
    pairs = [(re.compile("|".join(normalize._CREDENTIAL_LABELS + normalize._ITEM_LABELS), re.I),
              re.compile("|".join(normalize._CREDENTIAL_LABELS + grouped), re.I)),
             (normalize._glued_phrase(), re.compile("|".join(normalize._HEADINGS + grouped)))]
    texts = [grid.joined for grid in _grids()] + ["x MAXIMUS  guideline: Expert\nReviewer guideline:Expert Reviewer"]
    for flat, plain in pairs:
        assert [[m.span() for m in flat.finditer(t)] for t in texts] == [[m.span() for m in plain.finditer(t)]
                                                                        for t in texts]
    assert sum(bool(normalize._glued_phrase().search(t, 1)) for t in texts) > 100


def test_lines_without_page_breaks_are_cleaned_as_the_lines_with_them_are():
    texts = [normalize.decode(path.read_bytes()) for path in SEEDS + REAL]
    rng = random.Random(15)
    furniture = ["Page 2 of 5", "page 3", "- 4 -", "3/7", "2 / 9 pages", "7/10", "Chapter 12,", "12", "pages"]
    for text in texts[:40]:
        lines = text.splitlines()
        for _ in range(12):  # page numbers and glued labels anywhere
            at = rng.randrange(len(lines))
            lines.insert(at, rng.choice(furniture + [lines[at] + " Decision rationale: x",
                                                     "  " + lines[at] + "CLINICAL CASE SUMMARY  "]))
        texts.append("\n".join(lines))
    for text in texts:
        prepared = normalize._prepared(text)
        assert "\f" not in prepared and "\ufffe" not in prepared
        plain = normalize._cleaned(prepared.split("\n"), normalize._lines_with_label_words(prepared))
        assert normalize.clean_lines(text) == plain


def test_the_translation_is_str_translate_of_the_table():
    texts = [normalize.decode(path.read_bytes()) for path in SEEDS + REAL]
    texts += ["tab\there\x0bvt\x1cfs\x7fdel\x00nul\r\n\f", "".join(map(chr, range(128))),
              "non-ASCII \u2019quotes\u201d\xa0and\ttab", ""]
    table = normalize._translation()
    assert [normalize._translate(t) for t in texts] == [t.translate(table) for t in texts]


def test_logical_lines_are_joined_as_line_by_line():
    grids = [normalize._Layout(normalize.clean_lines(normalize.decode(p.read_bytes()))) for p in SEEDS + REAL]
    grids.append(normalize._Layout([(line, n) for n, line in enumerate(
        ["medi-", "cally necessary", "x-", "ray of the L4-", "5 and MTUS-", "Section", "a -", "-", "b"], 1)]))
    hyphens = 0
    for grid in grids:
        words = normalize._LazyWords(grid.joined)
        n = len(grid.texts)
        for first in range(0, n, 3):
            for last in range(first, min(first + 8, n)):
                plain = normalize._join(grid.texts[first:last + 1], words)
                assert normalize._joined(grid, first, last, words) == plain, grid.texts[first:last + 1]
                hyphens += any(t.endswith("-") for t in grid.texts[first:last])
    assert hyphens > 100  # the join's other path was taken too


def test_the_diagnosis_scan_finds_what_finditer_finds():
    summaries = [line.text for letter in LETTERS for line in letter.lines]
    words = ["diagnosed with", "the diagnosis of", "a diagnoses of", "was being treated for",
             "being undergoing treatment for", "is undergoing treatment for", "Diagnoses include:",
             "DIAGNOSES ARE", "diagnos", "being treated", "pain.", "Low back pain", "1.", "and", ",", ".",
             # key words that start no list: the scan must go on past them
             "diagnostic testing", "undiagnosed", "prediagnosis", "treated for"]
    rng = random.Random(7)
    summaries += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(2000)]
    summaries += ["Diagnoſes are: neck pain."]  # not ASCII: the plain scan
    found = 0
    for summary in summaries:
        fast = [m.span() for m in extract._diagnosis_lists(summary)]
        assert fast == [m.span() for m in extract._DIAGNOSES.finditer(summary)], summary
        found += len(fast)
    assert found > 1000


def test_a_diagnosis_list_ends_where_the_lazy_dot_ends_it():
    head, rest = extract._DIAGNOSES.pattern.split("(?P<list>", 1)
    plain = re.compile(head + "(?P<list>.+?)(?:(?<!" + rest.split(")(?:(?<!", 1)[1], extract._DIAGNOSES.flags)
    texts = [line.text for letter in LETTERS for line in letter.lines]
    texts += ["Diagnoses are: a. b.\n", "diagnosed with x\ny.", "diagnosed with x.\n", "diagnosed with ..",
              "Diagnoses include: 1. neck pain 2. back pain. Plan: rest.", "diagnosed with x. Y z. The a",
              "diagnosed with L4.5 disc. Next", "diagnosed with \"x.\" Then", "diagnosed with x.\"", "diagnosed with ."]
    found = 0
    for text in texts:
        for at in range(len(text)):
            fast, slow = extract._DIAGNOSES.match(text, at), plain.match(text, at)
            assert (fast and (fast.span(), fast.span("list"))) == (slow and (slow.span(), slow.span("list"))), text
            found += fast is not None
    assert found > 20


def test_a_diagnosis_list_without_a_digit_or_an_and_is_left_as_the_walks_leave_it():
    rng = random.Random(17)
    words = ["1.", "2)", "3 ", "\u0663.", "and", " and ", ",", "cervical", "thoracic", "lumbar", "strain", "Pain",
             "knee", "shoulder", "sprain", "syndrome2.", "a", "x"]
    texts = [line.text for letter in LETTERS for line in letter.lines]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    numbered = series = 0
    for text in texts:
        assert extract._numbered(text) == extract._NUMBERING.sub("; ", text), text
        numbered += extract._NUMBERING.search(text) is not None
        if extract._SERIES.search(text):  # what _protect_region_series skips the walk for has none
            assert " and " in text, text
            series += 1
        else:
            assert extract._protect_region_series(text) == text
    assert numbered > 100 and series > 100


def test_a_region_name_is_known_as_the_uncached_test_knows_it():
    words = [w for letter in LETTERS for line in letter.lines for w in re.split(r",? and |, ", line.text)]
    words += ["shoulder", " Right Knee ", "upper extremity", "knee and", "lumbar spine", ""]
    plain = classify.names_region.__wrapped__
    assert [classify.names_region(w) for w in words] == [plain(w) for w in words]
    assert classify.names_region("shoulder") and not classify.names_region("lumbar strain")


def test_the_date_scan_finds_what_finditer_finds():
    texts = [letter.text for letter in LETTERS]
    words = ["Dec", "DECISION", "december 9, 2016", "Sept. 3 2015", "May 1st, 2016", "mar", "summary", "10/14/ 2016",
             "1-2-03", "123/45/6789", "2016", "x9", "_1/2/2016", "\u00b21/2/2016", "\u017fep 3, 2016",
             "\u0130an 2, 2016", "caf\u00e9 1/2/16", "Oct", ",", ".", "\n", "7"]
    rng = random.Random(5)
    texts += ["".join(rng.choice(words) + rng.choice(["", " ", "  "]) for _ in range(rng.randint(1, 25)))
              for _ in range(3000)]
    found = 0
    for text in texts:
        fast = [(m.span(), m.groupdict()) for m in extract._dates(text)]
        assert fast == [(m.span(), m.groupdict()) for m in extract.DATE.finditer(text)], text
        found += len(fast)
    assert found > 3000


def test_vocabulary_patterns_match_the_same_compiled_for_plain_text():
    texts = [line.text for letter in LETTERS for line in letter.lines]
    texts += [word for text in texts for word in text.split(". ")]
    texts += ["Ice unit x 2 weeks rental", "MRI of the L4-5 and C5-C6", "Norco 10/325mg #60 take 1 tab",
              "12 sessions (12) of PT, 2 times a week for 6 weeks", "SI joint injection, left", "Knee_brace"]
    texts = [t for t in texts if classify._plain(t)]
    pairs = [(a, b) for (a, *_), (b, *_) in zip(classify._service_patterns(), classify._service_patterns(True))]
    pairs += [(a, b) for (a, _), (b, _) in zip(classify._regions(), classify._regions(True))]
    pairs += [(classify._drugs()[0], classify._drugs(True)[0])]
    pairs += [(a, b) for (_, a), (_, b) in zip(classify._rules(), classify._rules(True))]
    assert all(b.flags & re.ASCII for _, b in pairs)
    found = 0
    for text in texts:
        for unicode, plain in pairs:
            a, b = unicode.search(text), plain.search(text)
            assert (a and a.span()) == (b and b.span()), (unicode.pattern, text)
            found += bool(a)
    assert found > 1000


def _vocabulary_texts() -> list[str]:
    """Service-like texts: the letters' lines and sentences, and made-up
    ones with the vocabularies' words cut, joined and cased oddly."""
    texts = [line.text for letter in LETTERS for line in letter.lines]
    texts += [piece for text in texts for piece in re.split(r"\. |, | and ", text)]
    words = [w for row in vocabulary.rows("service_patterns.csv") for w in re.findall(r"[A-Za-z][a-z]+", row["pattern"])]
    words += ["x-ray", "X ray", "10/325mg", "#60", "2x6", "C5-6", "L4-S1", "TENS-unit", "e-stim", "_knee", "PT/OT",
              "H-wave", "Knee_brace", "MRI's", "s/p", "1", "(", ")", "-", "/"]
    rng = random.Random(11)
    for _ in range(3000):
        picked = [rng.choice(words) for _ in range(rng.randint(1, 6))]
        picked = [w[: rng.randint(1, len(w))] if rng.random() < 0.2 else w for w in picked]
        picked = [w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2 else w for w in picked]
        texts.append(rng.choice(["", " "]).join(picked) if rng.random() < 0.1 else " ".join(picked))
    return texts + ["Mas\u017fage", "\u212anee brace", "knee\tbrace", ""]


@pytest.mark.parametrize("patterns", ["service", "region", "dwc"])
def test_the_prefilter_leaves_out_only_patterns_that_do_not_match(patterns):
    compiled = {"service": lambda: [p for p, *_ in classify._service_patterns()],
                "region": lambda: [p for p, _ in classify._regions()],
                "dwc": lambda: [p for p, *_ in dwc._patterns()]}[patterns]()
    plain = [re.compile(p.pattern, p.flags & ~re.UNICODE | re.ASCII) for p in compiled]
    prefilter = Prefiltered(compiled)
    skipped = 0
    for text in _vocabulary_texts():
        candidates = prefilter.candidates(text)
        assert list(candidates) == sorted(set(candidates))
        for index, pattern in enumerate(plain if classify._plain(text) else compiled):
            if index not in candidates:
                assert not pattern.search(text), (pattern.pattern, text)
                skipped += 1
    assert skipped > 10_000  # (and it does leave some out)


def _citation_texts() -> list[str]:
    """The sample letters' cited documents and topics, each also from each
    of its words on, in other cases and cut short."""
    texts = []
    for path in SEEDS + REAL:
        for item in parse_bytes(path.read_bytes(), str(path))["items"]:
            for citation in item["citations"]:
                for text in (citation["document"], citation["topic"]):
                    words = (text or "").split()
                    texts += [" ".join(words[i:]) for i in range(len(words))]
    texts += [t.upper() for t in texts[::5]] + [t.lower() for t in texts[1::5]] + [t[:2] for t in texts[2::5]]
    return texts + ["\u017fection", "\u212anee", "\tODG", "", " MTUS", "-ODG"]


def test_the_prefilter_at_a_texts_start_leaves_out_only_patterns_that_do_not_match_there():
    from imr_etl import guidelines
    vocabularies = [[p for p, _ in found] for found in guidelines._spellings().values()]
    vocabularies.append([p for p, _ in guidelines._odg_chapters()])
    services = [[p for p, *_ in classify._service_patterns()], [p for p, _ in classify._regions()]]
    texts = _citation_texts()
    skipped = matched = 0
    for patterns in vocabularies + services:
        prefilter = Prefiltered(patterns)
        for text in texts if patterns in vocabularies else _vocabulary_texts():
            candidates = prefilter.at_start(text)
            assert list(candidates) == sorted(set(candidates))
            for index, pattern in enumerate(patterns):
                if index not in candidates:
                    assert not pattern.match(text), (pattern.pattern, text)
                    skipped += 1
                else:
                    matched += bool(pattern.match(text))
    assert skipped > 10_000 and matched > 500  # (it leaves out many, and keeps those that match)


def test_the_prefilter_knows_how_a_match_can_start():
    starts = lambda pattern: prefilter.starts(re.compile(pattern, re.I))  # noqa: E731
    assert starts(r"\b(epidural|ESI)\b") == ({"epi", "esi"}, set())
    assert starts(r"\b(UA|labs?)\b") == ({"ua", "lab"}, set())
    assert starts(r"x?\bfoo") == ({"foo"}, {"xfo"})  # the boundary holds only without the x
    assert starts(r"\b(x-?rays?)") == ({"x-r", "xra"}, set())
    assert starts(r"\b[#-]\d") == (set(), {"#0", "#1", "#2", "#3", "#4", "#5", "#6", "#7", "#8", "#9",
                                         "-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9"})
    # What it cannot tell: a match that may be empty, start with anything or
    # with a character that matches an ASCII one without case ("\u017f" is an "s").
    for pattern in (r"(a)?", r".foo", r"[^a]b", r"\b\w+ectomy", r"\b(brace|\w*sling)", "\u017fome", r"(a)\1"):
        assert starts(pattern) is None, pattern


def test_classifying_with_the_prefilter_is_classifying_with_every_pattern():
    every_pattern = classify._service_patterns
    texts = _vocabulary_texts()
    assert ([classify._match.__wrapped__(t) for t in texts]
            == [classify._best(t, None, every_pattern(classify._plain(t))) for t in texts])
    assert [classify.body_region.__wrapped__(t) for t in texts] == [_every_region(t) for t in texts]


def _every_region(text):  # classify.body_region before the prefilter
    found = {region for pattern, region in classify._regions(classify._plain(text)) if pattern.search(text)}
    if found & {"cervical", "thoracic", "lumbar"}:
        found.discard("spine")
    return "multiple" if len(found) > 1 else found.pop() if found else None


def test_a_page_list_is_found_where_the_search_finds_it():
    texts = [line.text for letter in LETTERS for line in letter.lines]
    words = ["Page(s):", "pages", "page", "pg.", "pg", "p.", "p", "P", "PAGE(S):", "Pages", "pp", "up", "12", "3-4",
             "5, 6", ",", ";", " ", "  ", "\t", "\u00a0", "\x1c", "Chapter", "Pain", "Opioids", ".", "(", "pa\u017fes", "x"]
    rng = random.Random(13)
    texts += ["".join(rng.choice(words) + rng.choice(["", " ", ", "]) for _ in range(rng.randint(1, 12)))
              for _ in range(5000)]
    found = 0
    for text in texts:
        fast, plain = citations._page_list(text), citations._PAGES.search(text)
        assert (fast and (fast.span(), fast.groupdict())) == (plain and (plain.span(), plain.groupdict())), text
        found += plain is not None
    assert found > 300


def test_only_printable_ascii_text_is_plain():
    # Unicode case folding: the Kelvin sign is a 'k', the long s an 's';
    # Unicode whitespace: \x1c is a space to \s.
    assert classify._plain("Knee brace, 2 units")
    for text in ("\u212anee brace", "Mas\u017fage", "knee\x1cbrace", "knee\tbrace"):
        assert not classify._plain(text)
    assert classify.body_region("\u212aNEE") == "knee"  # as before: Unicode rules for such text


# ----------------------------------------------- a letter's rows, encoded and digested

@pytest.fixture(scope="module")
def letter_tables() -> list[dict[str, list[tuple]]]:
    """The rows of every sample letter, table by table."""
    loaded_at = datetime(2026, 1, 1)
    return [rows.letter_rows(parse_bytes(path.read_bytes(), str(path)), 1, loaded_at).tables
            for path in SEEDS + REAL]


def test_rows_are_the_named_values_in_column_order():
    for table in schema.STAR:
        names = [column.name for column in table.columns]
        values = {name: f"value of {name}" for name in names}
        assert rows.row(table, **values) == tuple(values[name] for name in names)


# Values the CSV writer must quote, double or leave bare as the csv module does.
TRICKY_ROWS = [
    (1, 'a "quoted" word', '"', '""', "", "\\N", "line\nend", "cr\rlf\r\n", "nul\x00", "comma, here", "tab\t"),
    (2, True, False, 0, -7, 10**20, 2.5, -0.0, 1e16, 1e-7, float("nan"), float("inf"), None),
    (3, date(2016, 2, 29), datetime(2017, 1, 2, 3, 4, 5, 6), "Zoë’s “knee”", None, None),
    ("text first", None),
]


def test_csv_lines_are_the_csv_modules(letter_tables):
    tables = [table for letter in letter_tables for table in letter.values() if table] + [TRICKY_ROWS]
    for table in tables:
        assert outcomes.encode(table) == outcomes.encode_with_csv(table), table[0]
    assert sum(len(table) for table in tables) > 3000


def test_recurring_rows_are_encoded_as_encode_does(letter_tables, monkeypatch):
    # Each letter's dimension rows, then all of them again: the second time
    # their lines come from the cache (the same row objects), and an equal
    # row of other objects (True for 1, 1.0 for 1) still gets its own line.
    monkeypatch.setattr(outcomes, "_RECURRING", {})
    keyed = [rows for letter in letter_tables for table, rows in letter.items()
             if table in outcomes.KEYED and rows]
    for table_rows in keyed + keyed:
        assert outcomes.encode_recurring(table_rows) == outcomes.encode(table_rows)
    assert outcomes.encode_recurring([(1, "a", 1), (True, "a", 1.0)]) == [(1, '1,"a",1\n'), (True, 'True,"a",1.0\n')]
    monkeypatch.setattr(outcomes, "RECURRING_SIZE", 5)
    many = [(n, "x") for n in range(12)]
    assert outcomes.encode_recurring(many) == outcomes.encode(many) and len(outcomes._RECURRING) <= 5


def test_a_letters_own_tables_go_as_their_lines_joined(letter_tables):
    state = outcomes.FileState("x.txt", 1, 1, "s")
    for tables in letter_tables[:20]:
        letter = rows.LetterRows(1, "x", "s", "x.txt", tables)
        parsed = outcomes.Parsed.of(state, letter, b"")
        assert set(parsed.lines) | set(parsed.joined) == {t for t, r in tables.items() if r}
        assert set(parsed.lines) <= outcomes.KEYED and not set(parsed.joined) & outcomes.KEYED
        for table, text in parsed.joined.items():
            assert text == "".join(line for _, line in outcomes.encode(tables[table]))


class _Text(str):
    """A str subclass (as lark's Token is): csv_field, not the row format, writes it."""


def test_csv_lines_of_rows_the_row_format_does_not_write_are_the_csv_modules():
    table = [(1, _Text('a "b"'), None), (2, 'say "x"', date(2016, 1, 2)), (3, "%s %d %%", 4.5, True)]
    assert outcomes.encode(table) == outcomes.encode_with_csv(table)
    assert outcomes.csv_line((3, "%s %d %%", 4.5, True)) == '3,"%s %d %%",4.5,True\n'


def test_a_value_of_another_type_is_left_to_the_csv_module():
    # The csv module writes a Decimal bare (a number to it), which csv_field does not know.
    table = [(1, Decimal("2.50"), "x"), (2, None, 'y"')]
    assert outcomes.encode(table) == outcomes.encode_with_csv(table) == [(1, '1,2.50,"x"\n'), (2, '2,\\N,"y"""\n')]


def test_a_letters_other_header_fields_are_json_dumps_of_them():
    for other in ({}, None, {"b": "1", "a": "Zoë"}):
        assert rows._json_object(other) == json.dumps(other or {}, ensure_ascii=False, sort_keys=True)


def _plain_treatment(service: str, context: str = "") -> tuple[str, str]:
    """classify.treatment as one function of the service and the cited topics."""
    service = classify.FRAME.sub("", service)
    found = classify._match(service)
    drug = classify._drug(service) if found is None or found[0] not in classify._OVER_DRUGS else None
    if drug:
        return "pharmaceuticals", drug
    if found is None:
        return ("pharmaceuticals", "other_pharmaceuticals") if classify._DOSE.search(service) else ("other", "other")
    category, subcategory = found
    if category == "surgery":
        return category, classify._SURGERY_BY_REGION.get(classify.body_region(service), "other_surgery")
    if subcategory.startswith("other") and context:
        hinted = classify._match(context, category)
        if hinted and not hinted[1].startswith("other"):
            subcategory = hinted[1]
    return category, subcategory


def test_a_treatment_is_its_services_with_the_topics_hint():
    # Every service of the sample letters with the topics cited for it, and
    # with every other item's topics (a hint that names another subcategory).
    items = [item for path in SEEDS + REAL for item in parse_bytes(path.read_bytes(), str(path))["items"]]
    services = [item["service"] for item in items]
    topics = sorted({" ".join(c["topic"] or "" for c in item["citations"]) for item in items})
    topics += ["", "Opioids, criteria for use", "Epidural steroid injections (ESIs)", "Spinal fusion", "Physical therapy"]
    # (a vague service of each kind: an injection, a surgery, a drug unnamed, none at all)
    vague = ["Cervical injection", "Lumbar surgery", "Medication 10 mg #60", "Follow-up", "x"]
    pairs = [(s, t) for s in services for t in topics[::7]] + [(s, t) for s in vague for t in topics]
    pairs += [(item["service"], " ".join(c["topic"] or "" for c in item["citations"])) for item in items]
    assert [classify.treatment(s, t) for s, t in pairs] == [_plain_treatment(s, t) for s, t in pairs]
    hinted = [(s, t) for s, t in pairs if classify.treatment(s, t) != classify.treatment(s)]
    assert len(hinted) > 10  # the topics decided some


def test_a_service_label_is_the_uncached_label():
    services = [line.text for letter in LETTERS for line in letter.lines][:300]
    services += ["Norco 10/325mg  #60.", " Acupuncture x 6 # 2.5;", "", "TENS\tunit ,"]
    assert [rows.service_label(s) for s in services] == [rows.service_label.__wrapped__(s) for s in services]


def _plain_record_digest(tables: dict[str, list[tuple]], variable: dict[str, list[int]]) -> str:
    """lineage.record_digest as first written: an update per table name and per row."""
    digest = hashlib.sha256()
    for table in sorted(tables):
        skip = set(variable.get(table, ()))
        digest.update(table.encode() + b"\0")
        for values in tables[table]:
            if skip:
                values = tuple(v for i, v in enumerate(values) if i not in skip)
            digest.update(repr(values).encode() + b"\n")
    return digest.hexdigest()


def test_the_record_digest_is_the_digest_of_its_rows_one_by_one(letter_tables):
    skipped = {"dim_letter": rows._LETTER_LINEAGE}
    for tables in letter_tables:
        assert lineage.record_digest(tables, skipped) == _plain_record_digest(tables, skipped)
    tricky = {"b": TRICKY_ROWS, "a": [], "c": [("\udc80 a lone surrogate",)]}
    assert lineage.record_digest(tricky, {"b": [1]}) == _plain_record_digest(tricky, {"b": [1]})


def test_the_imports_found_by_statements_are_those_every_node_holds():
    """lineage._imports walks statements only; ast.walk visits every node."""
    import ast

    def plain(module: str) -> set[str]:
        found = {name for node in ast.walk(lineage._tree(module)) for name in lineage.imported(node)}
        return {name for name in found if (lineage.PACKAGE / f"{name}.py").is_file()}

    modules = sorted(path.stem for path in lineage.PACKAGE.glob("*.py"))
    assert len(modules) > 30 and sum(bool(plain(m)) for m in modules) > 20
    assert {m: lineage._imports(m) for m in modules} == {m: plain(m) for m in modules}


def test_a_files_digest_is_computed_again_for_other_bytes():
    data = b"Final Determination Letter"
    assert letters.sha256(data) == hashlib.sha256(data).hexdigest()
    assert letters.sha256(data) == hashlib.sha256(data).hexdigest()  # the same object again
    other = b"Final Determination Letter."
    assert letters.sha256(other) == hashlib.sha256(other).hexdigest()
    changing = bytearray(data)
    assert letters.sha256(changing) == hashlib.sha256(data).hexdigest()
    changing += b"!"  # the same object, other bytes
    assert letters.sha256(changing) == hashlib.sha256(data + b"!").hexdigest()


def test_the_letters_words_are_those_the_plain_word_scan_finds():
    texts = [normalize._Layout(normalize.clean_lines(normalize.decode(path.read_bytes()))).joined
             for path in SEEDS + REAL[:20]]
    texts += ["Medi-cally MEDICALLY x-ray X-Ray re-evaluate a--b 1-b", "\u212aelvin-sign knee, İstanbul bone",
              "medi-\ncally x-medically --medically a1-cally electro-acupuncture electro- acupuncture medically-"]
    rng = random.Random(11)
    asked = 0
    for text in texts:
        plain = {word.lower() for word in normalize._WORD.findall(text)}
        candidates = list(plain)[:300] + ["medically", "x-ray", "xray", "kelvin-sign", "elvin", "ray", "b"]
        ends = text.lower().split()  # the joins a line-end hyphen asks about
        candidates += [a + b for a, b in zip(ends, ends[1:])] + [f"{a}-{b}" for a, b in zip(ends, ends[1:])]
        candidates += ["".join(rng.choice("aeilmnorstcy-") for _ in range(rng.randint(1, 8))) for _ in range(300)]
        words = normalize._LazyWords(text)
        for word in candidates:
            assert (word in words) == (word in plain), (word, text[:60])
            asked += 1
    assert asked > 5000


def _abbreviations_one_by_one() -> re.Pattern:
    """The plain form of conditions._abbreviations: each abbreviation its own
    branch with its own look-behind, longest first."""
    branches = []
    for word in sorted(conditions._abbreviations()[1], key=len, reverse=True):
        before = r"(?<![\w-])" if word[0].isalnum() else ""
        after = r"(?![\w-])" if word[-1].isalnum() else ""
        if len(word) == 1:
            after = r"(?=\s+[a-z])"
        branches.append(before + re.escape(word) + after)
    return re.compile("|".join(branches))


def test_the_abbreviations_are_found_as_one_branch_each_finds_them():
    fast, table = conditions._abbreviations()
    plain = _abbreviations_one_by_one()
    texts = [" ".join(d.lower().split()) for path in SEEDS + REAL for d in parse_bytes(path.read_bytes())["diagnoses"]]
    rng = random.Random(7)
    words = [*table, "pain", "l4-5", "c/s", "w/o", "r", "lt", "bolt", "load-bearing", "-", "/", "(", ")", "4"]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    marked = lambda pattern, text: pattern.sub(lambda m: f"<{m.group(0)}>", text)  # noqa: E731
    assert [marked(fast, t) for t in texts] == [marked(plain, t) for t in texts]
    assert sum("<" in marked(fast, t) for t in texts) > 1000  # not vacuous: most texts have abbreviations


# ------------------------------------------------- the LALR loop (imr_etl/lalr.py)

def _shape(tree) -> object:
    """A tree as nested tuples with every token's type, text and position,
    which Lark's ``Tree.__eq__`` (a token compared as a string) leaves out."""
    from lark import Token, Tree
    if isinstance(tree, Tree):
        return (tree.data, tuple(_shape(child) for child in tree.children))
    if isinstance(tree, Token):
        return (tree.type, str(tree), tree.value, tree.start_pos, tree.line, tree.column,
                tree.end_line, tree.end_column, tree.end_pos)
    return tree


def _broken(text: str, rng: random.Random) -> list[str]:
    """``text`` with its end cut off at a line end and mid-line, a line left
    out, two lines swapped and a word misspelt: letters that mostly do not
    parse, and some that do."""
    lines = text.splitlines(keepends=True)
    cut, gone, swap = (rng.randrange(len(lines)) for _ in range(3))
    swapped = lines[:]
    swapped[swap], swapped[cut] = swapped[cut], swapped[swap]
    return ["".join(lines[:cut]), text[: rng.randrange(len(text))], "".join(lines[:gone] + lines[gone + 1:]),
            "".join(swapped), text.replace("Upheld", "Uphled", 1), text.replace("guideline:", "guideline;", 1)]


def test_the_lalr_loop_parses_as_lark_does():
    from imr_etl import lalr, parse
    from imr_etl.synth import letters as synthetic
    rng = random.Random(15)
    texts = [normalize.normalize(path.read_bytes()).text for path in SEEDS + REAL]
    texts += [normalize.normalize(data).text for _, data, _ in synthetic(150, 15)]
    texts += [broken for text in texts[::4] for broken in _broken(text, rng)] + TRICKY + ["", "\n", "x\n"]
    outcomes_seen = set()
    for transformer in (None, transform.TRANSFORMER):
        lark = parser(transformer)
        loop = lalr.driver(lark)
        assert loop is not None and parse._driver(transformer) is not None  # (the installed Lark's parts are read)
        for text in texts:
            try:
                expected = lark.parse(text)
            except Exception:  # (Lark's error: the loop gives up)
                expected = None
            got = loop.parse(text)
            if transformer is None:
                assert _shape(got) == _shape(expected), text[:200]
            else:
                assert got == expected, text[:200]
            outcomes_seen.add(expected is None)
    assert outcomes_seen == {True, False}  # letters read and letters refused, both


_TOY = r"""
start: statement+
statement: "if" NAME ":" NUMBER  -> condition
         | NAME "=" NUMBER       -> assignment
NAME: /[a-z]+/
NUMBER: /\d+/
COMMENT: /#[^\n]*\n/
%ignore COMMENT
%ignore /[ \n]+/
"""


def test_the_lalr_loop_does_what_lark_does_with_what_the_letters_grammar_lacks():
    """Lark's parts the letter grammar does not use (a keyword that a
    regex terminal also matches, a transformer method for a terminal,
    ignored text with line ends in it), on a grammar that has them."""
    from lark import Lark, Transformer

    from imr_etl import lalr

    class Numbers(Transformer):
        def NUMBER(self, token):
            return int(token)

    texts = ["x = 1\nif y: 2 # a comment\n\n  z=3\n", "if x: 1 ifx = 2", "iff = 3 # end\n", "x = 1\n\nif = 2",
             "x = ", "if y 2", "x = 1 $", "# only a comment\n", ""]
    for transformer in (None, Numbers()):
        lark = Lark(_TOY, parser="lalr", lexer="contextual", transformer=transformer)
        loop = lalr.driver(lark)
        for text in texts:
            try:
                expected = _shape(lark.parse(text))
            except Exception:
                expected = None
            got = loop.parse(text)
            assert (got if got is None else _shape(got)) == expected, text
    assert lalr.driver(Lark(_TOY, parser="earley")) is None
    assert lalr.driver(Lark(_TOY, parser="lalr", lexer="basic")) is None  # (no lexer for each state)


def test_single_spacing_is_the_whitespace_regexs():
    texts = [line.text for letter in LETTERS for line in letter.lines]
    texts += [chr(code) for code in range(0x3000)] + ["a" + chr(code) + "b" for code in range(0x100)]
    texts += ["two  spaces", " edges ", "tab\tand  more", "caf\xe9 \xa0x", "a\u2028b", "", "x\x7fy"]
    spaced = [normalize._WHITESPACE.sub(" ", text) for text in texts]
    assert [normalize.single_spaced(text) for text in texts] == spaced
    assert sum(a != b for a, b in zip(texts, spaced)) > 30  # (the regex did change many)


def test_a_sentence_end_is_found_where_the_regex_finds_it():
    lines = [text for path in SEEDS + REAL for text, _ in normalize.clean_lines(normalize.decode(path.read_bytes()))]
    lines += ["a.", "a.)", "a.\")]'", "a)", ".", "", ")", "a?'", "a!]", "a. b", "a.x)", "(a.) b"]
    regex = [bool(normalize._SENTENCE_END.search(line)) for line in lines]
    assert [normalize._ends_sentence(line) for line in lines] == regex
    assert 100 < sum(regex) < len(lines) - 100  # (lines of both kinds)
