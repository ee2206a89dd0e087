"""The rough edges a new user met (issue 13), each pinned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_license_is_an_spdx_expression_so_setuptools_says_nothing():
    # `license = { text = … }` made every install print ~25 lines of deprecation warnings
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])


def test_the_docs_use_no_duckdb_command_the_install_lacks():
    # the install provides the duckdb Python package, not its command-line shell
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not re.match(r"^\s*(\$\s*)?duckdb\s", line), f"{path.name}:{number}: {line}"


# ------------------------------------------------------------ the command line

import os  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from helpers import REAL, SEEDS
from imr_etl import warehouse  # noqa: E402
from imr_etl.cli import main  # noqa: E402


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_a_missing_path_is_one_line_naming_it(tmp_path):
    result = run("load", str(tmp_path / "nothere"), "--db", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: {tmp_path / 'nothere'}: no such file or directory"]


def test_a_folder_without_letters_says_so_and_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.doc").write_text("not a letter")
    result = run("load", str(tmp_path / "empty"), "--db", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 66
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: no letters found in {tmp_path / 'empty'}") and ".txt or .pdf" in line


@pytest.mark.parametrize("content, reason", [
    (bytes(range(256)) * 8, "binary data"),
    ((SEEDS[0].parent.parent / "real" / (REAL[0].stem + ".pdf")).read_bytes(), "it is a PDF"),
])
def test_a_binary_file_named_txt_is_not_text(tmp_path, content, reason):
    path = tmp_path / "letter.txt"
    path.write_bytes(content)
    result = run("parse", str(path))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"{path}: not text: {result.output.split('not text: ')[1].strip()}"]
    assert reason in result.output


def test_text_with_a_wide_byte_order_mark_is_still_text(tmp_path):
    path = tmp_path / "letter.txt"
    path.write_bytes(b"\xff\xfe" + SEEDS[0].read_text(encoding="utf-8").encode("utf-16-le"))
    assert run("parse", str(path)).exit_code == 0


def test_the_summary_names_the_warehouse_by_its_absolute_path_when_run_from_the_root(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.chdir("/")
    assert warehouse.describe(warehouse.resolve_url(str(db).lstrip("/"))) == str(db)
    monkeypatch.chdir(tmp_path)
    assert warehouse.describe(warehouse.resolve_url("w.duckdb")) == "w.duckdb"
    assert os.path.isabs(warehouse.describe(warehouse.resolve_url(str(tmp_path.parent / "elsewhere.duckdb"))))


# ------------------------------------------------ older DuckDB readers (issue 13)

import struct  # noqa: E402

from imr_etl.writer import load  # noqa: E402

# A DuckDB file's header: a checksum, "DUCK", then its storage version number.
# 64 is what DuckDB 1.0 to 1.1 write (read off a file duckdb 1.1.3 created);
# DuckDB 2.0 writes a newer one, which duckdb 1.x refuses to open.
DUCKDB_1_STORAGE = 64


def storage_number(path: Path) -> int:
    head = path.read_bytes()[:20]
    assert head[8:12] == b"DUCK"
    return struct.unpack("<Q", head[12:20])[0]


def test_a_warehouse_for_duckdb_1_readers(tmp_path, monkeypatch):
    default, compatible = tmp_path / "default.duckdb", tmp_path / "v1.duckdb"
    load([SEEDS[0]], str(default), jobs=1)
    monkeypatch.setenv(warehouse.STORAGE_VAR, "v1.1.0")
    load([SEEDS[0]], str(compatible), jobs=1)
    assert storage_number(compatible) == DUCKDB_1_STORAGE
    assert storage_number(default) > DUCKDB_1_STORAGE
    # the setting is read when a file is created: the file keeps its format after
    monkeypatch.delenv(warehouse.STORAGE_VAR)
    load([SEEDS[1]], str(compatible), jobs=1)
    assert storage_number(compatible) == DUCKDB_1_STORAGE


def test_an_unknown_storage_version_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv(warehouse.STORAGE_VAR, "v9")
    result = run("load", str(SEEDS[0]), "--db", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "'v9' is not a known DuckDB version" in line
