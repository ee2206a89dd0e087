"""Cold loads by two checkouts, alternated: letters per second.

    python benchmarks/load_ab.py LETTERS RUNS BEFORE AFTER

Each run is ``imr-etl load DIRS --db NEW --quiet`` with the checkout first
on the path (``PYTHONPATH``), timed from launch to exit as ``make bench``
times its cold loads, over the first LETTERS (a multiple of 1,000) of the
bench's 100k corpus (``benchmarks/.cache/corpus-100000-seed1``, or the 20k
one; ``make bench`` writes them).  The checkouts alternate RUNS times; the
medians and their ratio are printed
(:func:`parse_ab.alternated`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parse_ab import alternated  # (this folder is first on the path of a script run from it)

CACHE = Path(__file__).resolve().parent / ".cache"


def corpus(letters: int) -> list[str]:
    for name in ("corpus-100000-seed1", "corpus-20000-seed1"):
        folders = sorted(p for p in (CACHE / name).glob("[0-9]*") if p.is_dir())
        if len(folders) * 1000 >= letters:
            return [str(p) for p in folders[: letters // 1000]]
    sys.exit(f"no bench corpus of {letters} letters in {CACHE}: run make bench first")


def cold_load(checkout: str, folders: list[str]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from imr_etl.cli import main; main()", "load", *folders,
                        "--db", str(Path(folder) / "cold.duckdb"), "--quiet"],
                       env={**os.environ, "PYTHONPATH": checkout}, cwd="/", check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> None:
    letters, runs, before, after = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    folders = corpus(letters)
    alternated(lambda checkout: letters / cold_load(checkout, folders), before, after, runs, "letters/s")

if __name__ == "__main__":
    main()
