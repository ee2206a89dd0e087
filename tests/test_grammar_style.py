"""The grammar's regexes, and the package's, read alike by every Python 3.11.

A possessive repeat of a group, "(?:…)*+", is matched wrongly by the re of
Python 3.11.0-3.11.4 when the group can backtrack (CPython issues 100061
and 106052): on Debian 12's 3.11.2, the interpreter `make install` prefers,
the grammar read no letter.  Such a repeat is written as the atomic group
that is the same match, "(?>(?:…)*)"; a single character's possessive
repeat, "[^\\n]++", which re runs by another opcode, is right on all.  A
terminal has no capturing group: nothing reads one, and each costs the
engine a save and restore as it backtracks (grammars/letter.lark).

These checks read the patterns as re parses them, so that they hold on the
3.11.7 the tests may run on, where the wrong form would still match right.
"""

from __future__ import annotations

import re
import sys
from re import _compiler, _constants, _parser  # (re's own parser: the structure it compiles)

import pytest
from lark.lexer import PatternRE

from imr_etl.parse import parser

REGEX_TERMINALS = {t.name: t.pattern for t in parser(None).terminals if isinstance(t.pattern, PatternRE)}


def possessive_group_repeats(pattern: str) -> list[str]:
    """The bodies (as re parses them) of the possessive repeats in
    ``pattern`` that are of more than one character."""
    found: list[str] = []

    def walk(items: _parser.SubPattern) -> None:
        for op, av in items:
            if op is _constants.POSSESSIVE_REPEAT and not _compiler._simple(av[2]):
                found.append(str(av[2])[:80])
            for part in av if isinstance(av, (tuple, list)) else (av,):
                for sub in part if isinstance(part, list) else (part,):
                    if isinstance(sub, _parser.SubPattern):
                        walk(sub)

    walk(_parser.parse(pattern))
    return found


def package_patterns() -> dict[str, re.Pattern]:
    """The compiled regexes at the top of every module of the package."""
    import imr_etl  # noqa: F401 (its modules are those loaded below)
    from imr_etl import cli  # noqa: F401 (imports every stage)

    return {f"{name}.{attr}": value for name, module in list(sys.modules.items())
            if name.startswith("imr_etl") for attr, value in vars(module).items()
            if isinstance(value, re.Pattern)}


def test_the_checks_see_the_forms_they_refuse():
    assert possessive_group_repeats(r"a(?:(?!b)[^\n])*+c") != []
    assert possessive_group_repeats(r"x(?:ab?c)++") != []
    assert possessive_group_repeats(r"a(?>(?:(?!b)[^\n])*)c") == []
    assert possessive_group_repeats(r"[^ \n]++ *+(?-i:[^\ntT])++") == []  # one character each
    assert re.compile(r"(?:a)(?>b)(?=c)(?!d)").groups == 0 and re.compile(r"(a)").groups == 1


@pytest.mark.parametrize("name", sorted(REGEX_TERMINALS))
def test_no_terminal_repeats_a_group_possessively(name):
    assert possessive_group_repeats(REGEX_TERMINALS[name].to_regexp()) == []


@pytest.mark.parametrize("name", sorted(REGEX_TERMINALS))
def test_no_terminal_captures(name):
    assert re.compile(REGEX_TERMINALS[name].to_regexp()).groups == 0


def test_no_package_regex_repeats_a_group_possessively():
    patterns = package_patterns()
    assert len(patterns) > 50  # (the modules were found)
    assert {name: found for name, pattern in patterns.items()
            if (found := possessive_group_repeats(pattern.pattern))} == {}
