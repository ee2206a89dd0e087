"""Mangled letters: the parser returns a record or raises its own parse
error — never anything else, never slowly.

Hypothesis mutates the seed letters and a few real ones the ways bad files
arrive: lines deleted, duplicated or swapped, characters flipped, the text
cut short, bytes that are not text.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import REAL, SEEDS
from imr_etl.letters import parse_bytes
from imr_etl.normalize import normalize
from imr_etl.parse import LetterParseError

LETTERS = [p.read_bytes() for p in SEEDS + REAL[:5]]
# Generous: a letter parses in milliseconds; this catches runaway backtracking.
# CPU seconds of this process, which other processes on a busy machine do not
# stretch as they stretch the wall clock.
TIME_LIMIT = 2.0


def _mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    lines = data.split(b"\n")
    for op, a, b in ops:
        if not lines:
            break
        i, j = a % len(lines), b % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "flip" and lines[i]:
            k = b % len(lines[i])
            lines[i] = lines[i][:k] + bytes([lines[i][k] ^ (1 << (a % 8))]) + lines[i][k + 1:]
        elif op == "truncate":
            lines = lines[: i + 1]
    return b"\n".join(lines)


operations = st.lists(
    st.tuples(st.sampled_from(["delete", "duplicate", "swap", "flip", "truncate"]),
              st.integers(0, 10_000), st.integers(0, 10_000)),
    min_size=1, max_size=8)


def _parse_or_refuse(data: bytes) -> None:
    started = time.process_time()
    try:
        record = parse_bytes(data, "mutant.txt")
    except LetterParseError as error:
        assert str(error).startswith("mutant.txt"), str(error)
        assert "\n" not in str(error)
    else:
        assert record["items"], "a record always has its disputed items"
        assert all(item["decision"] in {"upheld", "overturned"} for item in record["items"])
    assert time.process_time() - started < TIME_LIMIT


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(letter=st.sampled_from(LETTERS), ops=operations)
def test_mutated_letters_parse_or_fail_cleanly(letter, ops):
    _parse_or_refuse(_mutate(letter, ops))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_fail_cleanly(data):
    _parse_or_refuse(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(letter=st.sampled_from(LETTERS), ops=operations)
def test_normalizing_a_mutant_twice_equals_once(letter, ops):
    once = normalize(_mutate(letter, ops))
    assert normalize(once.text).text == once.text
