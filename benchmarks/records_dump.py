"""Everything the parse makes of a set of letters, as text, to compare a
change that must not change it (issue 15: "every record unchanged, byte for
byte").

    python benchmarks/records_dump.py OUT [SYNTHETIC]

OUT gets, for the 110 sample letters, 20 of their PDFs and SYNTHETIC
(default 1,000) letters of ``imr_etl.synth.letters(seed=3)``: each record
(docs/record.md) as JSON, and what a load's worker makes of the file (its
rows as CSV lines, its digest, or its quarantine; asserted the same when
made from the grammar's output it keeps); then the one-line error
of 540 broken versions of real letters (cut short, a rationale glued in,
a decision word misspelt).  The parser's fingerprint is written as ``FP``
(it changes with any change to the code), the letters' folder as ``DIR``.  Run it before and after, then
``cmp`` the two files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import imr_etl
from imr_etl import lineage, synth, workers
from imr_etl.errors import LetterParseError
from imr_etl.letters import parse_bytes
from imr_etl.outcomes import Parsed

# The samples of the imr_etl imported (PYTHONPATH=<another checkout> dumps that
# one's), not of this file's checkout: a copy of the script run from elsewhere
# found none, and compared only the synthetic letters.
SAMPLES = Path(imr_etl.__file__).resolve().parent / "samples"


def _fields(outcome: Parsed) -> dict:
    """What a worker made of a letter: its rows, digest and shares (not the
    file's bytes, nor the grammar's output it keeps)."""
    fields = {k: v for k, v in vars(outcome).items()
              if k not in ("data", "file", "kept_parse", "from_kept_parse", "lines", "joined")}
    fields["sha256"] = outcome.file.sha256
    # Each table's rows as the CSV text written: a row's key is its line's first
    # field, and a revision that sent a letter's own tables keyed too compares.
    tables = {table: "".join(line for _, line in lines) for table, lines in outcome.lines.items() if lines}
    tables.update(getattr(outcome, "joined", {}))
    fields["lines"] = dict(sorted(tables.items()))
    return fields


def dump(out, files: list[Path]) -> None:
    now = datetime(2026, 1, 1)
    for path in files:
        outcome = workers.process([workers.Task(str(path))], 1, now)[0]
        if isinstance(outcome, Parsed):
            fields = _fields(outcome)
            out.write(f"{path.name} {fields!r}\n")
            kept = getattr(outcome, "kept_parse", None)
            if kept is not None:  # the same again from the grammar's output kept (imr_etl.kept)
                again = workers.process([workers.Task(str(path), outcome.file.sha256, False, None, kept[2])], 1, now)[0]
                assert again.from_kept_parse and _fields(again) == fields, path
        else:
            out.write(f"{path.name} {outcome!r}\n")
        try:
            record = parse_bytes(path.read_bytes(), path.name, "pdf" if path.suffix == ".pdf" else "text")
            out.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        except LetterParseError as error:
            out.write(f"ERR {error}\n")


def broken(out) -> None:
    for path in sorted((SAMPLES / "real").glob("*.txt"))[:60]:
        data = path.read_bytes()
        for cut in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
            for variant in (data[:cut], data[:cut] + b"\nDecision rationale: x\n" + data[cut + 50:],
                            data.replace(b"Upheld", b"Uphold", 1)[: cut * 2]):
                try:
                    record = parse_bytes(variant, path.name)
                    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
                    out.write(f"OK {digest}\n")
                except LetterParseError as error:
                    out.write(f"ERR {error} {error.expected!r}\n")


class _Masked:
    """A file that writes the parser's fingerprint as FP and the letters'
    temporary folder as DIR."""

    def __init__(self, file, folder: str):
        self.file, self.fingerprint, self.folder = file, lineage.fingerprint(), folder

    def write(self, text: str) -> None:
        self.file.write(text.replace(self.fingerprint, "FP").replace(self.folder, "DIR"))


def main() -> None:
    synthetic = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    samples = sorted(SAMPLES.rglob("*.txt")) + sorted(SAMPLES.rglob("*.pdf"))[:20]
    # One fixed folder, so that paths, and the keys of letters without a case
    # number (hashed from their path), are the same from any checkout.
    folder = str(Path(tempfile.gettempdir()) / "imr-etl-records-dump")
    # Two dumps at once would share it: the second waits for the first.
    with open(folder + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _dump_in(folder, samples, synthetic)


def _dump_in(folder: str, samples: list[Path], synthetic: int) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    Path(folder).mkdir()
    with open(sys.argv[1], "w", encoding="utf-8") as file:
        for path in samples:
            (Path(folder) / path.name).write_bytes(path.read_bytes())
        for name, data, _truth in synth.letters(synthetic, seed=3):
            (Path(folder) / ("synthetic-" + Path(name).name)).write_bytes(data)
        out = _Masked(file, folder)
        dump(out, [Path(folder) / path.name for path in samples]
             + sorted(Path(folder).glob("synthetic-*")))
        broken(out)
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
