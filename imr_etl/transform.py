"""Stage 3: parse tree → :class:`Letter`, the letter as the grammar reads it.

A Lark Transformer maps each grammar rule to plain data, in Lark's idiom: an
optional part arrives as ``None`` (the parser keeps placeholders), a rule
whose children are its arguments takes them inline (``@v_args(inline=True)``),
a rule whose children are the value is a type (``heading = tuple``).  (The
rules read for every item or citation unpack their children themselves:
Lark's inline wrapper costs three calls each time.)
The citation rules are handled by :class:`imr_etl.citations.CitationTransformer`,
merged in under the grammar's ``citation`` namespace.

What the transformer makes is the text as the grammar cut it, with no
vocabulary applied but the citations' sources (``vocab/guidelines.csv``):
the record's stage (:mod:`imr_etl.records`) classifies it.  So a
:class:`Letter` is what a vocabulary change leaves as it was, and a load
keeps it (:func:`keep`, :mod:`imr_etl.kept`) to re-derive the letter's record
from it without the grammar.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from isal import isal_zlib
from lark import Transformer, v_args
from lark.visitors import merge_transformers

from imr_etl import wording
from imr_etl.citations import CitationTransformer
from imr_etl.normalize import Normalized, single_spaced
from imr_etl.parse import parser

# A header label, lower-cased (the grammar reads labels in any case) → its key.
HEADER_KEYS = {label.lower(): key for label, key in wording.HEADER_LABELS.items()}
# The header's dates that date the letter itself, first found first: what a
# two-digit year in its prose is read against (imr_etl.records).
LETTER_DATES = ("decision_date", "application_received", "date_assigned")


def squash(text) -> str:
    # (Stripped first: a token that ends its line ends in "\n", which would
    # send single_spaced down its slow path, a regex over the whole text.)
    return single_spaced(str(text).strip())


@dataclass(frozen=True)
class Lines:
    """Where a part of the letter lies: its first and last line (1-based)."""

    first: int
    last: int


@dataclass
class Item:
    """A disputed item as the grammar reads it, before it is classified.
    (Not frozen, nor is :class:`Letter`: a frozen dataclass is built
    attribute by attribute through ``object.__setattr__``: about 1% of the
    grammar stage's time.)"""

    service: str
    decision: str  # "upheld" or "overturned"
    partial_authorization: dict | None  # {"original_request": …, "authorized": …}, as written
    citations: list[dict]  # each with its source (vocab/guidelines.csv), not yet its canonical ids
    rationale: str
    lines: Lines  # its logical lines, in the normalized text
    span: Lines | None = None  # its lines in the file (:func:`located`)


@dataclass
class Letter:
    """The letter as the grammar reads it (the transformer's result)."""

    header: list[tuple[str, str | None]] | None  # (label as written, value); None: no header block
    # The reviewer as read from the qualifications sentence and from the
    # credentials (either None): "board_certified"; the specialties as one
    # text to split ("specialty_text", the sentence's) or as items
    # ("specialties", the credentials' list); "subspecialty_text"; the
    # states as written ("state_names").
    reviewer: tuple[dict | None, dict | None]
    summary: str
    items: list[Item]


class LetterTransformer(Transformer):
    """Rule by rule, the letter's tree as plain values."""

    start = v_args(inline=True)(Letter)

    # ---------------------------------------------------------- header
    @v_args(inline=True)
    def header(self, _preamble, *fields):
        """Each field as (label as written, "Case Number:"; value or None):
        a field's token is split at its first colon, the label's.  A
        HEADER_LINE is its fields, each cut out by the regex of the terminal
        the lexer would have read it as."""
        if fields[0].type == "HEADER_LINE":
            fields = [field.group() for field in _header_field().finditer(fields[0])]
        return [(label + ":", squash(value) or None)
                for label, _, value in (field.partition(":") for field in fields)]

    # -------------------------------------------------------- reviewer
    @v_args(inline=True)
    def determination(self, narrative, credentials):
        """The reviewer as the qualifications sentence and the credentials
        give it (either may be missing or say nothing of a key)."""
        return (narrative, credentials)

    def plain_narrative(self, _):
        """A paragraph without the qualifications sentence: nothing read."""
        return None

    @v_args(inline=True)
    def qualification_sentence(self, qualification, _rest=None):
        return qualification

    @v_args(inline=True)
    def qualification(self, certification, subspecialty, licensure):
        return _merged(certification, subspecialty, licensure)

    @v_args(inline=True)
    def board_certified(self, _lead, field):
        return {"board_certified": True, "specialty_text": squash(field)}

    @v_args(inline=True)
    def licensed_in(self, field):
        return {"board_certified": False, "specialty_text": squash(field)}

    @v_args(inline=True)
    def subspecialty(self, field):
        return {"subspecialty_text": squash(field)}

    @v_args(inline=True)
    def licensure(self, state):
        return {"state_names": [str(state)]}

    @v_args(inline=True)
    def credentials(self, licensure, specialty):
        return _merged(licensure, specialty)

    def credential_lines(self, children):
        """The credentials as one token, CREDENTIALS_LINES: its second line is
        the licensure list's, its third the specialty list's."""
        [token] = children
        _, licensure, specialty, _ = token.split("\n")
        return _merged(self.licensure_list([licensure]), self.specialty_list([specialty]))

    def licensure_list(self, line):
        return {"state_names": _items(line)}

    def specialty_list(self, line):
        specialties = [squash(i) for i in _items(line) if squash(i)]
        return {"specialties": specialties, "board_certified": True if specialties else None}

    # --------------------------------------------------------- summary
    def summary(self, prose):
        return " ".join(squash(p) for p in prose)

    # ----------------------------------------------------------- items
    issues = list

    def heading(self, children):
        """(partial authorization or None, service, decision, its line), from
        SERVICE_DECISION, cut at the service's last colon, or from SERVICE
        and DECISION."""
        partial, service, *decision = children
        if decision:
            [decision] = decision
        else:
            cut = service.rindex(":") + 1
            service, decision = service[:cut], service[cut:]
        return partial, _service(service), decision.strip().lower(), children[1].line

    def item(self, children):
        """An item: its heading, the two guideline paragraphs' citations
        (either paragraph may be missing) and the rationale's line, RATIONALE
        or NL_RATIONALE (its text may be missing)."""
        (partial, service, decision, line), claims, reviewer, rationale = children
        cited = [{**c, "cited_by": cited_by}
                 for cited_by, paragraph in (("claims_administrator", claims), ("reviewer", reviewer))
                 for c in paragraph or ()]
        return Item(service=service, decision=decision, partial_authorization=partial,
                    citations=cited, rationale=squash(rationale[rationale.index(":") + 1:]),
                    lines=Lines(line, rationale.end_line - 1))  # (it ends with its line's end)

    @v_args(inline=True)
    def partial_authorization(self, original, authorized):
        """What was asked for and what the claims administrator authorized."""
        return {"original_request": squash(original), "authorized": squash(authorized)}

    def citations(self, statements):
        """The imported citation rule: its statements' citations, flattened."""
        return [cited for statement in statements for cited in statement]


@cache
def _header_field() -> re.Pattern:
    """A header field as KNOWN_FIELD or, failing that, OTHER_FIELD reads it
    (the grammar's own regexes): a HEADER_LINE is a run of them."""
    terminal = parser(TRANSFORMER).get_terminal
    return re.compile("|".join(terminal(name).pattern.to_regexp() for name in ("KNOWN_FIELD", "OTHER_FIELD")))


def _service(token: str) -> str:
    """A SERVICE token's text less the "( is)? *: *" it ends with (the
    token's last colon, grammars/letter.lark).  The service itself never ends
    in " is" when the colon's " is" is missing: it would have ended before it."""
    text = token[: token.rindex(":")].rstrip(" ")
    return squash(text[:-3] if text.endswith(" is") else text)


def _items(children) -> list[str]:
    """A list's items: its line's text after the label's colon, split at the
    commas (a LICENSURE_LINE or SPECIALTY_LINE, grammars/letter.lark)."""
    [line] = children
    return line[line.index(":") + 1 :].split(",")


def _merged(*parts: dict | None) -> dict:
    """The parts read of the reviewer, one dict (a missing part is None)."""
    out = {}
    for part in parts:
        out.update(part or {})
    return out


TRANSFORMER = merge_transformers(LetterTransformer(), citation=CitationTransformer())


@lru_cache(maxsize=1024)
def header_label(label: str) -> tuple[str, str | None]:
    """A header label as written ("Case Number:"): the label itself ("Case
    Number") and its record key (None for a label the record keeps under
    "other")."""
    label = squash(label).rstrip(": ")
    return label, HEADER_KEYS.get(label.lower())


def header_key(label: str) -> str | None:
    """The record's key of a header label as written, or None."""
    return header_label(label)[1]


def dated(letter: Letter) -> bool:
    """Does the header give a date of the letter (:data:`LETTER_DATES`)?"""
    return any(value and header_key(label) in LETTER_DATES for label, value in letter.header or ())


def located(letter: Letter, normalized: Normalized) -> Letter:
    """``letter`` with each item's span in the file: the first line its first
    logical line comes from, the last its last one does."""
    for item in letter.items:
        item.span = Lines(normalized.origin(item.lines.first).start, normalized.origin(item.lines.last).end)
    return letter


# The kept form of a Letter: its pickle, zlib-compressed by ISA-L (the isal
# package), whose deflate is three times as fast as zlib's at the same size:
# a synthetic letter's 4.5 KB of pickle (its text included when kept) in
# 1.8 KB, at 18 µs against zlib's 55 µs at its fastest level (a load keeps
# every letter it parses: 2 % of a cold load's CPU).  The bytes are zlib's
# format, which any zlib reads.
KEEP_LEVEL = isal_zlib.ISAL_DEFAULT_COMPRESSION


def keep(letter: Letter, text: str | None = None) -> bytes:
    """``letter`` as bytes to keep, with its normalized ``text`` if given
    (:func:`kept` reads them back)."""
    return isal_zlib.compress(pickle.dumps((letter, text), protocol=pickle.HIGHEST_PROTOCOL), KEEP_LEVEL)


def kept(data: bytes) -> tuple[Letter, str | None]:
    """The :class:`Letter` and text :func:`keep` made ``data`` of.  Kept bytes
    are read only by the code that wrote them (:func:`imr_etl.lineage.grammar_key`)."""
    letter, text = pickle.loads(isal_zlib.decompress(data))
    if not isinstance(letter, Letter) or not isinstance(text, str | None):
        raise ValueError("not a kept letter")
    return letter, text
