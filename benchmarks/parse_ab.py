"""Parse speed of two checkouts, alternated: real letters per CPU-second.

    python benchmarks/parse_ab.py BEFORE AFTER [RUNS]

Each run is a fresh process per checkout (``PYTHONPATH=checkout``) that
parses the 105 real letters' text once to warm up, then 5 times, and prints
its median rate (``time.process_time``); the checkouts alternate RUNS times
(default 5) and the medians and their ratio are printed.  CPU seconds stretch
with the machine's load: prefer ``benchmarks/instructions.py`` on a busy one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable

REAL = Path(__file__).resolve().parent.parent / "imr_etl" / "samples" / "real"
ONE_RUN = f"""
import time
from pathlib import Path
from imr_etl.letters import parse_bytes
letters = [(f.read_bytes(), str(f)) for f in sorted(Path({str(REAL)!r}).glob("*.txt"))]
for data, name in letters:
    parse_bytes(data, name)
times = []
for _ in range(5):
    started = time.process_time()
    for data, name in letters:
        parse_bytes(data, name)
    times.append(time.process_time() - started)
print(len(letters) / sorted(times)[2])
"""


def rate(checkout: str) -> float:
    done = subprocess.run([sys.executable, "-c", ONE_RUN], env={**os.environ, "PYTHONPATH": checkout},
                          cwd="/", capture_output=True, text=True, check=True)
    return float(done.stdout)


def alternated(rate: Callable[[str], float], before: str, after: str, runs: int, unit: str) -> None:
    """Print each checkout's rates (``rate(checkout)``, the two alternated
    ``runs`` times), their medians and the ratio after / before."""
    rates: dict[str, list[float]] = {before: [], after: []}
    for _ in range(runs):
        for checkout in (before, after):
            rates[checkout].append(rate(checkout))
    for checkout, found in rates.items():
        print(f"{checkout}: median {statistics.median(found):.0f} {unit} {[round(r) for r in found]}")
    ratio = statistics.median(rates[after]) / statistics.median(rates[before])
    print(f"after / before: {ratio:.3f} (load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    alternated(rate, sys.argv[1], sys.argv[2], runs, "letters/CPU-s")

if __name__ == "__main__":
    main()
