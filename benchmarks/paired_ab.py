"""Parse speed of two checkouts measured at the same moment, one per core.

    python benchmarks/paired_ab.py BEFORE AFTER [RUNS]

A shared machine's speed moves from minute to minute (and even second to
second), so rates measured one after the other compare poorly even when
alternated.  Here each run starts both checkouts' processes together, each
pinned to a core of its own (``taskset``), swapping the cores run by run;
each process parses the 105 real letters' text as ``parse_ab.py`` does
(five passes after one of warm-up, CPU time).  What the machine does to one
core it does to the other too, mostly: the ratio of the pair is printed for
every run, and the median of those ratios at the end.  Needs two cores.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from parse_ab import ONE_RUN  # (this folder is first on the path of a script run from it)


def pair(before: str, after: str, swap: bool) -> tuple[float, float]:
    cores = ("1", "0") if swap else ("0", "1")
    running = [subprocess.Popen(["taskset", "-c", core, sys.executable, "-c", ONE_RUN],
                                env={**os.environ, "PYTHONPATH": checkout}, cwd="/",
                                stdout=subprocess.PIPE, text=True)
               for checkout, core in zip((before, after), cores)]
    rates = [float(process.communicate()[0]) for process in running]
    return rates[0], rates[1]


def main() -> None:
    before, after = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 9
    ratios = []
    for run in range(runs):
        rate_before, rate_after = pair(before, after, swap=run % 2 == 1)
        ratios.append(rate_after / rate_before)
        print(f"run {run + 1}: {rate_before:.0f} vs {rate_after:.0f} letters/CPU-s, ratio {ratios[-1]:.3f}")
    print(f"after / before: median ratio {statistics.median(ratios):.3f} over {runs} runs "
          f"(load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
