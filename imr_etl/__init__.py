"""imr-etl: California IMR Final Determination Letters into a queryable warehouse.

The data's path, one module per stage:
text → normalize → parse (grammars/letter.lark) → records → load → views
(docs/architecture.md).

The library's entry points, each opening what it needs from a path or a
``--db``-style location (a DuckDB file or an SQLAlchemy URL)::

    import imr_etl

    record = imr_etl.parse_file("letter.pdf")          # one letter → its record
    summary = imr_etl.load(["letters/"], "w.duckdb")   # files → the warehouse
    failed = [r for r in imr_etl.check("w.duckdb") if not r.ok]
    imr_etl.report("report.html", "w.duckdb")
    imr_etl.export("exports/", "w.duckdb")

Every error they raise on purpose is an :class:`ImrEtlError` (``errors``).
They are imported on first use: ``import imr_etl`` stays cheap for the
parse workers.
"""

from importlib import import_module

from imr_etl.errors import (ImrEtlError, LetterParseError, OutputError, ParseTimeout, PdfTextError,
                            WarehouseBusy, WarehouseError)

__version__ = "0.1.0"

_ENTRY_POINTS = {
    "parse_file": "imr_etl.letters",
    "load": "imr_etl.writer",
    "check": "imr_etl.checks",
    "report": "imr_etl.reporting",
    "export": "imr_etl.exporting",
}


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        return getattr(import_module(_ENTRY_POINTS[name]), name)
    raise AttributeError(f"module 'imr_etl' has no attribute {name!r}")


__all__ = ["ImrEtlError", "LetterParseError", "OutputError", "ParseTimeout", "PdfTextError", "WarehouseBusy",
           "WarehouseError", "__version__", *_ENTRY_POINTS]
