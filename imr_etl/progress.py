"""The load's progress bar (tqdm, on stderr): letters settled, letters/s,
ETA, quarantined so far.  Shown only when stderr is a terminal and the user
did not ask for --quiet; cron gets the summary line alone."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import IO, Sequence

from imr_etl.discover import iter_files
from imr_etl.writer import Summary


class Bar:
    """Call it with the load's summary after each batch.  The total comes
    from a second, cheap walk of the paths in a background thread; until it
    ends the bar shows counts and rate without an ETA."""

    def __init__(self, paths: Sequence[str | Path], file: IO[str] | None = None, count: bool = True):
        from tqdm import tqdm

        self.bar = tqdm(total=None, unit=" letters", file=file or sys.stderr, dynamic_ncols=True,
                        mininterval=0.5, smoothing=0.05, leave=False, desc="loading")
        self.total: int | None = None
        if count:
            threading.Thread(target=self._count, args=(list(paths),), daemon=True,
                             name="imr-etl-count").start()

    def _count(self, paths: list[str | Path]) -> None:
        total = 0
        for total, _ in enumerate(iter_files(paths), 1):
            pass
        self.total = total

    def __call__(self, summary: Summary) -> None:
        if self.total is not None and self.bar.total != self.total:
            self.bar.total = self.total
        self.bar.set_postfix(quarantined=summary.quarantined, refresh=False)
        self.bar.update(summary.done + summary.pending - self.bar.n)

    def write(self, message: str) -> None:
        """A line above the bar (a quarantined letter)."""
        self.bar.write(message, file=self.bar.fp)

    def close(self) -> None:
        self.bar.close()
