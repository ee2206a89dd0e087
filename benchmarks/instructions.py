"""Instructions per letter of the parse's stages, counted by valgrind.

    python benchmarks/instructions.py STAGE [SOURCE] [N]

STAGE is how far each letter goes, each stage including the ones before:
``norm`` (decode and normalize), ``tree`` (the grammar, building a tree),
``lark`` (the grammar with the transformer), ``record`` (the record),
``rows`` (the warehouse rows), ``all`` (the rows as CSV lines); ``parse``,
what the bench's parse measure times (``letters.parse_bytes``); and
``worker``, what a load's worker does with a file (``workers.process``:
read, hash, parse, keep the grammar's output, its rows as CSV lines), in
tasks of 16, in a process whose objects are frozen as in the fork server.  SOURCE is a
folder of ``.txt`` letters (default: the 105 real ones), N how many letters
(repeating the folder's; default its size).  The count is that of a run
over N letters less that of a run over none, divided by N: the figure does
not include start-up, and unlike seconds it does not move with what else
the machine runs (cachegrind counts a program's own instructions).  A run
first parses 30 letters, so caches hold what a long load's would.  Used
for issue 15's figures (benchmarks/README.md); about a minute per call.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REAL = HERE.parent / "imr_etl" / "samples" / "real"
STAGES = ("norm", "tree", "lark", "record", "rows", "all", "parse", "worker")


def run(source: Path, n: int, stage: str) -> None:
    """Take N letters of ``source`` to ``stage`` (what valgrind counts)."""
    import hashlib
    from datetime import datetime

    from imr_etl import outcomes, rows
    from imr_etl.letters import parse_bytes
    from imr_etl.normalize import normalize
    from imr_etl.parse import parse_tree
    from imr_etl.records import record
    from imr_etl.transform import TRANSFORMER, located

    files = sorted(source.glob("*.txt"))
    now = datetime(2026, 1, 1)
    state = outcomes.FileState("x", 1, 1, "s")
    if stage == "worker":
        _worker(files, n, now)
        return

    def one(path: Path) -> None:
        data = path.read_bytes()
        if stage == "parse":
            parse_bytes(data, str(path))
            return
        normalized = normalize(data)
        if stage == "norm":
            return
        if stage == "tree":
            parse_tree(normalized, str(path))
            return
        letter = located(parse_tree(normalized, str(path), TRANSFORMER), normalized)
        if stage == "lark":
            return
        parsed = {"source_path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "format": "text",
                  **record(letter, lambda: normalized.text)}
        if stage == "record":
            return
        letter_rows = rows.letter_rows(parsed, 1, now)
        if stage == "rows":
            return
        outcomes.Parsed.of(state, letter_rows, data)

    for path in files[:30]:
        one(path)
    for i in range(n):
        one(files[i % len(files)])


def _worker(files: list[Path], n: int, now) -> None:
    import gc

    from imr_etl import workers

    tasks = [workers.Task(str(path), None, False, None, None) for path in files]
    workers.process(tasks[:30], 1, now)
    gc.freeze()  # as workers.warm leaves a worker
    wanted = [tasks[i % len(tasks)] for i in range(n)]
    for start in range(0, n, workers.TASK_SIZE):
        workers.process(wanted[start:start + workers.TASK_SIZE], 1, now)


def count(source: Path, n: int, stage: str) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, __file__, "--run", stage, str(source), str(n)],
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", done.stderr).group(1).replace(",", ""))


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        run(Path(sys.argv[3]), int(sys.argv[4]), sys.argv[2])
        return
    stage = sys.argv[1] if len(sys.argv) > 1 else "all"
    if stage not in STAGES:
        sys.exit(f"STAGE is one of {', '.join(STAGES)}")
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else REAL
    n = int(sys.argv[3]) if len(sys.argv) > 3 else len(list(source.glob("*.txt")))
    per_letter = (count(source, n, stage) - count(source, 0, stage)) / n
    print(f"{stage}: {per_letter / 1e6:.3f} M instructions/letter ({n} letters of {source})")


if __name__ == "__main__":
    main()
