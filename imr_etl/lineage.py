"""Lineage: which parser produced a letter's rows, and what they were.

Every letter in the warehouse records the **fingerprint** of the parser that
derived it (``dim_letter.parser_fingerprint``): a digest of imr-etl's version,
the grammars, the vocabularies and the source of every module a letter's text
passes through on its way to rows — the import closure of
:mod:`imr_etl.letters`, :mod:`imr_etl.rows` and :mod:`imr_etl.pdftext`, found
by reading their ``import`` statements, so a new module joins it by being
imported, with no list to keep.  A change to the CLI, the writer or a view
leaves the fingerprint alone; a change to a grammar rule, a vocabulary word or
a classifier changes it.

A load re-derives every letter it meets whose fingerprint is not the running
one (:mod:`imr_etl.writer`), and compares the new rows' **record digest**
(:func:`record_digest`, ``dim_letter.record_sha256``) with the stored one: a
letter whose rows came out the same only gets the new fingerprint; the others
are rewritten and counted as re-derived.

The text PDFium extracted from a PDF is kept, compressed, keyed by the PDF's
sha256 and the **extractor** that produced it (:func:`extractor`: pypdfium2's
version and the source of :mod:`imr_etl.pdftext`), so re-deriving a PDF
letter does not extract it again (``etl_pdf_text``).

The grammar's output of each letter (:class:`imr_etl.transform.Letter`) is
kept beside the warehouse (:mod:`imr_etl.kept`), keyed by the file's sha256
and the **grammar key** (:func:`grammar_key`): the digest of the modules that
make it — the import closure of :mod:`imr_etl.parse` and
:mod:`imr_etl.transform` — the grammars, the vocabularies those modules name
and Lark's and Python's versions (and for a PDF, its extractor).  A release
that changes only what comes after the grammar (a vocabulary the record's
stage reads, a classifier, the rows) re-derives a letter from its kept
parse, without the normalizer and the grammar.
"""

from __future__ import annotations

import ast
import hashlib
import sys
import zlib
from functools import cache
from pathlib import Path
from typing import Iterable, Iterator

from imr_etl import __version__

PACKAGE = Path(__file__).parent
ROOTS = ("letters", "rows", "pdftext")  # what turns a letter file into rows
GRAMMAR_ROOTS = ("parse", "transform")  # what turns a letter's text into a transform.Letter
COMPRESSION_LEVEL = 6  # zlib's default: ~3.3× on letters at ~0.1 ms a letter


def _tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))


def _statements(node: ast.AST) -> Iterator[ast.stmt]:
    """Every statement in ``node``, nested ones too: an import is a statement,
    so walking the expressions as well (``ast.walk``, most of the nodes) finds
    no more of them."""
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, field, ()):
            yield child
            yield from _statements(child)


# Cached, the modules' names and not their trees: a load's start waits for
# both closures, which share modules, and a tree kept would be ~7 MiB in every
# process forked from the one that read it.
@cache
def _imports(module: str) -> frozenset[str]:
    """The imr_etl modules ``module`` imports, anywhere in its source (a
    function-level import counts: it runs when the letter needs it)."""
    found = {name for node in _statements(_tree(module)) for name in imported(node)}
    return frozenset(name for name in found if (PACKAGE / f"{name}.py").is_file())


def imported(node: ast.AST) -> list[str]:
    """The names under imr_etl that an import statement imports (none for
    any other node)."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        if node.module == "imr_etl":
            return [alias.name for alias in node.names]
        if node.module.startswith("imr_etl."):
            return [node.module.split(".")[1]]
    elif isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("imr_etl.")]
    return []


@cache
def record_modules() -> tuple[str, ...]:
    """The modules a letter's text passes through to become rows: the import
    closure of :data:`ROOTS`, sorted."""
    return _closure(ROOTS)


@cache
def grammar_modules() -> tuple[str, ...]:
    """The modules that make the grammar's output: the import closure of
    :data:`GRAMMAR_ROOTS`, sorted."""
    return _closure(GRAMMAR_ROOTS)


def _closure(roots: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imports(module) - seen)
    return tuple(sorted(seen))


def _digest(paths: Iterable[Path], *salt: str) -> str:
    digest = hashlib.sha256("\0".join(salt).encode() + b"\0")
    for path in paths:
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def fingerprint() -> str:
    """The running parser's fingerprint (hex sha256)."""
    modules = [PACKAGE / f"{name}.py" for name in record_modules()]
    data = sorted([*PACKAGE.glob("grammars/*.lark"), *PACKAGE.glob("vocab/*.csv")])
    return _digest([*modules, *data], "imr-etl", __version__)


def vocabularies(module: str) -> set[str]:
    """The files of ``vocab/`` that ``module`` names: every vocabulary is
    read by its file's name written out (``vocabulary.rows("drugs.csv")``;
    ``tests/test_lineage.py`` checks that no read names one otherwise)."""
    names = {node.value for node in ast.walk(_tree(module))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return names & {path.name for path in (PACKAGE / "vocab").glob("*.csv")}


@cache
def grammar_fingerprint() -> str:
    """The digest of what makes a letter's :class:`imr_etl.transform.Letter`
    from its text (hex sha256): :func:`grammar_modules`, the grammars, the
    vocabularies those modules name, Lark's version and Python's (its
    regular expressions' Unicode tables, and the pickle the Letter is kept in)."""
    from importlib.metadata import version

    modules = grammar_modules()
    data = sorted({*PACKAGE.glob("grammars/*.lark"),
                   *(PACKAGE / "vocab" / name for module in modules for name in vocabularies(module))})
    python = "%d.%d" % sys.version_info[:2]
    return _digest([*(PACKAGE / f"{name}.py" for name in modules), *data], "imr-etl grammar", version("lark"), python)


def grammar_key(format: str) -> str:
    """What a kept parse of a letter of ``format`` is kept under, beside its
    file's sha256: the grammar's fingerprint, and a PDF's :func:`extractor`
    (its text is the extractor's)."""
    return grammar_fingerprint() + (" " + extractor() if format == "pdf" else "")


@cache
def extractor() -> str:
    """What extracted a PDF's text: pypdfium2's version (PDFium's build) and
    imr-etl's extraction code.  A cached text is used only by the same."""
    try:
        from importlib.metadata import version

        pdfium = version("pypdfium2")
    except Exception:  # noqa: BLE001 - not installed: nothing is cached by it either
        pdfium = "none"
    return "pypdfium2 " + pdfium + " " + _digest([PACKAGE / "pdftext.py"])[:16]


def record_digest(tables: dict[str, list[tuple]], variable: dict[str, Iterable[int]]) -> str:
    """Digest of a letter's rows, table by table, leaving out the columns
    that say when and by which run it was written (``variable``: table →
    column positions), which differ on every load."""
    # The text hashed: each table's name and NUL, then each row's repr and a
    # newline (hashed whole, once: the digest of the pieces one by one).
    text = []
    for table in sorted(tables):
        skip = set(variable.get(table, ()))
        text.append(table + "\0")
        for values in tables[table]:
            if skip:
                values = tuple([v for i, v in enumerate(values) if i not in skip])
            text.append(f"{values!r}\n")
    return hashlib.sha256("".join(text).encode()).hexdigest()


def compress(text: bytes) -> bytes:
    return zlib.compress(text, COMPRESSION_LEVEL)


def decompress(data: bytes) -> bytes:
    return zlib.decompress(data)
