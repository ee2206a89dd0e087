"""Shared fixtures: the sample letters shipped in imr_etl/samples."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "imr_etl" / "samples"
SEEDS = sorted((SAMPLES / "seeds").glob("*.txt"))
REAL = sorted((SAMPLES / "real").glob("*.txt"))
EXPECTED = Path(__file__).resolve().parent / "expected"


def paragraphs(text: str) -> list[str]:
    """A seed letter's paragraphs as a reader sees them: its lines with the
    extraction's blank lines dropped (each seed line is one wrapped line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def rewrap(text: str, width: int) -> str:
    """Re-lay a letter at another line width: join the physical lines of
    each paragraph-ish run and wrap again, the way another extractor would."""
    out = []
    for line in paragraphs(text):
        out.extend(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""])
    return "\n".join(out) + "\n"


@pytest.fixture(params=SEEDS, ids=lambda p: p.stem)
def seed(request) -> Path:
    return request.param


@pytest.fixture
def letters(tmp_path) -> Path:
    """A directory with a copy of the seed letters and two real ones."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for path in SEEDS + REAL[:2]:
        shutil.copy(path, folder / path.name)
    return folder
