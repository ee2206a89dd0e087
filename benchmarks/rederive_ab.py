"""Re-derivation against a cold load, in CPU time, alternated.

The bench's corpus of 1,000 synthetic letters is loaded cold into a fresh
warehouse, then loaded by the bench's "new release" (benchmarks/bench.py:
one vocabulary change, no PDFium) into a copy of a warehouse this release
loaded; three times each, alternated, one process each (``--jobs 1``).  The
figure is the command's CPU time (user + system, getrusage): on a busy
machine it is what stays comparable.  ``python benchmarks/rederive_ab.py``.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench  # noqa: E402

TMP = Path("/tmp/imr-rederive-ab")
IMR_ETL = str(Path(sys.executable).with_name("imr-etl"))
LETTERS = 1000


def cpu_seconds(args: list[str], env: dict | None = None) -> tuple[float, str]:
    """CPU time of one `imr-etl …`, and its last line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([IMR_ETL, *args], capture_output=True, text=True, env=env, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, out.strip().splitlines()[-1]


def main() -> None:
    shutil.rmtree(TMP, ignore_errors=True)
    TMP.mkdir()
    corpus, release = bench.corpus(LETTERS), bench.new_release()
    base = TMP / "base.duckdb"
    cpu_seconds(["load", str(corpus), "--db", str(base), "--jobs", "1", "--quiet"])
    cold, again = [], []
    for attempt in range(3):
        seconds, line = cpu_seconds(["load", str(corpus), "--db", str(TMP / f"cold{attempt}.duckdb"),
                                     "--jobs", "1", "--quiet"])
        cold.append(seconds)
        print(f"cold     {seconds:.2f} CPU s  {line}", flush=True)
        copy = TMP / f"rederive{attempt}.duckdb"
        shutil.copy(base, copy)
        seconds, line = cpu_seconds(["load", str(corpus), "--db", str(copy), "--jobs", "1", "--quiet"], release)
        again.append(seconds)
        print(f"rederive {seconds:.2f} CPU s  {line}", flush=True)
    c, r = statistics.median(cold), statistics.median(again)
    print(f"median CPU s: cold {c:.2f}, re-derive {r:.2f}; letters per CPU-second {LETTERS / c:.0f} vs "
          f"{LETTERS / r:.0f}; re-derivation runs at {c / r:.2f} × the cold rate")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
