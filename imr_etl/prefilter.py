"""Which of a vocabulary's patterns can match a text, known without running them.

A vocabulary's patterns are tried one by one on each service line (forty-odd
in ``vocab/service_patterns.csv``), and a line a load has not seen before
runs every one: a regex search is about a microsecond on a short line, and
these searches were most of what classifying a new service cost.  Nearly
every pattern starts a match with a word boundary and one of a few words
("\\b(epidural|ESI)\\b" starts at a word beginning "epi" or "esi"), and a
line has a handful of words: a pattern none of whose starts begins a word
of the line cannot match it, and is skipped.

What a match can start with is read off the pattern's parse (the regex
compiler's own, ``re._parser``); a pattern it cannot tell about — one that
may match the empty text, or start with any character — is always tried.
So the patterns :meth:`Prefiltered.candidates` leaves out are only ever
ones that would not have matched (tests/test_fast_paths.py checks it against
running them all).  :meth:`Prefiltered.at_start` does the same for patterns
matched at a text's start, as the guideline documents' names are: only
those a start of which begins the text are tried.
"""

from __future__ import annotations

import re
import string
from typing import Iterable, Iterator, Sequence, TypeVar

try:  # the regex compiler's parser: private, so its absence only costs speed
    from re import _constants as sre
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - every Python this runs on (3.11+) has them
    sre = sre_parse = None

_WORD_CHARACTERS = string.ascii_lowercase + string.digits + "_"  # \w in lower-cased ASCII
_WORD = frozenset(_WORD_CHARACTERS)
_CATEGORIES = {"CATEGORY_DIGIT": string.digits, "CATEGORY_SPACE": " \t\n\r\f\v",
               "CATEGORY_WORD": _WORD_CHARACTERS}
# Characters of a match's start compared with a text's words (two told too
# little: "\b(wheelchair|walker|cane|…)" starts with most letters), and the
# most ways a pattern may start that are followed.
LENGTH = 3
# What follows each word's start, as far as a start is compared.
_WORD_STARTS = re.compile(r"\b(?=(\w.{0,%d}))" % (LENGTH - 1), re.ASCII)
_MOST_WAYS = 2048
# The most starts of a pattern's that are looked for anywhere in a text (by
# ``in``, one by one; at a word's start they are looked up instead).
_MOST_SEARCHED = 12


T = TypeVar("T")


class _Unknown(Exception):
    """The pattern may start a match in a way this module does not follow."""


# One way through a pattern so far: the text it has matched (its first LENGTH
# characters at most, lower-cased), whether it may go on (False once cut at
# LENGTH), and whether a word boundary was asserted before its first character.
Way = tuple[str, bool, bool]


def starts(pattern: re.Pattern) -> tuple[frozenset[str], frozenset[str]] | None:
    """How a match of ``pattern`` can start in ASCII text, lower-cased: (its
    first LENGTH characters, or the whole of a shorter match, where a word
    starts; the same where it may start anywhere); None when that cannot be
    told (a match may be empty, or start with anything)."""
    if sre_parse is None or not isinstance(pattern.pattern, str):
        return None
    try:
        ways = _sequence(sre_parse.parse(pattern.pattern, pattern.flags), {("", True, False)})
    except (_Unknown, re.error, ValueError, RecursionError):
        return None
    if any(not text for text, _, _ in ways):
        return None
    # A boundary before a character that is not a word's is no word's start.
    at_word = frozenset(text for text, _, bounded in ways if bounded and text[0] in _WORD)
    return at_word, frozenset(text for text, _, _ in ways) - at_word


def _sequence(items: Iterable, ways: set[Way]) -> set[Way]:
    """``ways`` each followed by a parsed sequence of items."""
    for op, av in items:
        if not any(going and len(text) < LENGTH for text, going, _ in ways):
            break
        if op is sre.AT:  # zero-width: a boundary before anything is matched is noted
            ways = {(text, going, bounded or (not text and av is sre.AT_BOUNDARY))
                    for text, going, bounded in ways}
        elif op not in (sre.ASSERT, sre.ASSERT_NOT):  # (a look-around is zero-width too)
            ways = _then(ways, op, av)
    return ways


def _then(ways: set[Way], op, av) -> set[Way]:
    """``ways``, those that may go on each followed by one parsed item."""
    out: set[Way] = set()
    for way in ways:
        text, going, bounded = way
        if not going or len(text) >= LENGTH:
            out.add(way)
            continue
        for after, on, after_bounded in _item(op, av, bounded and not text):
            joined = text + after
            out.add((joined[:LENGTH], on and len(joined) < LENGTH, bounded if text else after_bounded))
        if len(out) > _MOST_WAYS:  # (told as soon as it is so: "\w\w\w" alone is 50,000 ways)
            raise _Unknown(len(out))
    return out


def _item(op, av, bounded: bool) -> set[Way]:
    """The ways through one parsed item (``bounded``: a word boundary is
    asserted before it, nothing matched yet)."""
    begin = {("", True, bounded)}
    if op is sre.LITERAL:
        return {(_ascii(av), True, bounded)}
    if op is sre.IN:
        return {(c, True, bounded) for c in _charset(av)}
    if op is sre.SUBPATTERN:
        return _sequence(av[-1], begin)
    if op is sre.ATOMIC_GROUP:
        return _sequence(av, begin)
    if op is sre.BRANCH:
        return set().union(*(_sequence(branch, begin) for branch in av[1]))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, item = av
        out = set(begin) if low == 0 else set()
        ways = begin
        for count in range(1, min(high, LENGTH) + 1):
            ways = _sequence(item, ways)
            if any(not text for text, _, _ in ways):
                raise _Unknown("a repeat of what may match empty")
            if count >= low:
                out |= ways
        # Each repeat matches a character at least: after LENGTH of them every
        # way is cut, and what more repeats start with is among those.
        return out | {way for way in ways if not way[1]}
    raise _Unknown(op)  # any character, a negated one, a back-reference, …


def _ascii(code: int) -> str:
    """An ASCII character, lower-cased.  (Another may match an ASCII one
    without case: "ſ" matches "s".)"""
    if code >= 128:
        raise _Unknown(code)
    return chr(code).lower()


def _charset(items: Iterable) -> set[str]:
    """The lower-cased characters of a character class (ASCII text)."""
    chars: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            chars.add(_ascii(av))
        elif op is sre.RANGE and av[1] < 128:
            chars.update(chr(code).lower() for code in range(av[0], av[1] + 1))
        elif op is sre.CATEGORY and getattr(av, "name", None) in _CATEGORIES:
            chars.update(_CATEGORIES[av.name])
        else:  # a negation, a non-ASCII range, another category
            raise _Unknown(op)
    return chars


class Prefiltered:
    """Patterns, each with how a match of it can start (:func:`starts`)."""

    def __init__(self, patterns: Sequence[re.Pattern]):
        self.count = len(patterns)
        self.always: set[int] = set()
        self.at_word: dict[str, set[int]] = {}
        self.anywhere: list[tuple[str, int]] = []
        # Each start, at a word or anywhere, → the patterns a match of which
        # may begin with it: a match at a text's first character (at_start).
        self.leading: dict[str, set[int]] = {}
        for index, pattern in enumerate(patterns):
            found = starts(pattern)
            if found is None:
                self.always.add(index)
                continue
            for text in found[0] | found[1]:
                self.leading.setdefault(text, set()).add(index)
            for text in found[0]:
                self.at_word.setdefault(text, set()).add(index)
            anywhere = found[1]
            if len(anywhere) > _MOST_SEARCHED:  # each is looked for in the text: their first characters
                anywhere = {text[0] for text in anywhere}
            if len(anywhere) > _MOST_SEARCHED:
                self.always.add(index)
            else:
                self.anywhere.extend((text, index) for text in sorted(anywhere))

    def candidates(self, text: str) -> list[int] | range:
        """Indexes, in order, of the patterns that may match ``text``: all
        of them unless it is printable ASCII (the characters are compared
        lower-cased, which only ASCII keeps one for one)."""
        if not (text.isascii() and text.isprintable()):
            return range(self.count)
        lowered = text.lower()
        found = set(self.always)
        get = self.at_word.get
        for start in _WORD_STARTS.findall(lowered):  # (each of its lengths up to LENGTH, 3, looked up)
            found.update(get(start, ()), get(start[:2], ()), get(start[:1], ()))
        for start, index in self.anywhere:
            if index not in found and start in lowered:
                found.add(index)
        return sorted(found)

    def at_start(self, text: str) -> list[int] | range:
        """Indexes, in order, of the patterns that may match ``text`` at its
        start (``pattern.match(text)``): those a start of which begins it.
        All of them unless its first characters are printable ASCII."""
        head = text[:LENGTH]
        if not (head.isascii() and head.isprintable()):
            return range(self.count)
        head = head.lower()
        get = self.leading.get  # (each of its first LENGTH, 3, characters' prefixes looked up)
        return sorted(self.always.union(get(head[:1], ()), get(head[:2], ()), get(head[:3], ())))

    def among(self, items: Sequence[T], text: str, anchored: bool = False) -> Iterator[T]:
        """Those of ``items``, one for each pattern in order, whose pattern
        may match ``text`` (``anchored``: at its start, :meth:`at_start`)."""
        return map(items.__getitem__, self.at_start(text) if anchored else self.candidates(text))
