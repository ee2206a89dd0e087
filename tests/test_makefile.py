"""Which interpreter `make install` makes .venv with (Makefile, README.md).

The system's /usr/bin/python3 where it says it is 3.11 or later and can make
a virtualenv (Debian's is built with profile-guided optimization: loads run
~15 % faster on it, benchmarks/README.md), else python3 from the PATH;
PYTHON= overrides both.  `make -n -B` prints the commands without running
them; a script stands in for the system's interpreter, answering the
Makefile's question with its exit status.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def venv_command(*settings: str) -> str:
    """The command `make install` would make .venv with."""
    done = subprocess.run(["make", "-n", "-B", "install", *settings], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return next(line for line in done.stdout.splitlines() if line.endswith(" -m venv .venv"))


def interpreter(tmp_path: Path, status: int) -> Path:
    """A stand-in for /usr/bin/python3 that answers "3.11+ with venv?" with ``status``."""
    script = tmp_path / f"python3-{status}"
    script.write_text(f"#!/bin/sh\nexit {status}\n")
    script.chmod(0o755)
    return script


def test_the_system_python_is_taken_where_it_can_make_the_venv(tmp_path):
    system = interpreter(tmp_path, 0)
    assert venv_command(f"SYSTEM_PYTHON={system}") == f"{system} -m venv .venv"


def test_else_python3_from_the_path(tmp_path):
    assert venv_command(f"SYSTEM_PYTHON={interpreter(tmp_path, 1)}") == "python3 -m venv .venv"
    assert venv_command(f"SYSTEM_PYTHON={tmp_path / 'missing'}") == "python3 -m venv .venv"


def test_python_picks_another(tmp_path):
    assert venv_command(f"SYSTEM_PYTHON={interpreter(tmp_path, 0)}", "PYTHON=python3.12") == "python3.12 -m venv .venv"


def test_the_question_asked_is_answered_yes_by_a_python_that_makes_venvs():
    """The Makefile's question, put to the interpreter running these tests
    (3.11 or later, in a virtualenv it made): yes; and to one that says it
    is 3.10: no."""
    import re
    import sys

    question = re.search(r"\$\(SYSTEM_PYTHON\) -c '([^']+)'", (ROOT / "Makefile").read_text()).group(1)
    assert subprocess.run([sys.executable, "-c", question]).returncode == 0
    older = "import sys; sys.version_info = (3, 10, 14); " + question
    assert subprocess.run([sys.executable, "-c", older]).returncode != 0
