"""Stage 2's loop: Lark's LALR tables and contextual lexers, driven in one function.

:func:`imr_etl.parse.parse_tree` parses a letter with this loop and, if it
fails anywhere, again with Lark's own, which raises the error a user reads.
Everything that decides the parse is Lark's, built from the grammar: the
parse table (each state's action on each terminal), each state's lexer (the
regexes of the terminals it accepts, one alternation tried with ``match``),
the ignored and newline terminals, the lexer's callbacks (a string terminal
that a regex terminal also matches) and the callbacks that build the tree
or apply the transformer at each reduction.  What this loop leaves out is
Lark's generality: its lexer is a generator of a method calling a method
per token, a token is made through a keyword-checking ``__new__`` and its
position through a line counter's method, a rule is looked up by its
Python-level ``__hash__``; here those are local variables and dict
lookups by name.  That is 30 % of the grammar stage's instructions (a real
letter's tree 1.53 → 1.07 M; with the transformer 1.97 → 1.51 M:
``benchmarks/README.md``, issue 15's eleventh part).

The loop gives what ``Lark.parse`` gives on every letter it reads, token
positions included (tests/test_fast_paths.py compares the two on every
letter the tests have, made-up ones too); on anything else it returns
``None``.  It reads the parser's parts by the names Lark 1.x gives them;
with a Lark whose parts are otherwise, :func:`driver` gives ``None`` and
the letters go to Lark's loop.
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.parsers.lalr_analysis import Shift

_END = "$END"
_new_string = str.__new__


class Driver:
    """One parser's tables, as :meth:`parse` reads them."""

    def __init__(self, lark: Lark):
        table = lark.parser.parser.parser.parse_table
        callbacks = lark.parser.parser.parser.callbacks
        start = lark.options.start[0]
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]
        # state → {terminal or rule name: (True, next state) or (False, rule)},
        # a rule as (how many values it takes, its callback, its name).  (The
        # names as plain strings: Lark's are partly its tokens, whose
        # ``__eq__`` is Python's, called whenever a lookup compares keys; and
        # a rule hashes by its Python-level ``__hash__``.)
        rules = {}
        for row in table.states.values():
            for action, arg in row.values():
                if action is not Shift and arg not in rules:
                    rules[arg] = (len(arg.expansion), callbacks[arg], str(arg.origin.name))
        self.actions = {
            state: {str(name): (True, arg) if action is Shift else (False, rules[arg])
                    for name, (action, arg) in row.items()}
            for state, row in table.states.items()
        }
        # A terminal's own callback (a transformer method named for it).
        self.terminal_callbacks = {str(name): f for name, f in callbacks.items() if isinstance(name, str)}
        self.lexers = _Lexers(lark.parser.lexer.lexers)
        self.lexers[self.start_state]  # (a lexer's parts read now: a Lark without them fails here)

    def parse(self, text: str) -> Any:
        """What ``Lark.parse(text)`` returns, or ``None`` where it would
        raise (or where this loop cannot tell: Lark's then says)."""
        actions, lexers = self.actions, self.lexers
        terminal_callbacks = self.terminal_callbacks
        states: list = [self.start_state]
        values: list = []
        state = self.start_state
        pos, line, line_start, end = 0, 1, 0, len(text)
        while True:
            if pos < end:  # the next token (Lark's BasicLexer.next_token)
                patterns, ignore, newline_types, lexer_callbacks = lexers[state]
                for pattern in patterns:
                    if match := pattern.match(text, pos):
                        break
                else:
                    return None
                value = match.group(0)
                kind = match.lastgroup
                # Token(kind, value, pos, line, column, end_line, end_column, end_pos)
                # (made for an ignored run of spaces too, and dropped: they are few)
                token = _new_string(Token, value)
                token.type, token.value, token.start_pos = kind, value, pos
                token.line, token.column = line, pos - line_start + 1
                if kind in newline_types and (lines := value.count("\n")):
                    line += lines
                    line_start = pos + value.rindex("\n") + 1
                pos += len(value)
                token.end_line, token.end_column, token.end_pos = line, pos - line_start + 1, pos
                if kind in lexer_callbacks:
                    ignored = kind in ignore
                    token = lexer_callbacks[kind](token)
                    kind = token.type
                    if ignored:
                        continue
                elif kind in ignore:
                    continue
            else:
                token, kind = None, _END
            # Reduce until the token shifts (Lark's ParserState.feed_token),
            # or at the end until the start rule is reduced.
            while True:
                action = actions[state].get(kind)
                if action is None:
                    return None
                shift, arg = action
                if shift:
                    if token is None:  # (the end never shifts)
                        return None
                    states.append(arg)
                    state = arg
                    values.append(terminal_callbacks[kind](token) if kind in terminal_callbacks else token)
                    break
                size, callback, name = arg
                if size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                value = callback(children)
                state = actions[states[-1]][name][1]
                states.append(state)
                values.append(value)
                if token is None and state == self.end_state:
                    return value


class _Lexers(dict):
    """state → what its lexer is to the loop: its regexes, ignored and
    newline terminals, callbacks.  Each made when a letter first reaches its
    state, as Lark makes its scanners: compiling all 62 at once would cost
    a one-letter command 40 ms."""

    def __init__(self, lexers: dict):
        super().__init__()
        self.of_state = lexers

    def __missing__(self, state):
        lexer = self.of_state[state]
        self[state] = entry = (tuple(lexer.scanner._mres), lexer.ignore_types, lexer.newline_types, lexer.callback)
        return entry


def driver(lark: Lark) -> Driver | None:
    """The loop for ``lark`` (LALR, contextual lexer, no postlexer), or
    ``None`` where its parts are not as this module reads them."""
    if lark.options.parser != "lalr" or lark.options.postlex is not None or len(lark.options.start) != 1:
        return None
    try:
        return Driver(lark)
    except (AttributeError, KeyError, TypeError):
        return None
