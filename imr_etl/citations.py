"""Citation subtrees (grammars/citation.lark) → citation records.

The grammar has split a guideline paragraph into statements and references;
here a reference's text becomes source, document, topic, pages and section,
with the guideline documents named in ``vocab/guidelines.csv``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from lark import Transformer

from imr_etl import vocabulary
from imr_etl.normalize import single_spaced

# "<Insert Section (Low back pain)>" → "Low back pain"
_PLACEHOLDER = re.compile(r"<\s*Insert\s+[A-Za-z ]+?\s*\((?P<text>[^<>]*?)\)*\s*>", re.I)
_REGULATION = re.compile(r"\b9792\.\d+(?:\.\d+)*\b")
_PAGES = re.compile(
    r"[,;]?\s*\b(?:Page\(s\):|pages?|pg\.?|p\.|p(?= \d))\s*(?P<pages>\d+(?:\s*[-,]\s*\d+)*)\.?", re.I
)
# Where a page list can start: its label's "p" (every spelling of one begins with it).
_P = re.compile("[Pp]")
_TRAILING_PAGES = re.compile(r",\s*(?P<pages>\d+(?:\s*-\s*\d+)?)\.?\s*$")
_EDGES = " \t,.;:-"
# A reference's author, before its title: "Harris J. Occupational medicine …"
_AUTHOR_NAME = r"(?-i:[A-Z][a-z]+ [A-Z]{1,2}\.\s+(?=[A-Z]))"
# Non-MTUS statements that list several guidelines
_NON_MTUS_SPLIT = re.compile(
    r"\s*;\s*|\s+and\s+Other\s+Medical\s+Treatment\s+Guidelines\s+|,\s*(?=https?://)"
    r"|\s+and\s+(?:the\s+)?(?=Official\s+Disability|ODG\b|ACOEM\b|AMA\b)"
    r"|\.\s+(?=Official\s+Disability|ODG\b|ACOEM\b|AMA\b)"
    # a reference in bibliographic form starts another citation: "… - Manipulation
    # Harris J. Occupational medicine practice guidelines, 2nd edition (2004)"
    r"|\s+(?=(?-i:(?!(?:Section|Sections|Appendix|Part|Chapter|Table|Figure|Vitamin|Type|Class|Grade"
    r"|Level|Stage|Phase|Schedule|Title|Division|Article|Rule|Method|Volume|Vol|Item|Step)\b)%s))" % _AUTHOR_NAME,
    re.I,
)
_AUTHOR = re.compile(_AUTHOR_NAME)


@cache
def _documents() -> dict[str, list[tuple[re.Pattern, str]]]:
    by_source: dict[str, list[tuple[re.Pattern, str]]] = {}
    for row in vocabulary.rows("guidelines.csv"):
        pattern = re.compile(r"(?:%s)(?![A-Za-z])" % row["pattern"], re.I)
        by_source.setdefault(row["source"], []).append((pattern, row["source"]))
    return by_source


def clean(text: str | None) -> str | None:
    if not text:  # most often a reference's missing pages or sections
        return None
    if "<" in text:  # (where a placeholder can be: it starts with one)
        text = _PLACEHOLDER.sub(lambda m: m["text"], text)
    text = single_spaced(text).strip(_EDGES)
    if _WRAPPED.fullmatch(text):  # "(Radiculopathy)"
        text = text[1:-1].strip(_EDGES)
    return text or None


_WRAPPED = re.compile(r"\([^()]*\)")


def citation(source: str, document: str | None, topic: str | None,
             pages: str | None = None, section: str | None = None) -> dict:
    return {"cited_by": None, "source": source, "document": clean(document),
            "topic": clean(topic), "pages": clean(pages), "section": section}


def _split(text: str, sources: tuple[str, ...]) -> tuple[str, str | None, str]:
    """(source, document as written, rest) for the first document that starts
    ``text``; the whole text is the document when none does."""
    for source in sources:
        for pattern, name in _documents().get(source, []):
            match = pattern.match(text)
            if match:
                return name, match.group(0), text[match.end():]
    return sources[-1], text, ""


def reference(text: str, sections: str | None, pages: str | None, sources: tuple[str, ...]) -> dict:
    """One reference: "Chronic Pain Treatment Guidelines Massage therapy" with its
    section list and page list."""
    text = clean(text) or ""
    section = _REGULATION.search(text)
    if section:
        text = (text[: section.start()] + " " + text[section.end():]).strip()
    found = _page_list(text) or _TRAILING_PAGES.search(text)
    if found and not pages:
        pages, text = found["pages"], text[: found.start()] + text[found.end():]
    source, document, rest = _split(text.strip(_EDGES), sources)
    rest = _drop_restated(rest, source)
    topic = ", ".join(t for t in (clean(rest), clean(sections)) if t) or None
    return citation(source, document, topic, pages, section.group(0) if section else None)


def _page_list(text: str) -> re.Match | None:
    """``_PAGES.search(text)``, faster: tried only where a match can start.
    A match is a label, which begins with a "p", after at most a comma or
    semicolon and spaces; so from each "p" in turn, the match starts as far
    back as those go (the regex takes them all), and the first "p" that
    gives one gives search's.  (The search tried the label at every
    character of a reference, a sixth of reading a new one.)"""
    for label in _P.finditer(text):
        start = label.start()
        while start and text[start - 1].isspace():
            start -= 1
        if start and text[start - 1] in ",;":
            start -= 1
        if match := _PAGES.match(text, start):
            return match
    return None


def _drop_restated(rest: str, source: str) -> str:
    """'… Guidelines MTUS: CHRONIC PAIN MEDICAL TREATMENT GUIDELINES, MASSAGE':
    a template that names the document twice; the topic is what follows."""
    restated = _MTUS_PREFIX.match(rest.strip(_EDGES))
    if not restated:
        return rest
    tail = rest.strip(_EDGES)[restated.end():]
    for pattern, _ in _documents().get(source, []):
        match = pattern.match(tail)
        if match:
            return tail[match.end():]
    return rest


class CitationTransformer(Transformer):
    """Turns each citation statement into a list of citation dicts."""

    def no_evidence(self, _):
        return []

    outside_mtus = no_evidence  # a statement that cites nothing either

    # (These take their children as a list: Lark's @v_args(inline=True)
    # wrapper would cost three calls per citation.)
    def mtus(self, children):
        """Its references: the first one's text is its MTUS_BASED token's,
        after the label, and its section and page lists follow."""
        statement, sections, pages, *others = children
        return [dict(_mtus_reference(str(statement), sections and str(sections), pages and str(pages))),
                *others]

    def mtus_with_sections(self, children):
        """An MTUS statement whose first reference's section list is in its
        token (MTUS_SECTIONS): cut where the list's label starts."""
        statement, *rest = children
        cut = _SECTIONS_LABEL.search(statement).start()
        return self.mtus([statement[:cut], statement[cut:], *rest])

    def mtus_reference(self, children):
        """A reference's REFERENCE_TEXT, SECTIONS and PAGES (each None if missing)."""
        text, sections, pages = children
        return dict(_mtus_reference(str(text or ""), sections and str(sections), pages and str(pages)))

    def non_mtus(self, children):
        """Its citations, from the text of its NON_MTUS_BASED token after the label."""
        [statement] = children
        return [dict(c) for c in _non_mtus_statement(str(statement))]


# Citation texts repeat letter after letter (the same few guidelines, cited
# the same way), and reading one is a dozen regular expressions: the readings
# below are cached.  Their dicts are shared by the cache, so callers get
# copies.

@lru_cache(maxsize=8192)
def _mtus_reference(text: str, sections: str | None, pages: str | None) -> dict:
    """A reference from its tokens' text: the grammar's tokens hold their
    labels (grammars/citation.lark), which are cut off here.  (A
    REFERENCE_TEXT never starts as an MTUS_BASED token does, with "Decision
    based on".)"""
    text = text[_after(_MTUS_LABEL, text):]
    sections = sections[sections.index(":") + 1 :].lstrip(" ") or None if sections else None
    pages = pages[_DIGIT.search(pages).start() :] if pages else None
    return reference(text, sections, pages, ("MTUS",))


# The labels that start the grammar's MTUS_BASED and NON_MTUS_BASED tokens,
# as grammars/citation.lark writes them; a page list starts at its first digit.
_MTUS_LABEL = re.compile(r"Decision based on (the )?(CA[ -])?MTUS:?(?! ?Citation) *", re.I)
_NON_MTUS_LABEL = re.compile(r"Decision based on Non- ?MTUS( Citation)?:? *", re.I)
_DIGIT = re.compile(r"\d")
# (The first "Section(s):" of an MTUS_SECTIONS token starts its list: the
# reference's text before it stops at the first, grammars/citation.lark.)
_SECTIONS_LABEL = re.compile(r"Section\(s\):", re.I)


def _after(label: re.Pattern, text: str) -> int:
    found = label.match(text)
    return found.end() if found else 0


@lru_cache(maxsize=8192)
def _non_mtus_statement(statement: str) -> tuple[dict, ...]:
    """The citations of a Non-MTUS statement (its token: the label, then its text)."""
    statement = statement[_after(_NON_MTUS_LABEL, statement):]
    cited: list[dict] = []
    for part in filter(clean, _NON_MTUS_SPLIT.split(statement)):
        this = dict(_non_mtus(part))
        if (cited and this["source"] == "OTHER" and this["document"] == clean(part)
                and not _LINK.match(part.strip())):
            last = cited[-1]
            if last["source"] == "ODG":
                # "ODG, Neck (updated 11/3/16); Shoulder": another chapter
                this = {**last, "topic": clean(part), "pages": None, "section": None}
            else:
                # "MPFS; Chapter 12-Surgeons…; 40.1-Definition…": deeper in the same one
                last["topic"] = "; ".join(filter(None, (last["topic"], clean(part))))
                continue
        cited.append(this)
    return tuple(cited)


_LINK = re.compile(r"(?:https?://|www\.)", re.I)
_MTUS_PREFIX = re.compile(r"(?:CA[ -])?MTUS\s*:?\s*", re.I)


# (Cached too: one guideline recurs in statements that list different others.)
@lru_cache(maxsize=8192)
def _non_mtus(text: str) -> dict:
    """A Non-MTUS citation; one whose text is an MTUS document is MTUS all the same."""
    prefix = _MTUS_PREFIX.match(text)
    if prefix:
        return reference(text[prefix.end():], None, None, ("MTUS",))
    if _LINK.search(text):  # a URL wrapped by extraction: "…/Regulations-and- Guidance/…"
        text = _WRAPPED_LINK.sub(r"\1", text)
    author = _AUTHOR.match(text)
    if author:  # "Harris J. Occupational medicine practice guidelines, …": the document after its author
        cited = reference(text[author.end():], None, None, ("ODG", "ACOEM", "AMA", "OTHER"))
        if cited["source"] != "OTHER":
            return cited
    cited = reference(text, None, None, ("ODG", "ACOEM", "AMA", "OTHER"))
    named = _ODG_MENTION.search(text)
    if cited["source"] == "OTHER" and named:  # "Neck and Upper Back, …, ODG Preface"
        cited.update(source="ODG", document=named.group(0), topic=cited["document"])
    elif cited["source"] == "OTHER" and cited["document"] and not cited["topic"] and not _LINK.search(text):
        # "Centers for Medicare and Medicaid services, Physician Fee Schedule Search"
        document, _, topic = cited["document"].partition(", ")
        if topic and not _EDITION.match(topic):
            cited.update(document=clean(document), topic=clean(topic))
    return cited


_WRAPPED_LINK = re.compile(r"((?:https?://|www\.)\S*[-/_.])\s+(?=\S)")
_EDITION = re.compile(r"\d+(?:st|nd|rd|th)\s+ed", re.I)


_ODG_MENTION = re.compile(r"\bODG\b|Official Disability Guidelines", re.I)
