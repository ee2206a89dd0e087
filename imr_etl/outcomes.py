"""What reading and parsing one file comes to, as the writer receives it:
unchanged, parsed (its rows as CSV lines, encoded in the worker), or
quarantined with its reason.  No database; pickled between processes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from typing import Iterable

from imr_etl import lineage, rows, schema
from imr_etl.letters import file_format
from imr_etl.normalize import decode

@dataclass
class Quarantined:
    """A letter that could not be read, parsed or written, and why."""

    source_path: str
    sha256: str
    stage: str  # read, parse, load
    reason: str
    data: bytes = b""
    line: int | None = None
    column: int | None = None
    expected: tuple[str, ...] = ()
    text: bytes | None = None  # the text parsed, when not the file's bytes (a PDF's extraction)

    def message(self) -> str:
        where = self.source_path
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.reason}"

    def row(self, run_id: int, when: datetime) -> tuple:
        raw = self.text
        if raw is None:  # a PDF's bytes are no text to show
            raw = b"" if file_format(self.source_path) == "pdf" else self.data
        try:
            text = decode(raw)
        except Exception:  # noqa: BLE001 - the raw bytes are kept regardless
            text = raw.decode("utf-8", "replace")
        return rows.row(schema.etl_quarantine, source_path=self.source_path, sha256=self.sha256,
                        run_id=run_id, quarantined_at=when, stage=self.stage, reason=self.reason,
                        line_number=self.line, column_number=self.column,
                        expected="; ".join(self.expected) or None, size_bytes=len(self.data),
                        raw_text=text.replace("\x00", "\ufffd"), raw_bytes=self.data)


@dataclass(frozen=True)
class FileState:
    """A source file as read: its ``etl_source_file`` row but the run."""

    path: str
    size: int
    mtime_ns: int | None  # None: modified too recently to trust
    sha256: str


@dataclass
class Unchanged:
    """A file whose bytes hash as when it was last loaded: not parsed."""

    file: FileState


@dataclass
class Parsed:
    """A letter's rows as CSV lines (:func:`encode`, done in the worker), with
    the file they came from."""

    file: FileState
    letter_key: int
    by_path: bool  # identified by its path (no case number)
    decisions: int
    lines: dict[str, list[tuple[int, str]]]  # dimension (KEYED) → (key, CSV line) of each row
    joined: dict[str, str]  # a letter's own table → its rows' CSV lines, joined
    data: bytes
    guideline_share: list[tuple]  # the letter's agg_guideline_document rows
    documents: list[tuple]  # dim_guideline_document rows of the documents it cites
    unclassified: int  # its decisions the DWC's taxonomy leaves 'Unclassified'
    record_sha256: str  # lineage.record_digest of its rows
    # a PDF's text as just extracted: its etl_pdf_text row (sha256, extractor, size, zlib), made in the worker
    pdf_text: tuple | None = None
    # the grammar's output just made, to keep: (sha256, grammar key, transform.keep bytes) (imr_etl.kept)
    kept_parse: tuple | None = None
    from_kept_parse: bool = False  # made from the grammar's output kept by an earlier load

    @classmethod
    def of(cls, file: FileState, letter: rows.LetterRows, data: bytes, pdf_text: tuple | None = None) -> Parsed:
        kept = None if letter.kept_parse is None else (
            file.sha256, lineage.grammar_key(file_format(file.path)), letter.kept_parse)
        lines, joined = {}, {}
        for table, table_rows in letter.tables.items():
            if not table_rows:
                continue
            if table in KEYED:
                lines[table] = encode_recurring(table_rows)
            else:
                joined[table] = "".join([line for _, line in encode(table_rows)])
        return cls(file, letter.letter_key, letter.letter_id == letter.source_path, letter.decisions, lines, joined,
                   data, letter.guideline_share, letter.documents, letter.unclassified, letter.record_sha256,
                   pdf_text, kept, letter.from_kept_parse)


# The tables whose rows the writer keeps one of by key, those of every
# dimension (and the reviewer's bridge, written with its dimension): each
# letter sends them with their keys.  A letter's own tables' rows are all
# written, and go as one string each (fewer objects to pickle between
# processes, and for the writer to go through).
KEYED = frozenset({*(table.name for table in schema.DIMENSIONS), schema.bridge_reviewer_specialty.name})


Outcome = Unchanged | Parsed | Quarantined


# ------------------------------------------------------- rows as CSV

class _Null(float):
    """NULL in the CSV the loader writes: an unquoted \\N.  The csv module
    quotes every non-numeric field (QUOTE_NONNUMERIC), so a string — even an
    empty one or "\\N" — is always quoted, and this (a float to the module)
    alone goes bare."""

    def __repr__(self) -> str:
        return "\\N"

    __str__ = __repr__


NULL = _Null()


def encode(table_rows: Iterable[tuple]) -> list[tuple[int, str]]:
    """Each row as ``(its first column, one CSV line)`` for
    :func:`imr_etl.dialect.insert_csv`.
    Python's own text for numbers, booleans, dates and timestamps, which
    DuckDB and PostgreSQL cast to the column's type.

    The lines are the csv module's (:func:`encode_with_csv`), written by
    :func:`csv_line`: the module looks up every character of a field in its
    line terminator, which made it most of the cost of encoding a letter."""
    table_rows = list(table_rows)
    try:
        return [(row[0], csv_line(row)) for row in table_rows]
    except _NotPlain:  # a value csv_line does not know how to write
        return encode_with_csv(table_rows)


# A dimension row and its CSV line, by the row's id (see encode_recurring).
_RECURRING: dict[int, tuple[tuple, str]] = {}
RECURRING_SIZE = 1 << 13


def encode_recurring(table_rows: Iterable[tuple]) -> list[tuple[int, str]]:
    """:func:`encode` of rows that recur letter after letter as the same
    objects (a dimension's, made by :mod:`imr_etl.rows`'s cached functions):
    each one's line written once while it stays cached.

    A row is looked up by its id and taken only if the entry holds that very
    object; the entry keeps its row alive, so no other object can have its id
    meanwhile (a tuple of plain values never changes).  The cache is emptied
    when full, so it stays bounded however long the load."""
    cache = _RECURRING
    out = []
    for row in table_rows:
        entry = cache.get(id(row))
        if entry is None or entry[0] is not row:
            if len(cache) >= RECURRING_SIZE:
                cache.clear()
            entry = cache[id(row)] = (row, encode([row])[0][1])
        out.append((row[0], entry[1]))
    return out


def encode_with_csv(table_rows: Iterable[tuple]) -> list[tuple[int, str]]:
    """:func:`encode` by the csv module."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    firsts, ends, end = [], [], 0
    for row in table_rows:
        # writerow returns what the buffer's write does: the characters written
        end += writer.writerow([NULL if value is None else value for value in row])
        firsts.append(row[0])
        ends.append(end)
    text = buffer.getvalue()
    return [(first, text[start:stop]) for first, start, stop in zip(firsts, [0, *ends], ends)]


class _NotPlain(Exception):
    """A value of a type :func:`csv_field` does not know."""


def csv_line(row: tuple) -> str:
    """A row as the csv module's writer of :func:`encode_with_csv` writes it.

    Written by one %-format for the row's column types (:func:`_row_format`),
    not :func:`csv_field` per value: a call per value was most of encoding's
    cost.  The format quotes text but does not double its quotes, so a line
    with a quote inside a value (more quotes than the format's own) is
    written again with its text's quotes doubled (the format writes only str,
    date and datetime values quoted, and a date's text has no quote)."""
    line_format = _row_format(tuple(map(type, row))) if type(row) is tuple else None
    if line_format is None:
        return ",".join(map(csv_field, row)) + "\n"
    line = line_format[0] % row
    if line.count('"') == line_format[1]:
        return line
    return line_format[0] % tuple([v.replace('"', '""') if type(v) is str else v for v in row])


# How csv_field writes a value of each type it knows exactly ("%.0s": None's
# \N, the value itself consumed and not written).
_FIELD_FORMATS = {str: '"%s"', type(None): "\\N%.0s", int: "%s", bool: "%s", float: "%s",
                  date: '"%s"', datetime: '"%s"'}


@lru_cache(maxsize=4096)
def _row_format(types: tuple[type, ...]) -> tuple[str, int] | None:
    """The %-format of a row of these column types and the count of quotes it
    writes, or None if a type is not one of :data:`_FIELD_FORMATS` (a str
    subclass, say: csv_field decides)."""
    fields = [_FIELD_FORMATS.get(kind) for kind in types]
    if None in fields:
        return None
    line_format = ",".join(fields) + "\n"
    return line_format, line_format.count('"')


def csv_field(value: object) -> str:
    """A value as the csv module writes it with QUOTE_NONNUMERIC: a number
    bare (a bool too: an int), text and anything else quoted with its quotes
    doubled (a date as its str), None as :data:`NULL`'s \\N."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, date):  # a datetime too
        return '"' + str(value).replace('"', '""') + '"'
    # (The csv module takes other types for numbers or not by how they are
    # built, PyNumber_Check: encode leaves them to it.)
    raise _NotPlain(type(value))
