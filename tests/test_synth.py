"""The synthetic corpus generator (imr_etl/synth.py, `imr-etl synth`).

The first test is the one that matters: synthetic letters parse to exactly
their manifest, so the generator and the grammar check each other.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest
from click.testing import CliRunner

from conftest import ITEM_KEYS, record_differences
from imr_etl import synth, vocabulary
from imr_etl.cli import main
from imr_etl.letters import parse_bytes, parse_file

def _diff(entry: dict, record: dict) -> list[str]:
    """Where a parse record departs from its manifest entry, field by field."""
    problems = record_differences(entry["path"], entry, record)
    if entry["sha256"] != record["sha256"]:
        problems.append(f"{entry['path']}: sha256 differs")
    return problems


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_synthetic_letters_parse_to_their_manifest(seed):
    problems = []
    for path, data, entry in synth.letters(150, seed):
        problems += _diff(entry, parse_bytes(data, path))
    assert not problems, "\n".join(problems[:30])


def test_manifest_entries_have_the_record_keys():
    _, _, entry = next(synth.letters(1, 0))
    assert set(entry) == {"path", "sha256", "format", "header", "reviewer", "patient",
                          "diagnoses", "items"}
    item = entry["items"][0]
    assert tuple(item) == (*ITEM_KEYS, "citations")
    assert set(item["citations"][0] if item["citations"] else {}) <= {
        "cited_by", "source", "document", "topic", "pages", "section"}


def test_same_seed_same_corpus_and_a_prefix_is_a_smaller_corpus():
    first = list(synth.letters(40, 7))
    assert first == list(synth.letters(40, 7))
    assert first[:15] == list(synth.letters(15, 7))
    other = list(synth.letters(40, 8))
    assert [d for _, d, _ in first] != [d for _, d, _ in other]


def test_a_corpus_of_2000_covers_the_taxonomy_and_the_variations():
    subcategories, item_counts, units, sources, features = Counter(), Counter(), Counter(), Counter(), Counter()
    case_numbers = []
    for _, data, entry in synth.letters(2000, 11):
        item_counts[len(entry["items"])] += 1
        if entry["header"]["case_number"]:
            case_numbers.append(entry["header"]["case_number"])
        features["no sex"] += entry["patient"]["sex"] is None
        features["diagnoses"] += bool(entry["diagnoses"])
        features["board certified"] += entry["reviewer"]["board_certified"]
        features["licensed in"] += not entry["reviewer"]["board_certified"]
        features["crlf"] += b"\r\n" in data
        features["form feed"] += b"\f" in data
        features["typographic"] += "’".encode() in data
        features["partial"] += b"was the original request" in data
        for item in entry["items"]:
            subcategories[item["treatment_category"], item["treatment_subcategory"]] += 1
            units[item["quantity_unit"] if item["quantity"] is not None else "none"] += 1
            features[item["decision"]] += 1
            for cited in item["citations"]:
                sources[cited["source"]] += 1
                features["pages"] += cited["pages"] is not None
                features["section"] += cited["section"] is not None
    taxonomy = {(r["category"], r["subcategory"]) for r in vocabulary.rows("taxonomy.csv")}
    assert taxonomy - synth.PARSER_GAPS - set(subcategories) == set()
    assert set(item_counts) == {1, 2, 3, 4, 5, 6}
    assert {"visits", "sessions", "units", "refills", "days", "months", "hours", None,
            "none"} <= set(units)
    assert set(sources) == {"MTUS", "ODG", "ACOEM", "AMA", "OTHER"}
    assert 0.85 < features["upheld"] / (features["upheld"] + features["overturned"]) < 0.95
    assert 0.4 < len(case_numbers) / 2000 < 0.6
    assert len(set(case_numbers)) == len(case_numbers)
    for feature in ("no sex", "diagnoses", "board certified", "licensed in", "crlf", "form feed",
                    "typographic", "partial", "pages", "section"):
        assert features[feature] > 20, feature


def test_cli_writes_the_letters_and_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "PER_DIR", 10)  # spread 25 letters over 3 directories
    out = tmp_path / "corpus"
    result = CliRunner().invoke(main, ["synth", "25", str(out), "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "wrote 25 letters" in result.output
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(entries) == 25
    assert sorted(p.name for p in out.iterdir()) == ["0000", "0001", "0002", "manifest.jsonl"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt")) == sorted(
        e["path"] for e in entries)
    for entry in entries:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    for entry in entries[::6]:
        assert not _diff(entry, parse_file(out / entry["path"]))
    # the same as the library's letters, byte for byte
    assert [e["sha256"] for e in entries] == [e["sha256"] for _, _, e in synth.letters(25, 5)]


def test_cli_will_not_mix_corpora_unless_forced(tmp_path):
    out = tmp_path / "corpus"
    runner = CliRunner()
    assert runner.invoke(main, ["synth", "12", str(out)]).exit_code == 0
    refused = runner.invoke(main, ["synth", "5", str(out)])
    assert refused.exit_code != 0 and "--force" in refused.output
    forced = runner.invoke(main, ["synth", "5", str(out), "--force", "--quiet"])
    assert forced.exit_code == 0 and forced.output == ""
    assert len(list(out.rglob("*.txt"))) == 5
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 5
