"""A letter's outcome and each item's partial authorization against the
hand-read fixture (tests/expected/dwc_items.csv: decision, and for a partial
authorization the original request and what was authorized, with their
quantities, read from the letter)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from helpers import REAL, SEEDS, hand_read_items, letter_id
from imr_etl.letters import parse_file

LETTERS = REAL + SEEDS


@cache
def record(path: Path) -> dict:
    return parse_file(path)


def expected_outcome(rows: list[dict]) -> str:
    decisions = {row["decision"] for row in rows}
    if decisions == {"upheld"}:
        return "upheld"
    return "overturned" if decisions == {"overturned"} else "partially_overturned"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.stem)
def test_outcome_and_partial_authorizations(path: Path):
    got = record(path)
    want = hand_read_items()[letter_id(path, got)]
    assert got["outcome"] == expected_outcome(want)
    for row, item in zip(want, got["items"], strict=True):
        partial = item["partial_authorization"]
        assert (partial is not None) == (row["partial_authorization"] == "yes"), item["service"]
        if partial is None:
            continue
        assert (partial["original_request"], partial["authorized"]) == (row["original_request"], row["authorized"])
        for key in ("original_quantity", "authorized_quantity"):
            if row[key]:  # the reader left a quantity out where the request states none plainly
                assert partial[key] == float(row[key]), key


def test_the_fixture_has_every_outcome_and_both_partial_forms():
    outcomes = {expected_outcome(rows) for rows in hand_read_items().values()}
    assert outcomes == {"upheld", "overturned", "partially_overturned"}
    partial = [row for rows in hand_read_items().values() for row in rows if row["partial_authorization"] == "yes"]
    assert len(partial) >= 20
    # "… leaving the original request IMR eligible": the original request itself is decided
    assert any(row["original_request"].lower() == row["service"].lower() for row in partial)
