"""Mutation testing of the SQL views (``make mutation``): mutmut mutates Python only.

Each row of ``mutation/sql_mutations.csv`` is one mutant: in ``sql/<file>``,
the first occurrence of ``find`` becomes ``replace`` (``what`` says what an
analyst would then be told wrongly).  For each, a copy of the package with
that one change runs the tests that read the views; a mutant no test fails
survived.  The copy is made once (``build/mutation/sql/``); the working tree is
never changed.  The views run on DuckDB; on PostgreSQL too where
``IMR_ETL_TEST_PG`` names a server (the PostgreSQL-only functions' mutants
survive without one).

    python mutation/sql.py [--only PATTERN]

Prints one line per mutant and writes ``build/mutation/sql.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation" / "sql"
MUTATIONS = Path(__file__).resolve().parent / "sql_mutations.csv"
TESTS = ["tests/test_views.py", "tests/test_analyst_views.py", "tests/test_view_aggregates.py",
         "tests/test_conformed.py"]
# The migrations' tests (a warehouse loaded and upgraded or downgraded, 4-27 s
# each) test the revisions, not the views: a surviving mutant would run them all.
DESELECT = "not revision and not upgrade and not downgrade and not new_vocabulary and not whichever"


def mutations() -> list[dict]:
    with MUTATIONS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def copy_package() -> Path:
    """The package with its links (sql, grammars, migrations) made real
    folders, and the tests beside it."""
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    shutil.copytree(ROOT / "imr_etl", WORK / "imr_etl", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pdf"))
    shutil.copytree(ROOT / "tests", WORK / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (WORK / "imr_etl" / "samples" / "real").mkdir(exist_ok=True)
    for pdf in (ROOT / "imr_etl" / "samples" / "real").glob("*.pdf"):
        (WORK / "imr_etl" / "samples" / "real" / pdf.name).symlink_to(pdf)
    return WORK


def run_tests(folder: Path) -> tuple[int, float]:
    env = dict(os.environ, PYTHONPATH=str(folder))
    started = time.monotonic()
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder),
         "-k", DESELECT, *TESTS], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return code, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="only mutants whose file or description contains this")
    args = parser.parse_args()
    folder = copy_package()
    sql = folder / "imr_etl" / "sql"
    code, seconds = run_tests(folder)
    if code != 0:
        sys.exit(f"the view tests fail without any mutation (pytest exit {code}): nothing to measure")
    print(f"clean run: {seconds:.0f} s", flush=True)
    results, started = [], time.monotonic()
    for mutant in mutations():
        if args.only and args.only not in mutant["file"] + mutant["what"]:
            continue
        path = sql / mutant["file"]
        original = path.read_text(encoding="utf-8")
        if mutant["find"] not in original:
            status, seconds = "stale (text not found)", 0.0
        else:
            path.write_text(original.replace(mutant["find"], mutant["replace"], 1), encoding="utf-8")
            try:
                code, seconds = run_tests(folder)
            finally:
                path.write_text(original, encoding="utf-8")
            status = {0: "survived", 1: "killed"}.get(code, f"error (pytest exit {code})")
        results.append({**mutant, "status": status, "seconds": round(seconds, 1)})
        print(f"{status:9} {seconds:5.0f} s  {mutant['file']}: {mutant['what']}", flush=True)
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    minutes = (time.monotonic() - started) / 60
    (WORK.parent / "sql.json").write_text(
        json.dumps({"minutes": round(minutes, 1), "counts": counts, "mutants": results}, indent=1) + "\n",
        encoding="utf-8")
    print(f"sql: {minutes:.1f} min; " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
