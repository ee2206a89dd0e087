"""Stage 2: the grammar.  Normalized letter text → Lark parse tree.

The grammar lives in ``grammars/letter.lark`` (which imports
``grammars/citation.lark``).  A letter that does not fit it raises
:class:`LetterParseError`, whose message is the one line a user sees: the
file, the line and column in the *original* file, what was found and what the
grammar expected there.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark, Transformer, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from imr_etl import wording
from imr_etl.errors import LetterParseError
from imr_etl.lalr import Driver, driver
from imr_etl.normalize import Normalized

GRAMMARS = Path(__file__).resolve().parent / "grammars"


@cache
def parser(transformer: Transformer | None = None) -> Lark:
    """The letter grammar's parser; with a ``transformer``, one that applies
    it to each rule as LALR reduces it, which gives what transforming the
    tree afterwards gives without building the tree."""
    return Lark.open(
        str(GRAMMARS / "letter.lark"),
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
        transformer=transformer,
    )


@cache
def _driver(transformer: Transformer | None = None) -> Driver | None:
    """:func:`parser`'s tables in :mod:`imr_etl.lalr`'s loop."""
    return driver(parser(transformer))


# Terminal names a reader understands, for "expected …" in error messages.
_SERVICE = "a disputed item ending in %s" % " or ".join(f"': {word}'" for word in wording.DECISIONS)
_FRIENDLY = {
    "DECISION": " or ".join(wording.DECISIONS),
    "_CLAIMS_LABEL": f"'{wording.CLAIMS_LABEL}'",
    "_REVIEWER_LABEL": f"'{wording.REVIEWER_LABELS[0]}'",
    "RATIONALE": f"'{wording.RATIONALE_LABEL}'",
    "_HOW_HEADING": f"'{wording.HOW_HEADING}'",
    "_SUMMARY_HEADING": f"'{wording.SUMMARY_HEADING}'",
    "_ISSUES_HEADING": f"'{wording.ISSUES_HEADING}'",
    "SERVICE": _SERVICE,
    "SERVICE_DECISION": _SERVICE,  # (the service with its decision: one token)
    "REQUEST": "a disputed item",
    "_NL": "end of line",
    "$END": "end of letter",
}


def _expected(error: UnexpectedInput) -> tuple[str, ...]:
    names = getattr(error, "expected", None) or getattr(error, "allowed", None) or ()
    names = {_reader_name(n) for n in names}
    # When a heading is possible, the rest is noise to the reader.
    for key in ("DECISION", "_ISSUES_HEADING", "_SUMMARY_HEADING", "_HOW_HEADING"):
        if key in names:
            names = {key}
    return tuple(sorted({_FRIENDLY.get(n, n) for n in names}))


def parse_tree(normalized: Normalized, source: str = "",
               transformer: Transformer | None = None) -> Tree:
    """Parse normalized text, raising :class:`LetterParseError` on failure;
    with a ``transformer``, the tree is the one it makes (see :func:`parser`).
    The text goes through :mod:`imr_etl.lalr`'s loop first, and through
    Lark's own where that fails, for the error it raises."""
    if not normalized.lines:
        raise LetterParseError("empty letter: no text", source)
    fast = _driver(transformer)
    if fast is not None and (tree := fast.parse(normalized.text)) is not None:
        return tree
    try:
        return parser(transformer).parse(normalized.text)
    except UnexpectedInput as error:
        raise _error(error, normalized, source) from None


def _error(error: UnexpectedInput, normalized: Normalized, source: str) -> LetterParseError:
    expected = _expected(error)
    if isinstance(error, UnexpectedEOF) or getattr(getattr(error, "token", None), "type", "") == "$END":
        line = normalized.lines[-1]
        found = "end of letter"
        number, column = normalized.place(line, len(line.text) + 1)
    else:
        line = normalized.origin(error.line)
        if isinstance(error, UnexpectedCharacters):
            found = repr(line.text[error.column - 1 : error.column + 29])
        else:
            found = repr(_text(error.token)[:30]) if isinstance(error, UnexpectedToken) else "?"
        number, column = normalized.place(line, error.column)
    reason = f"found {found}, expected {' or '.join(expected) or 'something else'}"
    return LetterParseError(reason, source, number, column, expected)


def _reader_name(name: str) -> str:
    """A terminal as the reader knows it (grammars/letter.lark): X_LINE, X
    with its line end, is X; NL_X, a line end with the next line's label, is
    the line end (the place it starts); a token of what others read one by
    one (the header's fields, HEADER_LINE), the first of them."""
    name = name.split("__")[-1]
    if name in _FIRST_OF:
        return _FIRST_OF[name]
    return "_NL" if name.lstrip("_").startswith("NL_") else name.removesuffix("_LINE")


# Terminals that read what others read one by one, as one token: to a
# reader, the first of those (grammars/*.lark).
_FIRST_OF = {"HEADER_LINE": "KNOWN_FIELD", "_SUMMARY_OPENING_LINE": "_SUMMARY_HEADING",
             "_ISSUES_OPENING_LINE": "_ISSUES_HEADING", "MTUS_SECTIONS": "MTUS_BASED",
             "CREDENTIALS_LINES": "_CREDENTIALS"}


def _text(token) -> str:
    """A token's text as a reader sees it: its first line (an X_LINE token
    without its line end, a heading without the line the token reads after
    it); an NL_X token, or the line end itself, as the line end."""
    text = str(token)
    return "\n" if text.startswith("\n") else text.partition("\n")[0]
