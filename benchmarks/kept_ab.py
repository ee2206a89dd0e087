"""Loads with and without kept parses (imr_etl.kept), alternated: letters/s.

    python benchmarks/kept_ab.py [RUNS]

RUNS pairs (default 3) of cold loads of the bench's 20k corpus
(``benchmarks/.cache/corpus-20000-seed1``; ``make bench`` writes it), one
keeping the grammar's output and one with ``--no-keep-parses``; then RUNS
pairs of re-derivations by the bench's new release (one vocabulary change:
``bench.new_release``) into copies of those two warehouses, the first with
its kept parses, the second without.  Each load is ``imr-etl load --quiet``
timed from launch to exit, as ``make bench`` times them; medians printed.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench  # noqa: E402

CORPUS = bench.CACHE / "corpus-20000-seed1"
LETTERS = 20_000


def rate(db: Path, options: tuple[str, ...] = (), env: dict | None = None) -> float:
    return bench.run_load([CORPUS], db, None, env, options)["rate"]


def main(runs: int) -> None:
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} is missing: `make bench` writes it")
    keeping, plain, work = (Path(f"/tmp/imr-kept-ab-{name}.duckdb") for name in ("keep", "plain", "work"))
    rates: dict[str, list[float]] = {}
    loads = {"cold, keeping": (keeping, ()), "cold, --no-keep-parses": (plain, ("--no-keep-parses",))}
    for _ in range(runs):
        for name, (db, options) in loads.items():
            bench.discard(db)
            rates.setdefault(name, []).append(rate(db, options))
            print(f"{name}: {rates[name][-1]:.0f}/s", flush=True)
    release = bench.new_release()
    redone = {"re-derive, from kept parses": (keeping, ()), "re-derive, parsing": (plain, ("--no-keep-parses",))}
    for _ in range(runs):
        for name, (db, options) in redone.items():
            bench.copy_warehouse(db, work)
            rates.setdefault(name, []).append(rate(work, options, release))
            print(f"{name}: {rates[name][-1]:.0f}/s", flush=True)
            bench.discard(work)
    size = bench.beside(keeping)[1].stat().st_size
    print(f"kept parses: {size / LETTERS:,.0f} bytes a letter")
    for name, taken in rates.items():
        print(f"{name}: median {statistics.median(taken):,.0f} letters/s (runs {', '.join(f'{r:.0f}' for r in taken)})")
    for db in (keeping, plain):
        bench.discard(db)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
