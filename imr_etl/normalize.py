"""Stage 1: undo what PDF-to-text extraction does to a letter.

The grammar reads *logical lines*: one paragraph or labelled field per line
(a section heading, the header block, "Claims Administrator guideline: …",
an item heading ending in its decision word, a whole rationale).  Extraction
breaks those anywhere, so this stage

1. decodes the bytes (UTF-8, UTF-8/16 with BOM, cp1252, latin-1);
2. cleans each physical line: typographic punctuation and odd spaces
   (``vocab/characters.csv``), trailing blanks, page furniture, blank lines;
3. rebuilds logical lines from the letter's fixed layout: the template's
   headings and labels start a line wherever extraction wrapped them, and an
   item heading is the run of physical lines that ends in its decision word
   and follows the last complete sentence of the text before it.

Each logical line keeps the span of original line numbers it came from, so a
parse error or a decision can be traced back to the file.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import NamedTuple

import csv
from importlib import resources

from imr_etl import wording


class Line(NamedTuple):
    """One logical line and the original (1-based) lines it was built from.
    (A named tuple, not a frozen dataclass: a letter makes dozens, and a
    frozen dataclass sets each field through object.__setattr__.)"""

    text: str
    start: int
    end: int
    # (offset in text, original line number) where each physical line begins
    breaks: tuple[tuple[int, int], ...] = ()

    def piece(self, column: int) -> tuple[int, int, int]:
        """The physical line a 1-based column of this logical line lies on:
        its original line number, and where its text begins and ends here."""
        number, begin, end = self.start, 0, len(self.text)
        for start, at in self.breaks:
            if start > column - 1:
                end = start - 1  # (the join's space, or a dropped hyphen's place)
                break
            number, begin = at, start
        return number, begin, end


@dataclass(frozen=True)
class Normalized:
    lines: tuple[Line, ...]
    # The decoded text before cleaning, for an error's original column only.
    source: str = field(default="", compare=False, repr=False)

    @cached_property
    def text(self) -> str:
        """What the grammar parses: the logical lines, newline-terminated.
        (Made once: the grammar reads it, and a load may keep it.)"""
        return "\n".join([line.text for line in self.lines] + [""]) if self.lines else ""

    def origin(self, line_no: int) -> Line:
        """The logical line numbered ``line_no`` (1-based) in :attr:`text`."""
        return self.lines[min(max(line_no, 1), len(self.lines)) - 1]

    def place(self, line: Line, column: int) -> tuple[int, int]:
        """Original (line, column) in :attr:`source` of a 1-based column of
        a logical line.  The cleaning collapsed spaces, stripped each line's
        edges and respelled characters, so the column is found again by
        cleaning that one original line with each character's origin kept,
        and finding the physical line's text in it.  (An error's path only:
        nothing per letter keeps these origins.)"""
        number, begin, end = line.piece(column)
        if not self.source:
            return number, column - begin
        cleaned, origins = _cleaned_with_origins(_PHYSICAL_LINES.split(self.source)[number - 1])
        at = cleaned.find(line.text[begin:min(end, begin + 30)])
        if at < 0 or not origins:
            return number, column - begin
        index = at + column - 1 - begin
        if index < len(origins):
            return number, origins[index] + 1
        return number, origins[-1] + 2 + index - len(origins)  # past the line's end


_PHYSICAL_LINES = re.compile(r"\r\n|\r|\n")


def _cleaned_with_origins(raw: str) -> tuple[str, list[int]]:
    """One original line as :func:`clean_lines` respells it and collapses its
    spaces (not stripped, not split), with the index in ``raw`` each
    character comes from."""
    chars: list[str] = []
    origins: list[int] = []
    for index, character in enumerate(raw):
        for cleaned in " " if character in "\f\ufffe" else _translate(character):
            if cleaned == " " and chars and chars[-1] == " ":
                continue
            chars.append(cleaned)
            origins.append(index)
    return "".join(chars), origins


# ---------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> str:
    """Bytes to text: a BOM decides; else UTF-8; else cp1252 (Windows
    extractions), falling back to latin-1 for the five bytes cp1252 lacks."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            # The mark names the encoding; a damaged byte after it becomes
            # U+FFFD rather than failing the letter (its bytes are kept whole
            # wherever a letter is quarantined).
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---------------------------------------------------------- line cleaning


@cache
def _translation() -> dict[int, str]:
    with resources.files("imr_etl.vocab").joinpath("characters.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table = {int(row["codepoint"][2:], 16): row["replacement"] for row in rows}
    # Any other C0/C1 control character is noise from the extractor.
    for code in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
        table.setdefault(code, " ")
    # The table is applied to the whole text at once, before the text is split
    # into physical lines, so the characters that end one must survive it.
    for end in "\r\n\f\ufffe":
        table.pop(ord(end), None)
    return table


@cache
def _translated_characters() -> re.Pattern:
    return re.compile("[%s]" % "".join(re.escape(chr(code)) for code in sorted(_translation())))


@cache
def _ascii_translation() -> bytes:
    """The table's ASCII part as a ``bytes.translate`` table: each ASCII
    character it has becomes a single ASCII character (a space)."""
    ascii_part = {code: new for code, new in _translation().items() if code < 0x80}
    assert all(len(new) == 1 and new.isascii() for new in ascii_part.values())
    return bytes(ord(ascii_part.get(code, chr(code))) for code in range(256))


def _translate(text: str) -> str:
    """``text.translate(_translation())``, faster.  On ASCII text, as bytes:
    ``bytes.translate`` is a lookup in 256 bytes, ``str.translate`` a dict
    lookup per character (a tenth of the stage).  On any other, replacing
    just the characters the table has is many times faster than its lookup
    of every character."""
    if text.isascii():
        return text.encode("ascii").translate(_ascii_translation()).decode("ascii")
    table = _translation()
    return _translated_characters().sub(lambda match: table[ord(match.group())], text)


# A physical line that may be page furniture: a page number an extractor or a
# printed footer puts at a page's edge.  A number with its count ("Page 3 of
# 7", "Page 3/7", "3/7 pages") or between dashes ("- 3 -") is never the
# letter's text.  A bare one ("Page 3", "3/7") can be: the last line of a
# wrapped citation ("…, Chapter 12,\npage 115") or a score ("7/10"), so it is
# furniture only as :func:`_without_furniture` decides.  It can match only a
# line that starts as "page", "-" or a digit (any Unicode digit, as "\d" is):
# the lines are tested for that first, "line[0] in "pP-" or line[0].isdecimal()".
_PAGE_FURNITURE = re.compile(
    r"page\s*(?P<counted>\d+)\s*(?:of|/)\s*\d+|-\s*(?P<dashed>\d+)\s*-"
    r"|(?P<of_pages>\d+)\s*/\s*\d+\s*pages?|page\s*(?P<page>\d+)|(?P<fraction>\d+)\s*/\s*\d+",
    re.IGNORECASE,
)
# The end of a line that a page reference continues: a list of a citation's
# parts ("Chapter 12,") or a word that takes a page ("notes on", "at odds
# with", "see").
_LEADS_TO_PAGE = re.compile(r"(?:[,(]|\b(?:on|at|see|with|of|to|from|and|per|cf\.?))$", re.IGNORECASE)
# (Two literal spaces first: the regex engine then skips single spaces fast.)
_SPACES = re.compile(r"  [ ]*")


def clean_lines(text: str) -> list[tuple[str, int]]:
    """Non-empty cleaned physical lines with their original line numbers.

    Only CR, LF and CRLF count as line ends, so line numbers match what an
    editor shows.  A form feed (an extractor that glues pages together) and
    PDFium's U+FFFE (a word hyphenated at a line end, the line end dropped)
    also end a physical line, numbered as the line they sit in.
    """
    text = _prepared(text)
    lines = text.split("\n")
    # Tests that every line would need are done once on the whole text.
    glued = _lines_with_label_words(text)
    if "\f" in text or "\ufffe" in text:
        return _cleaned(lines, glued)
    # _cleaned less what only a form feed or a U+FFFE needs (this loop is
    # most of the stage's time, and most letters have neither).
    out: list[tuple[str, int]] = []
    numbers: list[tuple[int, int]] = []
    for number, raw in enumerate(lines, start=1):
        if not (line := raw.strip()):
            continue
        if (line[0] in "pP-" or line[0].isdecimal()) and _PAGE_FURNITURE.fullmatch(line):  # (see _PAGE_FURNITURE)
            numbers.append((len(out), 0))
            out.append((line, number))
        elif number in glued and _may_be_glued(line):
            out.extend((piece, number) for piece in _glued().split(line) if piece)
        else:
            out.append((line, number))
    return _without_furniture(out, numbers, set()) if numbers else out


def _prepared(text: str) -> str:
    """The text respelled, its spaces collapsed and its line ends LF."""
    # Translating and collapsing spaces over the whole text is the same as
    # doing it line by line (neither touches a line end) and far cheaper.
    text = _SPACES.sub(" ", _translate(text.replace("\ufffe", "-\ufffe")))
    # As splitting at r"\r\n|\r|\n", and faster.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cleaned(lines: list[str], glued: set[int]) -> list[tuple[str, int]]:
    """:func:`clean_lines` of the prepared text's lines, ``glued`` the
    numbers of those a label may be glued in."""
    out: list[tuple[str, int]] = []
    # Page numbers are kept here and dropped once the page breaks around
    # them are known: (index in out, form feeds before it) of each, and
    # the indexes in out where a form feed fell.
    numbers: list[tuple[int, int]] = []
    page_breaks: set[int] = set()
    form_feeds = 0
    for number, raw in enumerate(lines, start=1):
        # (Split only where there is a break: most lines have none.)
        for part in _PAGE_OR_HYPHEN_BREAK.split(raw) if "\f" in raw or "\ufffe" in raw else (raw,):
            if part == "\f":
                page_breaks.add(len(out))
                form_feeds += 1
                continue
            line = part.strip()
            if not line or line == "\ufffe":
                continue
            if (line[0] in "pP-" or line[0].isdecimal()) and _PAGE_FURNITURE.fullmatch(line):  # (see _PAGE_FURNITURE)
                numbers.append((len(out), form_feeds))
                out.append((line, number))
            elif number in glued and _may_be_glued(line):
                out.extend((piece, number) for piece in _glued().split(line) if piece)
            else:
                out.append((line, number))
    return _without_furniture(out, numbers, page_breaks) if numbers else out


def _without_furniture(out: list[tuple[str, int]], numbers: list[tuple[int, int]],
                       page_breaks: set[int]) -> list[tuple[str, int]]:
    """``out`` less the page numbers in it that are furniture.

    ``numbers`` are the lines of ``out`` that :data:`_PAGE_FURNITURE` matches,
    each with the count of form feeds before it; ``page_breaks`` are the
    indexes in ``out`` where a form feed fell.  A counted or dashed number is
    furniture.  A bare one is furniture when it numbers the page it is on:
    with form feeds, the first or last line of its page, that page's number;
    without, a "page N" next in the run of numbers dropped so far (starting
    at 1, or 2 for a header that page 1 lacks).  Any other bare "page N" is a
    citation's page if the line before leads to it ("…, Chapter 12," then
    "page 115"), and furniture if not; any other "3/7" is text.
    """
    dropped: set[int] = set()
    last = 0  # the number of the last page number dropped
    for index, breaks_before in numbers:
        match = _PAGE_FURNITURE.fullmatch(out[index][0])
        bare = match["page"] or match["fraction"]
        page = int(bare or match["counted"] or match["dashed"] or match["of_pages"])
        if not bare:
            furniture = True
        elif page_breaks:
            at_edge = index in page_breaks or index + 1 in page_breaks
            furniture = at_edge and page == breaks_before + 1
        else:
            furniture = bool(match["page"]) and (page == last + 1 or (last == 0 and page == 2))
        if not furniture and match["page"]:
            furniture = not _LEADS_TO_PAGE.search(_kept_before(out, index, dropped))
        if furniture:
            dropped.add(index)
            last = page
    return [line for index, line in enumerate(out) if index not in dropped]


def _kept_before(out: list[tuple[str, int]], index: int, dropped: set[int]) -> str:
    """The text of the last line before ``out[index]`` that is kept ("" if none)."""
    for before in range(index - 1, -1, -1):
        if before not in dropped:
            return out[before][0]
    return ""


def occurrences(text: str, words: tuple[str, ...] | list[str]) -> list[int]:
    """Where each of ``words`` occurs in ``text``, in order (``str.find``:
    far cheaper than a regex's walk over a whole letter)."""
    found = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            found.append(at)
            at = text.find(word, at + 1)
    return sorted(found)


def _lines_with_label_words(text: str) -> set[int]:
    """Numbers (1-based) of the lines of ``text`` where :func:`_may_be_glued`'s
    words occur: only those can have a glued label."""
    numbers, line, counted = set(), 1, 0
    for at in occurrences(text, _LABEL_WORDS):
        line += text.count("\n", counted, at)
        numbers.add(line)
        counted = at
    return numbers


def _may_be_glued(line: str) -> bool:
    """Does a label or heading :func:`_glued` looks for start after the
    line's first character?  A line without one is left whole.  (Asked only
    of the lines :func:`_lines_with_label_words` found a label's word in.)"""
    return _glued_phrase().search(line, 1) is not None


@cache
def _glued() -> re.Pattern:
    """Where a template heading or label is glued to the text before it
    ("…: UpheldClaims Administrator guideline: …", pages joined with no
    line end): the physical line is split there."""
    return re.compile(r"(?<=\S) ?(?=%s)" % "|".join(_HEADINGS + _ITEM_LABELS))


@cache
def _glued_phrase() -> re.Pattern:
    return re.compile("|".join(_HEADINGS + _ITEM_LABELS))


# Captured: a form feed is a page break (it numbers the pages for
# _without_furniture), PDFium's U+FFFE only a line end.
_PAGE_OR_HYPHEN_BREAK = re.compile("([\f\ufffe])")


# ---------------------------------------------------------------- layout

def _words(phrase: str) -> str:
    """A template phrase as a regex that allows a line break between words."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _opening(phrase: str, words: int) -> str:
    """:func:`_words` of a template phrase's first ``words`` words: enough
    to know the phrase by."""
    return _words(" ".join(phrase.split()[:words]))


# Lines that always stand alone: the three section headings.
_HEADINGS = [_words(heading) for heading in wording.HEADINGS]
# Fixed sentences of the template that stand alone as lines.
_SENTENCES = [
    _words(wording.CREDENTIALS),
    _words(wording.SUMMARY_INTRO) + r"[^:]*?:",
    _words(wording.ISSUES_INTRO) + r"[^:]*?:",
]
# Labels that start a line, whose text runs on until the next line start:
# the credentials' lists, and an item's paragraphs (which extraction may
# also glue to the text before them, see _glued).
_CREDENTIAL_LABELS = [_words(wording.LICENSURE_LABEL), _words(wording.SPECIALTY_LABEL)]
# (Each label an alternative of its own, not the reviewer's two grouped: in a
# flat alternation the regex engine skips to the characters a label can
# start with, and passes a label by its first letter.)
_ITEM_LABELS = [
    _words(wording.CLAIMS_LABEL),
    *(_words(label) for label in wording.REVIEWER_LABELS),
    _words(wording.RATIONALE_LABEL),
]
_LABELS = _CREDENTIAL_LABELS + _ITEM_LABELS
# Words every heading and item label :func:`_glued` looks for contains (its
# last word): a line without one of them has none (:func:`_lines_with_label_words`).
_LABEL_WORDS = tuple(dict.fromkeys(phrase.split()[-1] for phrase in (
    wording.CLAIMS_LABEL, *wording.REVIEWER_LABELS, wording.RATIONALE_LABEL, *wording.HEADINGS)))

_STANDALONE = re.compile(
    r"^(?:%s)[ \t]*(?:\n|$)" % "|".join(_HEADINGS + _SENTENCES), re.M | re.I
)
_LINE_START = re.compile(r"^(?:%s)" % "|".join(_LABELS), re.M | re.I)
_CLAIMS_LABEL = re.compile(r"^" + _words(wording.CLAIMS_LABEL), re.M | re.I)
# An item heading ends in its decision word; extraction may wrap the word
# onto a line of its own.
_DECISION_END = re.compile(r":[ \t]*\n?[ \t]*(?:%s)[ \t]*$" % "|".join(wording.DECISIONS), re.M | re.I)
_FIRST_HEADING = re.compile(_HEADINGS[0], re.I)

# A physical line that closes a sentence: the heading after it starts fresh.
_SENTENCE_END = re.compile(r"""[.!?]["')\]]*$""")
_CLOSERS = "\"')]"


def _ends_sentence(line: str) -> bool:
    """``_SENTENCE_END.search(line)`` of a physical line (one without a line
    end), by two string methods instead of a search that tries each stop."""
    return line.rstrip(_CLOSERS).endswith((".", "!", "?"))


# A partial authorization is one heading of several sentences ("X was the
# original request. Y was authorized by the Claims Administrator. The
# remaining …, Z is: Upheld", or "… The Claims Administrator authorized Y,
# leaving the original request IMR eligible. The original request, Z is: …"):
# its later sentences must not start a heading of their own.
_PARTIAL_MIDDLE = re.compile("|".join([
    _words(wording.WAS_AUTHORIZED),
    _words(wording.CA_AUTHORIZED),
    _opening(wording.LEAVING_ELIGIBLE, 4),
    _opening(wording.REMAINING_PORTION, 5),
    _words(wording.ORIGINAL_NOW),
]), re.I)
_PARTIAL_START = re.compile(_words(wording.WAS_ORIGINAL), re.I)


class _Patterns(NamedTuple):
    """The layout's patterns, as a :class:`_Layout` searches its text with them."""

    first_heading: re.Pattern
    standalone: re.Pattern
    line_start: re.Pattern
    claims_label: re.Pattern
    decision_end: re.Pattern
    partial_middle: re.Pattern
    partial_start: re.Pattern


def _folded(pattern: re.Pattern) -> re.Pattern:
    """A case-insensitive ``pattern`` for lower-cased ASCII text: it matches
    there, case-sensitively, just where ``pattern`` matches the text itself,
    at a third less cost (the regex engine folds no character, and can skip
    a branch by its first letter).  Only for a pattern of ASCII literals
    with no upper-case escape (``\\S``) for lower-casing to change."""
    assert pattern.flags & re.I and pattern.pattern.isascii()
    assert not re.search(r"\\[A-Z]", pattern.pattern), pattern.pattern
    return re.compile(pattern.pattern.lower(), pattern.flags & ~re.I)


_PATTERNS = _Patterns(_FIRST_HEADING, _STANDALONE, _LINE_START, _CLAIMS_LABEL, _DECISION_END,
                      _PARTIAL_MIDDLE, _PARTIAL_START)
_FOLDED = _Patterns(*map(_folded, _PATTERNS))


class _Layout:
    """Finds where logical lines start in the joined physical lines."""

    def __init__(self, physical: list[tuple[str, int]]):
        # (Unzipped and indexed by C loops: zip, dict, range.)
        self.texts, self.numbers = zip(*physical)
        self.joined = "\n".join(self.texts)
        # What the layout's patterns search, lower-cased where that keeps
        # every offset (ASCII: one character for one), with the patterns for it.
        if self.joined.isascii():
            self.searched, self.patterns = self.joined.lower(), _FOLDED
        else:
            self.searched, self.patterns = self.joined, _PATTERNS
        self.offsets = []
        offset = 0
        for text in self.texts:
            self.offsets.append(offset)
            offset += len(text) + 1
        # physical line start → its index
        self.index = dict(zip(self.offsets, range(len(self.offsets))))

    def line_index(self, offset: int) -> int:
        return bisect.bisect_right(self.offsets, offset) - 1

    def starts(self) -> list[int]:
        """Offsets (always at a physical line start) where logical lines begin."""
        text, patterns = self.searched, self.patterns
        starts = {0}
        first = patterns.first_heading.search(text)
        if first:  # the header block, if any, is one line ending at the heading
            starts.add(self.offsets[self.line_index(first.start())])
        for start, end in self._at_line_starts(patterns.standalone):
            starts.update((start, self._next_line(end)))
        label_starts = [start for start, _ in self._at_line_starts(patterns.line_start)]
        starts.update(label_starts)
        labels = sorted(starts)
        for match in patterns.decision_end.finditer(text):
            starts.add(self._next_line(match.end()))
            starts.add(self._heading_start(match.start(), labels))
        for start in label_starts:
            if patterns.claims_label.match(text, start):
                # A heading whose decision word is unknown still stands alone,
                # so the grammar can say what it expected there.
                starts.add(self._heading_start(start, labels))
        return sorted(s for s in starts if s < len(text))

    def _at_line_starts(self, pattern: re.Pattern) -> list[tuple[int, int]]:
        """Spans of ``pattern.finditer(self.searched)`` for a pattern that
        begins with ``^`` (re.M).  Searching for a line end followed by the
        rest of the pattern finds the same matches and spares the regex
        engine a test at every character: it skips to each newline."""
        text = self.searched
        found, end = [], 0
        if match := pattern.match(text, 0):
            found.append(match.span())
            end = match.end()
        # (Looked up by the pattern's text: a Pattern hashes its whole
        # compiled program each time it is hashed.)
        after_newline = _after_newline(pattern.pattern, pattern.flags)
        # From end - 1: a match may end just after a newline another begins with.
        while match := after_newline.search(text, max(end - 1, 0)):
            found.append((match.start() + 1, match.end()))
            end = match.end()
        return found

    def _next_line(self, offset: int) -> int:
        index = self.line_index(offset)
        if self.offsets[index] == offset:
            return offset
        return self.offsets[index + 1] if index + 1 < len(self.offsets) else len(self.joined)

    def _heading_start(self, end: int, labels: list[int]) -> int:
        """Where the item heading that ends at ``end`` begins.

        Walk back over the physical lines before ``end`` to the first one that
        follows a complete sentence (the previous rationale) or a line start
        of the template.  A partial authorization ("X was the original
        request. Y was authorized …") is one heading even when a line break
        falls right after one of its sentences.
        """
        last = self.line_index(end - 1) if end else 0
        if self.offsets[last] == end:
            last -= 1
        floor_offset = labels[bisect.bisect_right(labels, end - 1) - 1] if labels else 0
        floor = self.line_index(floor_offset)
        index = last
        while index > floor and not _ends_sentence(self.texts[index - 1]):
            index -= 1
        begin = self.offsets[index]
        text, patterns = self.searched, self.patterns
        if (index > floor and patterns.partial_middle.search(text, begin, end)
                and not patterns.partial_start.search(text, begin, end)):
            back = index - 1
            while back > floor and not patterns.partial_start.search(
                text, self.offsets[back], self.offsets[index]
            ):
                back -= 1
            while back > floor and not _ends_sentence(self.texts[back - 1]):
                back -= 1
            index = back
        if index == floor and floor_offset == self.offsets[floor] and patterns.line_start.match(
            text, floor_offset
        ):
            # Never take the whole of a labelled line (a rationale keeps at
            # least its first line).
            index = min(floor + 1, last)
        return self.offsets[index]


@cache
def _after_newline(pattern: str, flags: int) -> re.Pattern:
    """``^X`` (re.M) as ``\\nX``: the same matches, each one newline earlier."""
    assert pattern.startswith("^")
    return re.compile("\n" + pattern[1:], flags)


class _LazyWords:
    """The letter's words, lower-cased; collected only if a hyphen needs them."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def words(self) -> set[str]:
        if self.text.isascii():  # lower-casing first changes no word's bounds
            return set(_WORD.findall(self.lowered))
        return {w.lower() for w in _WORD.findall(self.text)}

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()

    def __contains__(self, word: str) -> bool:
        # Each of the words is in the lower-cased text.  Most words asked
        # about are not even there, and finding that costs far less than
        # collecting the words (a regex's walk over the whole letter).
        if word not in self.lowered:
            return False
        if not self.text.isascii() or not _WORD.fullmatch(word):
            return word in self.words
        # Where it is, is it one of them?  Looking at its ends costs less
        # than collecting them all (~0.4 ms for a letter; a word of _WORD's).
        at = self.lowered.find(word)
        while at >= 0:
            if _is_word(self.lowered, at, at + len(word)):
                return True
            at = self.lowered.find(word, at + 1)
        return False


_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


def _is_word(text: str, start: int, end: int) -> bool:
    """Whether ``_WORD.findall(text)`` (lower-cased ASCII text) has a word
    from ``start`` to ``end``, a span that spells one: no letter, nor a
    hyphen after a letter, before it (it would be the earlier word's); no
    letter, nor a hyphen before a letter, after it (the word would go on)."""
    if start and (text[start - 1] in _LETTERS or (text[start - 1] == "-" and text[start - 2 : start - 1] in _LETTERS)):
        return False
    after = text[end : end + 2]
    return not (after[:1] in _LETTERS or (after[:1] == "-" and after[1:] in _LETTERS))


def _join(texts: tuple[str, ...] | list[str], hyphen_words: _LazyWords) -> tuple[str, list[int]]:
    """Join wrapped physical lines into one logical line; also return the
    offset at which each physical line begins in it."""
    out = texts[0]
    begins = [0]
    for text in texts[1:]:
        # A capital after a line-end hyphen ("MTUS- Section") is a new word,
        # unless a number precedes it ("40.1-Definition", "Chapter 12-Surgeons").
        # (Only the end of ``out`` is searched: searching all of it made joining
        # a long paragraph quadratic.  A word has no spaces, hence ``rfind``.)
        wrapped = out.endswith("-") and _WRAPPED_HYPHEN.search(out[-2:])
        if wrapped and (text[:1].islower() or text[:1].isdigit()
                        or (out[-2:-1].isdigit() and text[:1].isalpha())):
            head = _LAST_WORD.search(out, out.rfind(" ") + 1).group(0)
            tail = _FIRST_WORD.match(text)
            if tail and _drop_hyphen(head, tail.group(0), hyphen_words):
                out = out[:-1] + text
            else:
                out += text
        else:
            out += " " + text
        begins.append(len(out) - len(text))
    return out, begins


_WRAPPED_HYPHEN = re.compile(r"[A-Za-z0-9]-$")
_LAST_WORD = re.compile(r"[A-Za-z0-9]+-$")
_FIRST_WORD = re.compile(r"[A-Za-z0-9]+")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _drop_hyphen(head: str, tail: str, hyphen_words: _LazyWords) -> bool:
    """Was this line-end hyphen put there by the typesetter?

    Only when both halves are lowercase letters and the letter itself spells
    the joined word without a hyphen elsewhere ("medi-" + "cally" when
    "medically" occurs); a compound it spells with one ("electro-acupuncture")
    or that it never spells whole keeps its hyphen, as extraction keeps it.
    """
    word = head[:-1]
    if not (word.isalpha() and word.islower() and tail.isalpha() and tail.islower()):
        return False
    whole = (word + tail).lower()
    return whole in hyphen_words and f"{word}-{tail}".lower() not in hyphen_words


def _joined(grid: _Layout, first: int, last: int, hyphen_words: _LazyWords) -> tuple[str, list[int]]:
    """:func:`_join` of the grid's physical lines ``first`` to ``last``.
    Without a line-end hyphen among them (most logical lines), that is their
    span of the grid's text with its line ends made spaces, each line
    beginning where it does in the grid less where the first does: one
    replace instead of a step per physical line."""
    base = grid.offsets[first]
    span = grid.joined[base : grid.offsets[last] + len(grid.texts[last])]
    if "-\n" in span:
        return _join(grid.texts[first : last + 1], hyphen_words)
    return span.replace("\n", " "), [offset - base for offset in grid.offsets[first : last + 1]]


def layout(physical: list[tuple[str, int]]) -> tuple[Line, ...]:
    """Group cleaned physical lines into logical lines."""
    if not physical:
        return ()
    grid = _Layout(physical)
    # Each logical line starts where a physical one does: its first physical
    # line is looked up by that offset, and its last is the one before the
    # next logical line's first.
    firsts = [grid.index[start] for start in grid.starts()]
    words = _LazyWords(grid.joined)
    lines = []
    for first, after in zip(firsts, firsts[1:] + [len(grid.texts)]):
        if after == first + 1:  # (a heading, a label's line: a physical line of its own)
            number = grid.numbers[first]
            lines.append(_new_tuple(Line, (grid.texts[first], number, number, ((0, number),))))
            continue
        text, begins = _joined(grid, first, after - 1, words)
        numbers = grid.numbers[first:after]
        # (Line(…) without the named tuple's __new__, a Python function.)
        lines.append(_new_tuple(Line, (text, numbers[0], numbers[-1], tuple(zip(begins, numbers)))))
    return tuple(lines)


_new_tuple = tuple.__new__


_WHITESPACE = re.compile(r"\s+")


def single_spaced(text: str) -> str:
    """``text`` with each run of whitespace made one space (ends not stripped).

    Logical lines are nearly always single-spaced already, and every
    whitespace character but the space is unprintable, so two cheap tests
    usually spare the regex its walk over a whole rationale.  (On ASCII
    text, "unprintable" is "left over when the printable characters are
    deleted": ``bytes.translate`` does that four times as fast as
    ``str.isprintable`` looks up each character's class.)
    """
    if "  " in text:
        return _WHITESPACE.sub(" ", text)
    if text.isascii():
        unprintable = text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    else:
        unprintable = not text.isprintable()
    return _WHITESPACE.sub(" ", text) if unprintable else text


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def normalize_text(text: str) -> Normalized:
    return Normalized(layout(clean_lines(text)), text)


def normalize(data: bytes | str) -> Normalized:
    """Raw letter (bytes or text) to logical lines."""
    return normalize_text(decode(data) if isinstance(data, bytes) else data)
