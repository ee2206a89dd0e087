"""Canonical guideline documents and topics: one id per real-world document
and edition, however the letters spell it (docs/record.md, Citations).

A citation's ``source``, ``document`` and ``topic`` stay as the letter writes
them; ``canonical`` adds ``guideline_id`` (``mtus/chronic-pain/2016``,
``odg/low-back``, ``ama/guides/5th``, ``other/uptodate``) and ``topic_id``
(``massage-therapy``).  The documents, their spellings and editions, the ODG
chapters and the topic synonyms are data:

- ``vocab/guideline_documents.csv``: one row per canonical document (and
  edition) but ODG's chapters; ``scope`` marks a source's catch-all
  (``mtus``) and the MTUS's ACOEM chapters taken together (``mtus/acoem``);
  ``edition_pattern`` tells the edition in the letter's words; ``acoem_chapters``
  the ACOEM Practice Guidelines (2nd ed.) chapters an MTUS document adopted.
- ``vocab/guideline_spellings.csv``: how a document's name is written, and
  the documents (editions) that name may mean.
- ``vocab/odg_chapters.csv``: ODG's chapters, each a document of its own.
- ``vocab/guideline_topics.csv``: topics that are one under other words;
  ``vocab/topic_words.csv``: words whose plural is not a trailing s.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from imr_etl import vocabulary
from imr_etl.prefilter import Prefiltered

# --- the vocabularies, read once ---------------------------------------------

# A name ends where a word does (a look-ahead, which ends nowhere, too)
_AFTER_NAME = r"(?!(?<=[A-Za-z0-9])[A-Za-z0-9])"


@cache
def _catalogue() -> dict[str, dict]:
    """guideline_id → dimension row, for every document named in the vocabularies."""
    rows = {}
    for row in vocabulary.rows("guideline_documents.csv"):
        chapters = _chapter_numbers(row["acoem_chapters"])
        rows[row["guideline_id"]] = _row(
            row["guideline_id"], row["source"], row["document"], row["edition"] or None, None,
            chapters[0] if len(chapters) == 1 else None)
    odg = rows["odg"]["document"]
    for row in vocabulary.rows("odg_chapters.csv"):
        rows[row["guideline_id"]] = _row(row["guideline_id"], "ODG", odg, None, row["chapter"], None)
    return rows


def _row(guideline_id: str, source: str, document: str, edition: str | None,
         chapter: str | None, acoem_chapter: int | None) -> dict:
    return {"guideline_id": guideline_id, "source": source, "document": document,
            "edition": edition, "chapter": chapter, "acoem_chapter": acoem_chapter,
            "label": _label(source, chapter or document, edition, acoem_chapter)}


def _label(source: str, name: str, edition: str | None, acoem_chapter: int | None) -> str:
    """'MTUS Low Back Complaints (ACOEM ch. 12, 2004)', 'ODG Pain (Chronic)'."""
    notes = [f"ACOEM ch. {acoem_chapter}" if acoem_chapter else None,
             (edition if edition.isdigit() else f"{edition} ed.") if edition else None]
    notes = ", ".join(filter(None, notes))
    prefix = "" if source == "OTHER" or name.startswith(source) else f"{source} "
    return f"{prefix}{name}" + (f" ({notes})" if notes else "")


def _chapter_numbers(text: str) -> tuple[int, ...]:
    """'1-7' → (1, …, 7); '12' → (12,); '' → ()."""
    if not text:
        return ()
    first, _, last = text.partition("-")
    return tuple(range(int(first), int(last or first) + 1))


@cache
def _scopes() -> dict[str, str]:
    return {row["guideline_id"]: row["scope"] for row in vocabulary.rows("guideline_documents.csv")}


@cache
def _editions() -> dict[str, re.Pattern]:
    """guideline_id → how the letters write its edition ('3rd|third|2011')."""
    return {row["guideline_id"]: re.compile(r"\b(?:%s)\b" % row["edition_pattern"], re.I)
            for row in vocabulary.rows("guideline_documents.csv") if row["edition_pattern"]}


@cache
def _spellings() -> dict[str, tuple[tuple[re.Pattern, tuple[str, ...]], ...]]:
    """source → (pattern of a document's name, the documents it may mean)."""
    by_source: dict[str, list] = {}
    for row in vocabulary.rows("guideline_spellings.csv"):
        pattern = re.compile(r"(?:%s)%s" % (row["pattern"], _AFTER_NAME), re.I)
        by_source.setdefault(row["source"], []).append((pattern, tuple(row["ids"].split())))
    return {source: tuple(found) for source, found in by_source.items()}


@cache
def _acoem_chapters() -> dict[int, str]:
    """ACOEM 2nd ed. chapter number → the MTUS document that adopted it."""
    return {number: row["guideline_id"] for row in vocabulary.rows("guideline_documents.csv")
            for number in _chapter_numbers(row["acoem_chapters"])}


@cache
def _odg_chapters() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(r"(?:%s)%s" % (row["pattern"], _AFTER_NAME), re.I), row["guideline_id"])
                 for row in vocabulary.rows("odg_chapters.csv"))


@cache
def _prefiltered_spellings() -> dict[str, Prefiltered]:
    """source → its spellings' patterns, to try only those that may match a
    text's start (:meth:`imr_etl.prefilter.Prefiltered.at_start`)."""
    return {source: Prefiltered([pattern for pattern, _ in found]) for source, found in _spellings().items()}


@cache
def _prefiltered_chapters() -> Prefiltered:
    return Prefiltered([pattern for pattern, _ in _odg_chapters()])


@cache
def _topic_synonyms() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(row["pattern"]), row["topic_id"])
                 for row in vocabulary.rows("guideline_topics.csv"))


@cache
def _word_forms() -> dict[str, str]:
    return {row["word"]: row["form"] for row in vocabulary.rows("topic_words.csv")}


# --- documents ---------------------------------------------------------------

# What may stand between a document's name and what it says of the topic:
# separators, an edition ("3rd ed.", "(21th Annual Edition)", "2016", "Web
# Version", "(ACOEM February 24, 2016)"), a restated "Guidelines".
_FILLER = re.compile(
    r"(?:[\s,;:.\-–/]+|\((?:ODG|online version|web version)\)|\([^()]*\b(?:19|20)\d\d\)"
    r"|\(?\d+(?:st|nd|rd|th)(?: annual)? ed(?:ition\b|\.|\b)\)?"
    r"|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth) ed(?:ition\b|\.|\b)"
    r"|\b(?:19|20)\d\d\b|\bweb (?:version|edition)\b|\bonline version\b|\bguidelines?\b)+", re.I)
_ACOEM_CHAPTER = re.compile(r"(?:Chapter|Ch\.?) ?(\d{1,2})(?!\d)", re.I)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.I)
_EXTENSION = re.compile(r"\.(?:html?|aspx?|php|pdf)$", re.I)

# Chapters, then what follows an ODG chapter's name and is still its name:
# "(Acute & Chronic)", "(updated 11/22/16)", "Chapter", "procedure summary".
_CHAPTER_TAIL = re.compile(
    r"(?:\s*(?:\((?:acute|chronic|lumbar|thoracic|and|&|,|\s)+\)|\(updated[^)]*\)|\(online version\)"
    r"|\((?:19|20)\d\d\)|\bchapters?\b|\bsections?\b|\bguidelines?\b|\bprocedure summary\b"
    r"|\bprocedures\b))*", re.I)


@lru_cache(maxsize=8192)
def canonical(source: str, document: str | None, topic: str | None) -> tuple[str, str | None]:
    """(guideline_id, topic_id) of a citation as the letter writes it."""
    document, topic = (document or "").strip(), (topic or "").strip()
    if source == "ODG":
        guideline_id, rest = _odg(document, topic)
    elif source == "OTHER":
        guideline_id, rest = _other(document, topic)
    elif source in _spellings():
        guideline_id, rest = _named(source, document, topic)
    else:  # not a source the citations name; kept apart all the same
        return "/".join(filter(None, (source.lower(), _slug(document)))), topic_id(topic)
    return guideline_id, topic_id(rest)


def _named(source: str, document: str, topic: str) -> tuple[str, str]:
    """An MTUS, ACOEM or AMA document; the topic names it when the document
    names only the source ("MTUS", "ACOEM" cited under MTUS)."""
    ids, rest = _name(source, document)
    if _vague(ids) and topic:
        in_topic, after = _name(source, topic)
        if not _vague(in_topic):
            return _edition(in_topic, f"{document} {topic}"), _join(rest, after)
    if not ids:
        ids = (_root(source),)
    return _edition(ids, document), _join(rest, topic)


# Cached apart from canonical: a document's name recurs with many topics
# (467 spellings under 3,974 citations in 3,000 synthetic letters).
@lru_cache(maxsize=8192)
def _name(source: str, text: str) -> tuple[tuple[str, ...], str]:
    """(the documents the names at the start of text may be, the text after
    them).  "MTUS ACOEM Chapter 12 Low Back Complaints" names the source, the
    ACOEM chapters, chapter 12, then restates it: each name as precise or more
    is taken, one that repeats is passed; the name of another document after a
    precise one is the topic's."""
    ids: tuple[str, ...] = ()
    while True:
        text = _strip(text)
        found = _spelled(source, text)
        if not found or (ids and not _vague(ids) and found[0] != ids):
            return ids, text
        if _precision(found[0]) > _precision(ids):
            ids = found[0]
        if not found[1]:  # a look-ahead: what it saw is the topic
            return ids, text
        text = text[found[1]:]


def _spelled(source: str, text: str) -> tuple[tuple[str, ...], int] | None:
    """(documents, length) of the longest document name that starts text;
    under the MTUS "ACOEM Chapter 12" names chapter 12's document."""
    best = None
    for pattern, ids in _prefiltered_spellings()[source].among(_spellings()[source], text, anchored=True):
        match = pattern.match(text)
        if match and (best is None or match.end() > best[1]):
            best = (ids, match.end())
    number = _ACOEM_CHAPTER.match(text) if source == "MTUS" else None
    if number and int(number[1]) in _acoem_chapters() and (best is None or number.end() > best[1]):
        best = ((_acoem_chapters()[int(number[1])],), number.end())
    return best


def _precision(ids: tuple[str, ...]) -> int:
    """0: nothing named; 1: only the source; 2: the MTUS's ACOEM chapters; 3: a document."""
    if not ids:
        return 0
    scopes = {_scopes().get(i) for i in ids}
    return 1 if "source" in scopes else 2 if "collection" in scopes else 3


def _vague(ids: tuple[str, ...]) -> bool:
    """Naming only the source or the MTUS's ACOEM chapters as a whole."""
    return _precision(ids) < 3


def _root(source: str) -> str:
    return next(i for i, scope in _scopes().items() if scope == "source" and
                _catalogue()[i]["source"] == source)


def _edition(ids: tuple[str, ...], text: str) -> str:
    """The one of a name's documents whose edition the text states; else the
    one that states none (``mtus/chronic-pain``), else the only one."""
    if len(ids) == 1:
        return ids[0]
    for guideline_id in ids:
        pattern = _editions().get(guideline_id)
        if pattern and pattern.search(text):
            return guideline_id
    return next(i for i in ids if not _catalogue()[i]["edition"])


def _odg(document: str, topic: str) -> tuple[str, str]:
    """ODG's chapter is named by the document or first in the topic: "Pain
    (Chronic), Opioids" is odg/pain, topic "Opioids"; with no chapter, odg."""
    _, rest = _name("ODG", document)
    _, text = _name("ODG", _join(rest, topic))
    best = None
    for pattern, guideline_id in _prefiltered_chapters().among(_odg_chapters(), text, anchored=True):
        match = pattern.match(text)
        if match and (best is None or match.end() > best[1]):
            after = _chapter_end(text, match.end())
            best = (guideline_id, after) if after is not None else best
    if not best:
        return "odg", text
    return best[0], _name("ODG", text[best[1]:])[1]


def _chapter_end(text: str, end: int) -> int | None:
    """Where a chapter's name that ends at ``end`` ends with its qualifiers
    ("(Acute & Chronic)", "Chapter", "(updated 11/22/16)"); None when what
    follows shows it was not a chapter's name ("Chronic pain programs")."""
    tail = _CHAPTER_TAIL.match(text, end)
    after = text[tail.end():].lstrip()
    if tail.group(0).strip() or not after or after[0] in ",;:/-–(." or _spelled("ODG", after):
        return tail.end()
    return None


def _other(document: str, topic: str) -> tuple[str, str]:
    """A catalogued source (UpToDate, MDGuidelines, …); else a web page by
    host and path; else the document's name."""
    ids, rest = _name("OTHER", document)
    if ids:  # of a catalogued site, the page is the topic: drugs.com/famotidine.html
        return ids[0], _join(_EXTENSION.sub("", rest).replace("_", " "), topic)
    link = _LINK.match(document)
    if link:
        return _link_id(link.group(0)), _join(document[link.end():], topic)
    return _met("/".join(filter(None, ("other", _slug(document)))), document), topic


# Other documents are an open set: documents() lists those this process met
# lately, the last _MET_KEPT of them (a worker meets new ones all its life,
# and its memory must not grow with the corpus).
_MET: dict[str, dict] = {}
_MET_KEPT = 4096


def _met(guideline_id: str, document: str) -> str:
    if guideline_id not in _catalogue() and guideline_id not in _MET:
        if len(_MET) >= _MET_KEPT:
            del _MET[next(iter(_MET))]
        _MET[guideline_id] = _row(guideline_id, "OTHER", document, None, None, None)
    return guideline_id


def _link_id(link: str) -> str:
    """'http://www.drugs.com/famotidine.html' → 'other/drugs-com/famotidine'."""
    address = re.sub(r"^(?:https?://)?(?:www\.)?", "", link, flags=re.I).rstrip("/.,;")
    host, _, path = address.partition("/")
    path = _EXTENSION.sub("", path)
    return _met("/".join(filter(None, ("other", _slug(host), _slug(path)))), link)


def _join(*parts: str | None) -> str:
    return ", ".join(p for p in ((p or "").strip(" \t,;:.") for p in parts) if p)


def _strip(text: str | None) -> str:
    text = text or ""
    lead = _FILLER.match(text)
    return text[lead.end():].strip() if lead else text.strip()


def documents() -> list[dict]:
    """One row per canonical document: guideline_id, source, document (its
    canonical name), edition, chapter (ODG's), acoem_chapter, label."""
    return [dict(row) for row in (*_catalogue().values(), *_MET.values())]


# --- topics ------------------------------------------------------------------

# "<Insert Topic (" and the like, left when a template's placeholder was filled in half
_PLACEHOLDER = re.compile(
    r"<?\s*\binsert\s+(?:section|topic|chapter|guideline|citation)s?\b\s*\(?|[<>\[\]{}]", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# "(updated 11/3/16)", "(2016)", "2007 Jan. 10", "May 2009": when, not what
_DATE = re.compile(
    r"\(\s*(?:updated|revised|last updated)?[^()]*?\d{1,2}/\d{1,2}/\d{2,4}\s*\)|\(\s*(?:19|20)\d\d\s*\)"
    rf"|\b(?:updated\s+)?\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|\b(?:19|20)\d\d\s+{_MONTH}(?:\s+\d{{1,2}}\b)?"
    rf"|\b{_MONTH}\s+(?:\d{{1,2}},\s+)?(?:19|20)\d\d\b|\b(?:19|20)\d\d\b", re.I)
# "Ann Arbor (MI): University of Michigan Health System": where it was published
_PUBLISHER = re.compile(r"\b[A-Z][A-Za-z .]*\([A-Z]{2}\):[^.;]*")
# "3.3.9 Opioids for Chronic Pain …", "326, Diagnostic Criteria": a section number, a page
_NUMBERING = re.compile(r"^\d+(?:\.\d+)*[.,]?(?:\s+|$)")
_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_SKIPPED = frozenset({"of", "and", "the", "for", "to", "in", "with"})


@lru_cache(maxsize=8192)
def topic_id(topic: str | None) -> str | None:
    """The topic as a slug, its case, spacing, '&', plurals, dates, numbering
    and abbreviations absorbed, synonyms (``vocab/guideline_topics.csv``)
    made one; ``None`` when nothing names a topic."""
    if not topic:
        return None
    text = _PUBLISHER.sub(" ", _DATE.sub(" ", _PLACEHOLDER.sub(" ", topic)))
    text = text.strip(" \t,.;:-–/")
    while _NUMBERING.match(text):
        text = _NUMBERING.sub("", text, count=1).strip(" \t,.;:-–/")
    text = _abbreviations(_unwrapped(text).replace("'", "").replace("’", ""))
    shouting = not re.search(r"[a-z]", text)
    words = [_singular(w, shouting) for w in re.findall(r"[A-Za-z0-9]+|&", text)]
    words = ["and" if w == "&" else w for w in words]
    if not any(re.search(r"[a-z]", w) for w in words):
        return None
    spoken = " ".join(words)
    for pattern, synonym in _topic_synonyms():
        if pattern.fullmatch(spoken):
            return synonym
    return "-".join(words)


def _unwrapped(text: str) -> str:
    """'(Radiculopathy)' → 'Radiculopathy'."""
    while text.startswith("(") and text.endswith(")") and _PARENTHESIS.fullmatch(text):
        text = text[1:-1].strip()
    return text


def _singular(word: str, shouting: bool) -> str:
    """'Pillows' → 'pillow', 'Studies' → 'study', 'NSAIDs' → 'nsaid'; an
    abbreviation ('NCS', 'TENS') is left alone, unless the whole topic is in
    capitals, where only a short word may be one."""
    lower = word.lower()
    if lower in _word_forms():
        return _word_forms()[lower]
    if len(word) > 2 and word[-1] == "s" and word[:-1].isupper():  # 'MRIs', 'ESIs'
        return lower[:-1]
    abbreviation = word.isupper() and (not shouting or len(word) <= 4)
    if abbreviation or len(lower) <= 3 or not lower.endswith("s") or lower.endswith(("ss", "us", "is")):
        return lower
    if lower.endswith("ies"):
        return lower[:-3] + "y"
    if lower.endswith(("sses", "ches", "shes", "xes", "zes")):
        return lower[:-2]
    return lower[:-1]


def _abbreviations(text: str) -> str:
    """'Magnetic resonance imaging (MRI)' → 'Magnetic resonance imaging';
    'MRI (magnetic resonance imaging)' → 'magnetic resonance imaging': an
    abbreviation beside its words is said once, in words."""
    def one(match: re.Match) -> str:
        inside, before = match.group(1).strip(), text[: match.start()]
        if _abbreviates(inside, re.findall(r"[A-Za-z0-9]+", before)):
            return ""
        short = re.search(r"\b([A-Z][A-Za-z]*[A-Z]s?)\s*$", before)
        if short and _abbreviates(short.group(1), re.findall(r"[A-Za-z0-9]+", inside), whole=True):
            return "\0" + inside  # the abbreviation before it goes too
        return match.group(0)

    text = _PARENTHESIS.sub(one, text)
    return re.sub(r"\b[A-Z][A-Za-z]*[A-Z]s?\s*\0", "", text)


def _abbreviates(short: str, words: list[str], whole: bool = False) -> bool:
    """Whether ``short`` ('ESIs', 'EMG', 'PRP') is made of the first letters of
    the last of ``words`` (all of them when ``whole``), and maybe more letters of
    each ('EDS' of 'Electrodiagnostic Studies'); small words may be skipped."""
    letters = re.sub(r"[^A-Za-z]", "", short)
    if short.endswith("s") and short[:-1].isupper():
        letters = letters[:-1]
    if len(letters) < 2 or not letters.isupper():
        return False
    letters = letters.lower()
    for count in range(1, min(len(words), 2 * len(letters)) + 1):
        if whole and count != len(words):
            continue
        if _spells(letters, [w.lower() for w in words[-count:]]):
            return True
    return False


def _spells(letters: str, words: list[str]) -> bool:
    """Each word gives its first letter, then perhaps some later ones, in order."""
    if not words:
        return not letters
    word, rest = words[0], words[1:]
    if word in _SKIPPED and _spells(letters, rest):
        return True
    if not letters or letters[0] != word[0]:
        return False
    for taken in range(1, len(letters) + 1):
        if _in_order(letters[1:taken], word[1:]) and _spells(letters[taken:], rest):
            return True
    return False


def _in_order(letters: str, word: str) -> bool:
    found = iter(word)
    return all(letter in found for letter in letters)


def _slug(text: str | None) -> str | None:
    if not text:
        return None
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-") or None
