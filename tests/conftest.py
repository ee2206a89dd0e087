"""The tests' fixtures; what they share besides is in helpers.py."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest

from pgserver import pg_db  # noqa: F401 - a fixture: a fresh PostgreSQL database
from helpers import BACKENDS, REAL, SEEDS, Warehouses, _patch, _clear_caches, fake_drug
from imr_etl import drugs


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


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    with ExitStack() as stack:
        yield Warehouses(stack, tmp_path_factory.mktemp("views"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def seeds(warehouses, backend) -> str:
    return warehouses.get(backend, "seeds")


@pytest.fixture
def samples(warehouses, backend) -> str:
    return warehouses.get(backend, "samples")


@pytest.fixture
def doubles(monkeypatch):
    """The doubles in place of the library's mappings (letters parse in-process: jobs=1)."""
    _patch(monkeypatch)
    monkeypatch.setattr(drugs, "drug", fake_drug)
    yield
    monkeypatch.undo()
    _clear_caches()
