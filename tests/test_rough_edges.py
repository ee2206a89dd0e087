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
