"""Mutation testing of the core (``make mutation``; not part of ``make test`` or CI).

mutmut (the ``mutation`` extra) changes one thing at a time in a copy of the
code -- a ``<`` to ``<=``, a string to ``"XX…XX"``, a ``True`` to ``False``,
a call's argument to ``None`` -- and runs the tests that reach the changed
function.  A mutant no test notices ("survived") is behaviour nothing pins.

Each group below mutates some modules and runs only the tests that exercise
them (mutmut then narrows that to the tests that call the mutated function):
the parser stages with the parser's tests, which take seconds; the rows with
the tests that load letters into DuckDB and read them back.  A group runs in
``build/mutation/<group>``, which links the package and the tests and holds
mutmut's own ``pyproject.toml``, so each group has its own test selection.

mutmut mutates the bodies of functions only: module-level patterns (the
normalizer's regexes, the vocabularies) and functions with a decorator
(``@cache``) are left as they are.  The SQL views are mutated by
``mutation/sql.py``.

    python mutation/run.py [GROUP ...] [--max-children N] [--keep] [--mutants GLOB ...]

``--keep`` reuses the results of an earlier run where mutmut can (it retests
only changed functions); by default each group starts afresh.  ``--mutants``
runs only the mutants whose names match (mutmut's names, e.g.
``"imr_etl.extract.x_diagnoses*"``), ``--subset`` the subsets measured
(:data:`SUBSETS`): a whole group takes hours on 2 cores.  The score is
printed and written to ``build/mutation/score.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"

PARSER_TESTS = [
    "tests/test_records.py", "tests/test_citations.py", "tests/test_extract.py",
    "tests/test_outcomes.py", "tests/test_normalize.py", "tests/test_extractions.py",
    "tests/test_respelled.py",
]
# test_views.py and test_analyst_views.py each load the sample letters into
# DuckDB once (a module fixture) and check the views and keys against the
# letters' own counts and dates; test_conformed.py and test_body_region.py
# load a warehouse per test, which made a rows mutant cost a minute.
ROWS_TESTS = [
    "tests/test_views.py", "tests/test_analyst_views.py",
    "tests/test_warehouse.py::test_keys_are_stable_and_distinct",
    "tests/test_warehouse.py::test_small_derivations",
]
# Left out: tests that need PostgreSQL, the migrations' (they load a warehouse
# at each revision and upgrade it: 4-27 s each), and the PDF extractions'
# (PDFium on every real letter: 5 s).  Every surviving mutant runs all the
# tests that reach its function, so a slow test costs its time again for each.
PARSER_DESELECT = "not postgresql and not revision and not pdfium_text"
ROWS_DESELECT = ("not postgresql and not revision and not upgrade and not downgrade"
                 " and not new_vocabulary and not whichever")
GROUPS = {
    "parser": (["imr_etl/normalize.py", "imr_etl/parse.py", "imr_etl/transform.py", "imr_etl/records.py",
                "imr_etl/citations.py", "imr_etl/extract.py"], PARSER_TESTS, PARSER_DESELECT),
    "rows": (["imr_etl/rows.py"], ROWS_TESTS, ROWS_DESELECT),
}
# The subsets measured (docs/testing.md), for ``--subset``: all of a whole
# group takes hours on 2 cores.  Parser: every module but the normalizer's
# layout (its mutants reach every test: ~20 s each); rows: the small functions
# that make a value of their own (letter_rows' 470 mutants cost ~10-60 s each).
SUBSETS = {
    "parser": ["imr_etl.citations.*", "imr_etl.parse.*", "imr_etl.transform.*", "imr_etl.records.*",
               "imr_etl.extract.*",
               "imr_etl.normalize.x_decode__*", "imr_etl.normalize.x__without_furniture__*",
               "imr_etl.normalize.x__kept_before__*", "imr_etl.normalize.x__drop_hyphen__*",
               "imr_etl.normalize.x__words__*", "imr_etl.normalize.xǁLineǁposition__*",
               "imr_etl.normalize.xǁNormalizedǁorigin__*"],
    "rows": ["imr_etl.rows.x_citation_summary__*", "imr_etl.rows.x_partial_authorization__*",
             "imr_etl.rows.x_shared_guidelines__*", "imr_etl.rows.x_age_band__*",
             "imr_etl.rows.x_date_key__*", "imr_etl.rows.x_letter_identity__*"],
}


# mutmut counts a test as reaching a function only if the test itself calls
# it; a module fixture that loads the letters is counted for the first test
# that uses it alone.  So the rows mutants would run without the tests that
# read the loaded warehouse (every date key against the letters': survived).
# In these files, a mutant runs every test of the file that reaches it.
WHOLE_FILES = {"tests/test_views.py", "tests/test_analyst_views.py"}

# Every load parses in-process, whatever its size: a load's worker processes
# make calls mutmut does not see.  The loader reads this from the environment
# when imported (imr_etl.workers.MIN_POOL_VAR: fewer letters than this to
# parse, no workers); run() sets it for mutmut and the tests it runs.
IN_PROCESS = {"IMR_ETL_TEST_MIN_POOL": str(10 ** 9)}

# The pytest plugin each group's run loads (``-p mutation_inprocess``): a test
# of WHOLE_FILES stands for its whole file.
PLUGIN = '''"""pytest plugin of mutation/run.py (written by it)."""

import os

WHOLE = %r


def pytest_configure(config):
    if os.environ.get("MUTANT_UNDER_TEST", "") in ("", "stats", "list_all_tests", "mutant_generation"):
        return
    args = []
    for arg in config.args:
        path = arg.split("::")[0]
        name = path if any(path.endswith(f) for f in WHOLE) else arg
        if name not in args:
            args.append(name)
    config.args[:] = args
'''


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(group: str, keep: bool) -> Path:
    modules, tests, deselect = GROUPS[group]
    whole = tuple(t for t in tests if "::" not in t and t in WHOLE_FILES)
    folder = WORK / group
    if not keep and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("imr_etl", "tests"):
        link = folder / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    (folder / "mutation_inprocess.py").write_text(PLUGIN % (whole,), encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["imr_etl"]\n'
        f"only_mutate = {_toml_list(modules)}\n"
        # The package's data directories are links, which mutmut's copy skips.
        'also_copy = ["imr_etl/grammars", "imr_etl/sql", "imr_etl/migrations", "mutation_inprocess.py"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        f"pytest_add_cli_args = {_toml_list(['-p', 'no:cacheprovider', '-p', 'mutation_inprocess', '-k', deselect])}\n"
        # Not forked from the process that ran every test once: its caches
        # (the parser's, the citations' lru_cache) would answer for the
        # mutated functions, and every mutant behind a cache would survive.
        'process_isolation = "forkserver"\n'
        # mutmut's time limit is 30 times the estimated time of the tests
        # that reach the function; WHOLE_FILES runs more than those.
        "timeout_multiplier = 60.0\n"
        "[tool.pytest.ini_options]\n"
        'testpaths = ["tests"]\n',
        encoding="utf-8",
    )
    return folder


def run(group: str, max_children: int, keep: bool, mutants: list[str]) -> dict:
    folder = prepare(group, keep)
    mutmut = Path(sys.executable).with_name("mutmut")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMR_ETL_TEST_PG")} | IN_PROCESS
    started = time.monotonic()
    with (folder / "mutmut.log").open("a" if keep else "w", encoding="utf-8") as log:
        code = subprocess.call([str(mutmut), "run", "--max-children", str(max_children), *mutants],
                               cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    minutes = (time.monotonic() - started) / 60
    result = {"minutes": round(minutes, 1), "exit_code": code, "modules": score(folder)}
    survivors = subprocess.run([str(mutmut), "results"], cwd=folder, env=env,
                               capture_output=True, text=True).stdout
    (folder / "survivors.txt").write_text(survivors, encoding="utf-8")
    return result


def score(folder: Path) -> dict:
    """Killed, survived, … per module, from mutmut's result files."""
    from mutmut.stats import status_by_exit_code

    out = {}
    for meta in sorted((folder / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(folder / "mutants"))[: -len(".meta")]
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts: dict[str, int] = {}
        for code in codes.values():
            status = status_by_exit_code[code]
            counts[status] = counts.get(status, 0) + 1
        out[module] = dict(sorted(counts.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", default=list(GROUPS))
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--mutants", nargs="+", default=[])
    parser.add_argument("--subset", action="store_true", help="only the measured subset (SUBSETS)")
    args = parser.parse_args()
    results = {}
    for group in args.groups:
        mutants = args.mutants or (SUBSETS[group] if args.subset else [])
        results[group] = run(group, args.max_children, args.keep, mutants)
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "score.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    previous.update(results)
    path.write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")
    for group, result in results.items():
        print(f"{group}: {result['minutes']} min (mutmut exit {result['exit_code']})")
        for module, counts in result["modules"].items():
            print(f"  {module}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    print(f"survivors: build/mutation/<group>/survivors.txt; score: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
