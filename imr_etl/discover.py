"""Stage 5a: finding the letter files.  Directories are searched
recursively for ``*.txt`` and ``*.pdf`` as a stream (nothing holds the whole
corpus's list), each directory's entries in name order.  A PDF with a text
file of the same name beside it (``X.pdf`` and ``X.txt``) is the same letter
twice: the text is the letter, the PDF is skipped."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

from imr_etl.letters import FORMATS

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).parent / "samples"
DEFAULT_PATHS = (SAMPLES / "seeds", SAMPLES / "real")  # what a load reads when given no path

def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _has_text_twin(name: str, texts: set[str]) -> bool:
    """Whether ``name`` is a PDF with a text file of the same stem beside it
    (``texts``: the stems of the directory's text files)."""
    stem, suffix = os.path.splitext(name)
    return FORMATS.get(suffix.lower()) == "pdf" and stem in texts


def _walk(folder: str, skip: set[str], roots: list[str], links: set[str],
          on_skip: Callable[[str], None]) -> Iterator[str]:
    """The letter files under ``folder``, depth first, each directory's entries
    in name order (the order of ``sorted(Path.rglob(...))``).  Holds one
    directory's names at a time per level; symlinked directories are not
    followed (no loops); a symlinked file is taken as its target unless the
    target lies under a root, where it is found as itself.  A PDF with a text
    file of the same name beside it goes to ``on_skip``: the text is its
    letter (an extraction someone already made, perhaps checked; and
    loading it keeps warehouses loaded before PDFs were read as they are)."""
    names: list[str] = []
    folders: set[str] = set()
    symlinks: set[str] = set()
    texts: set[str] = set()  # stems of the text files
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.add(entry.name)
                    names.append(entry.name)
                    continue
                suffix = os.path.splitext(entry.name)[1].lower()
                if suffix in FORMATS and entry.is_file():
                    names.append(entry.name)
                    if FORMATS[suffix] == "text":
                        texts.add(os.path.splitext(entry.name)[0])
                    if entry.is_symlink():
                        symlinks.add(entry.name)
    except OSError as error:
        log.warning("%s: cannot list: %s", folder, error.strerror or error)
        return
    names.sort()
    for name in names:
        path = os.path.join(folder, name)
        if name in folders:
            if path not in skip:
                yield from _walk(path, skip, roots, links, on_skip)
            continue
        if _has_text_twin(name, texts):
            on_skip(path)
            continue
        if name in symlinks:
            path = os.path.realpath(path)
            inside = os.path.splitext(path)[1].lower() in FORMATS and any(_within(path, r) for r in roots)
            if inside or path in links:
                continue
            links.add(path)
        yield path


def iter_files(paths: Iterable[str | Path], on_skip: Callable[[str], None] = lambda path: None) -> Iterator[str]:
    """The letter files under ``paths`` (files as given, directories searched
    recursively for ``*.txt`` and ``*.pdf``), resolved, each once, in a
    stable order, streamed.  A PDF found beside a text file of the same name
    is skipped, to ``on_skip`` (:func:`_walk`); files given by name are all
    taken."""
    given = [Path(p) for p in paths]
    roots = [str(g.resolve()) for g in given if g.is_dir()]
    walked: list[str] = []
    explicit: set[str] = set()
    links: set[str] = set()
    for item in given:
        path = str(item.resolve())
        if item.is_dir():
            if any(_within(path, w) for w in walked):
                continue
            inner = {w for w in walked if _within(w, path)}
            for found in _walk(path, inner, roots, links, on_skip):
                if found not in explicit:
                    yield found
            walked.append(path)
        elif path not in explicit and not any(_within(path, w) for w in walked):
            explicit.add(path)
            yield path


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """:func:`iter_files` as two lists: the letter files, and the PDFs
    skipped because their text is beside them."""
    skipped: list[Path] = []
    found = [Path(p) for p in iter_files(paths, lambda p: skipped.append(Path(p)))]
    return found, skipped
