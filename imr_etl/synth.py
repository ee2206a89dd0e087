"""A realistic corpus of synthetic Final Determination Letters with known
ground truth: ``imr-etl synth N OUT_DIR [--seed S]``.

Letters follow the seed format (``samples/seeds``): the three section
headings, the reviewer's qualifications (narrative or credentials form), a
clinical case summary that states age, sex, date of injury and diagnoses in
the ways docs/record.md lists, and 1-6 disputed items, each with its
heading, the two guideline paragraphs and a rationale.  About half carry the
published header block (``Case Number: CMyy-nnnnnnn`` …), as the real
letters do.  Services are drawn from ``vocab/synth_services.csv`` (every
subcategory of ``vocab/taxonomy.csv``), regions from
``vocab/synth_regions.csv``, guideline documents from
``vocab/synth_guidelines.csv``, specialties from
``vocab/synth_specialties.csv``, quantity phrases from
``vocab/synth_quantities.csv``; states and number words come from the
parser's own vocabularies.  Then the text gets the extraction noise
the normalizer undoes: wrapping at 40-120 columns, blank lines after every
line or lone-space lines, the decision word alone on the next line, page
furniture with form feeds, typographic quotes, no-break spaces, trailing
blanks, CRLF, a BOM or cp1252 now and then.

The manifest, ``OUT_DIR/manifest.jsonl``, has one JSON object per letter, in
letter order: ``path`` (relative to OUT_DIR, ``/``-separated), ``sha256`` (of
the file's bytes), ``format`` and exactly what ``imr-etl parse`` should
produce for ``header``, ``reviewer``, ``patient``, ``diagnoses`` and
``items`` (``ordinal``, ``service``, ``decision``, ``treatment_category``,
``treatment_subcategory``, ``quantity``, ``quantity_unit``, ``body_region``,
``citations``).  It also gives the conformed keys (docs/dwc-taxonomy.md) as
the rule book decides them: each item's ``dwc_category``, ``dwc_subcategory``
and ``drug``, each MTUS and ODG citation's ``guideline_id``, the reviewer's
``board_specialties``; a key (or a drug's sub-key) the rule book leaves open
is left out.  The truth is data: columns of ``vocab/synth_services.csv``,
``vocab/synth_guidelines.csv`` and ``vocab/synth_regions.csv``, and
``vocab/synth_specialties.csv`` (specialty as written → DWC name).  Not
covered: ``source_path`` (the path as given to the parser), each item's
``rationale`` and ``span`` (prose and line numbers the generator does not
model) and each citation's ``topic_id``.

The same seed gives the same corpus, byte for byte; letter *i*'s name and
bytes depend only on the seed and *i*, so a smaller corpus holds the first
letters of a larger one.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import string
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Callable, Iterator

from imr_etl import vocabulary, wording

PER_DIR = 1000  # letters per subdirectory when N is larger than this
MANIFEST = "manifest.jsonl"

# Subcategories of vocab/taxonomy.csv that no service text can reach with the
# parser's current vocabularies.  Their rows in synth_services.csv are skipped
# (and the coverage test excuses them) until the gap is fixed; then delete the
# entry here.
PARSER_GAPS: set[tuple[str, str]] = set()

# Other forms a real letter uses that the parser reads wrongly today, so the
# templates avoid them, are marked PARSER GAP where they are avoided (none now).

# Rough shares of the DWC's IMR decisions by category.
CATEGORY_WEIGHTS = {
    "pharmaceuticals": 40, "rehabilitation": 14, "diagnostic_tests": 12, "injections": 7,
    "surgery": 5, "dmepos": 8, "evaluation_management": 5, "programs": 3,
    "behavioral_health": 3, "home_health": 2, "other": 1,
}
ITEM_COUNT_WEIGHTS = (30, 28, 18, 12, 7, 5)  # 1..6 items
_ITEM_COUNT_CUMULATIVE = tuple(accumulate(ITEM_COUNT_WEIGHTS))
UPHELD = 0.9
PUBLISHED = 0.5  # share of letters with the header block
FIRST_DECISION, LAST_DECISION = date(2013, 3, 1).toordinal(), date(2017, 12, 31).toordinal()
EARLIEST_INJURY = date(1990, 1, 1).toordinal()


# ------------------------------------------------------------------- data

@dataclass(frozen=True)
class Template:
    category: str
    subcategory: str
    text: str
    regions: tuple[str, ...]  # for a {region} placeholder
    region: str | None  # the region the text itself names
    quantity: str  # kind of quantity phrase: rx, topical, visits, times, …
    mtus: str  # MTUS document family: chronic, acupuncture, acoem, …
    mtus_topic: str
    mtus_pages: str
    odg_topic: str
    hint: bool  # the service needs the reviewer's topic for its subcategory
    dwc: tuple[str, str | None]  # the DWC's (category, subcategory) of the service
    dwc_limb: str | None  # the DWC's subcategory when the text names a limb
    drug: tuple[tuple[str, str | None], ...] | None  # the drug's keys the rule book decides


@dataclass(frozen=True)
class Guide:
    document: str
    region: str | None  # what the document is about
    implies: str | None  # the region a citation of it gives a service; "?" = ambiguous
    gid: str | None  # its guideline_id (an ODG chapter's for ODG); None = not decided


class QuantityText:
    """A template of ``vocab/synth_quantities.csv``: text with fields in braces,
    each a draw's name or a sum or product of draws and whole numbers
    (``{a}-{a+1} times a week``, ``({a*b} sessions)``); a field with the spec
    ``word`` is written as its number word, ``Word`` capitalized
    (``{refills:Word} refills of``)."""

    def __init__(self, text: str):
        self.parts = [(literal, None if field is None else _arithmetic(field), spec)
                      for literal, field, spec, _ in string.Formatter().parse(text)]

    def names(self) -> set[str]:
        """The draws it writes."""
        return set().union(*(_names(tree) for _, tree, _ in self.parts if tree))

    def __call__(self, values: dict, words: dict[int, str]) -> str:
        out = []
        for literal, tree, spec in self.parts:
            out.append(literal)
            if tree is not None:
                value = _evaluate(tree, values)
                out.append(words[value] if spec == "word" else words[value].capitalize()
                           if spec == "Word" else str(value))
        return "".join(out)


def _arithmetic(text: str) -> ast.expr:
    """A field or quantity of synth_quantities.csv, parsed; only names, whole
    numbers, + and * are allowed."""
    tree = ast.parse(text, mode="eval").body
    for node in ast.walk(tree):
        if not (isinstance(node, (ast.Name, ast.Load, ast.Add, ast.Mult))
                or isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult))
                or isinstance(node, ast.Constant) and type(node.value) is int):
            raise ValueError(f"synth_quantities.csv: {text!r} is not a sum or product of draws")
    return tree


def _names(tree: ast.expr) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _evaluate(tree: ast.expr, values: dict):
    if isinstance(tree, ast.Name):
        return values[tree.id]
    if isinstance(tree, ast.Constant):
        return tree.value
    left, right = _evaluate(tree.left, values), _evaluate(tree.right, values)
    return left + right if isinstance(tree.op, ast.Add) else left * right


@dataclass(frozen=True)
class QuantityForm:
    """One way of writing a quantity: a row of ``vocab/synth_quantities.csv``."""

    below: float  # the form is the kind's first whose ``below`` exceeds the item's draw
    draws: tuple[tuple[str, tuple], ...]  # (name, values), each value drawn in turn
    prefix: QuantityText
    suffixes: tuple[QuantityText, ...]  # with more than one, one is drawn after the values
    quantity: ast.expr | None
    unit: QuantityText | None
    partial: bool  # a partial authorization may be written in it (its quantity is {n})

    def write(self, rng: Random, words: dict[int, str]):
        """(prefix, suffix, quantity, unit, partial form); see :meth:`Composer.quantity`."""
        values = {name: _pick(rng, choices) for name, choices in self.draws}
        suffix = self.suffixes[0] if len(self.suffixes) == 1 else _pick(rng, self.suffixes)
        partial = None
        if self.partial:  # the same text with {n} left for the amount
            unfilled = {**values, "n": "{n}"}
            partial = (self.prefix(unfilled, words), suffix(unfilled, words))
        return (self.prefix(values, words), suffix(values, words),
                None if self.quantity is None else _evaluate(self.quantity, values),
                self.unit(values, words) if self.unit else None, partial)


@dataclass(frozen=True)
class Data:
    templates: dict[str, dict[str, tuple[Template, ...]]]  # category → subcategory → rows
    phrases: dict[str, tuple[str, ...]]
    guides: dict[str, tuple[Guide, ...]]
    acoem_by_region: dict[str, dict[str, tuple[Guide, ...]]]  # acoem_old/new → region → docs
    chapters_by_region: dict[str, tuple[Guide, ...]]
    chapters_by_id: dict[str, tuple[Guide, ...]]  # guideline_id → its ODG chapters' spellings
    states: tuple[str, ...]
    specialties: tuple[str, ...]
    simple_specialties: tuple[str, ...]  # no "and"/"&": safe to join with "and"
    board: dict[str, str | None]  # specialty as written → DWC board specialty
    limbs: frozenset[str]  # regions whose imaging the DWC files as peripheral
    number_words: dict[int, str]
    quantities: dict[str, tuple[QuantityForm, ...]]  # kind → its forms (synth_quantities.csv)


@cache
def data() -> Data:
    taxonomy = {(r["category"], r["subcategory"]) for r in vocabulary.rows("taxonomy.csv")}
    templates: dict[str, dict[str, list[Template]]] = {}
    quantities = _quantity_forms()
    for row in vocabulary.rows("synth_services.csv"):
        key = (row["category"], row["subcategory"])
        if key not in taxonomy:
            raise ValueError(f"synth_services.csv: {key} is not in taxonomy.csv")
        if row["quantity"] not in quantities:
            raise ValueError(f"synth_services.csv: quantity {row['quantity']!r} is not in synth_quantities.csv")
        if key in PARSER_GAPS:
            continue
        placeholder = "{region}" in row["text"]
        tpl = Template(row["category"], row["subcategory"], row["text"],
                       tuple(row["region"].split()) if placeholder else (),
                       None if placeholder else row["region"] or None,
                       row["quantity"], row["mtus"], row["mtus_topic"], row["mtus_pages"],
                       row["odg_topic"], row["hint"] == "1",
                       (row["dwc_category"], row["dwc_subcategory"] or None),
                       row["dwc_limb_subcategory"] or None, _drug_truth(row))
        templates.setdefault(key[0], {}).setdefault(key[1], []).append(tpl)
    phrases: dict[str, list[str]] = {}
    for row in vocabulary.rows("synth_regions.csv"):
        phrases.setdefault(row["region"], []).append(row["phrase"])
    limbs = frozenset(r["region"] for r in vocabulary.rows("synth_regions.csv") if r["limb"] == "1")
    guides: dict[str, list[Guide]] = {}
    for row in vocabulary.rows("synth_guidelines.csv"):
        guides.setdefault(row["kind"], []).append(
            Guide(row["document"], row["region"] or None, row["implies"] or None,
                  row["guideline_id"] or None))
    acoem = {kind: _by_region(guides[kind]) for kind in ("acoem_old", "acoem_new")}
    chapters = _by_region(guides["odg_chapter"])
    chapters_by_id: dict[str, list[Guide]] = {}
    for chapter in guides["odg_chapter"]:
        chapters_by_id.setdefault(chapter.gid, []).append(chapter)
    # States whose names the narrative form can carry ("U.S. Virgin Islands"
    # has a full stop, which ends the sentence).
    states = tuple(r["name"] for r in vocabulary.rows("states.csv") if "." not in r["name"])
    board = {r["written"]: r["board_specialty"] or None for r in vocabulary.rows("synth_specialties.csv")}
    # "X and Y" splits in two only when the parser knows both fields.
    known = {r["name"] for r in vocabulary.rows("specialties.csv")}
    simple = tuple(s for s in board if s in known and not re.search(r"\band\b|&", s))
    words = {}
    for row in vocabulary.rows("number_words.csv"):
        if row["word"] not in ("once", "twice", "single") and "-" not in row["word"]:
            words.setdefault(int(row["value"]), row["word"])
    return Data(
        {c: {s: tuple(rows) for s, rows in subs.items()} for c, subs in templates.items()},
        {r: tuple(p) for r, p in phrases.items()},
        {k: tuple(g) for k, g in guides.items()},
        acoem, chapters, {k: tuple(c) for k, c in chapters_by_id.items()},
        states, tuple(board), simple, board, limbs, words, quantities,
    )


def _quantity_forms() -> dict[str, tuple[QuantityForm, ...]]:
    """The rows of synth_quantities.csv by kind, in file order."""
    forms: dict[str, list[QuantityForm]] = {}
    for row in vocabulary.rows("synth_quantities.csv"):
        draws = tuple((name, _choices(values)) for name, values in
                      (draw.split("=", 1) for draw in row["draws"].split("; ") if draw))
        form = QuantityForm(float(row["below"]), draws, QuantityText(row["prefix"]),
                            tuple(QuantityText(text) for text in row["suffix"].split("|")),
                            _arithmetic(row["quantity"]) if row["quantity"] else None,
                            QuantityText(row["unit"]) if row["unit"] else None, row["partial"] == "1")
        texts = (form.prefix, *form.suffixes, *([form.unit] if form.unit else []))
        used = set().union(*(text.names() for text in texts),
                           _names(form.quantity) if form.quantity else ())
        if unknown := used - {name for name, _ in draws}:
            raise ValueError(f"synth_quantities.csv: a {row['kind']} form writes {unknown}, not drawn")
        if form.partial and row["quantity"] != "n":
            raise ValueError(f"synth_quantities.csv: a {row['kind']} form for partial authorizations "
                             "has a quantity other than n")
        forms.setdefault(row["kind"], []).append(form)
    for kind, kind_forms in forms.items():
        bounds = [form.below for form in kind_forms]
        if bounds[-1] != 1 or bounds != sorted(set(bounds)):
            raise ValueError(f"synth_quantities.csv: the {kind} forms' bounds must rise to 1: {bounds}")
    return {kind: tuple(kind_forms) for kind, kind_forms in forms.items()}


def _choices(values: str) -> tuple:
    """A draw's values: "2|4|6" (a value written twice is drawn twice as often)
    or the range "1-5"."""
    if span := re.fullmatch(r"(\d+)-(\d+)", values):
        return tuple(range(int(span[1]), int(span[2]) + 1))
    return tuple(int(v) if v.isdigit() else v for v in values.split("|"))


# The record's drug keys and their columns in synth_services.csv.
_DRUG_COLUMNS = {"generic": "drug_generic", "brand": "drug_brand", "strength": "drug_strength",
                 "dose_form": "drug_dose_form", "drug_class": "drug_class"}


def _drug_truth(row: dict) -> tuple[tuple[str, str | None], ...] | None:
    """The drug keys of a pharmaceutical row: a blank cell is null, "?" is a
    key the rule book does not decide (left out of the manifest)."""
    if row["dwc_category"] != "Pharmaceuticals":
        return None
    cells = ((key, row[_DRUG_COLUMNS[key]]) for key in _DRUG_COLUMNS)
    return tuple((key, value or None) for key, value in cells if value != "?")


def _by_region(guides) -> dict[str, tuple[Guide, ...]]:
    out: dict[str, list[Guide]] = {}
    for guide in guides:
        out.setdefault(guide.region or "", []).append(guide)
    return {r: tuple(g) for r, g in out.items()}


@cache
def _category_weights() -> tuple[tuple[str, ...], tuple[int, ...]]:
    categories = tuple(c for c in CATEGORY_WEIGHTS if c in data().templates)
    return categories, tuple(accumulate(CATEGORY_WEIGHTS[c] for c in categories))


# Regions without an ACOEM chapter or ODG chapter of their own borrow one.
_NEAREST = {"thoracic": "lumbar", "spine": "lumbar", "upper_extremity": "shoulder",
            "lower_extremity": "knee", "hip": "lumbar"}


# ------------------------------------------------------------ the letter

@dataclass
class Item:
    service: str  # as the parser should report it
    heading: str  # as written (a partial authorization says more)
    decision: str
    category: str
    subcategory: str
    quantity: int | None
    unit: str | None
    region: str | None
    region_source: str | None  # "service", "guideline" or None
    dwc: tuple[str, str | None]
    drug: dict | None
    claims: str
    reviewer: str
    citations: list[dict]
    rationale: str


def _pick(rng: Random, seq):
    """rng.choice, faster (the generator's hot path)."""
    return seq[int(rng.random() * len(seq))]


def _int(rng: Random, a: int, b: int) -> int:
    """rng.randint, faster."""
    return a + int(rng.random() * (b - a + 1))


def _lower_first(text: str) -> str:
    """'Physical therapy' → 'physical therapy'; 'MRI of …', 'TENS unit' stay."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _same(text: str) -> str:
    return text


_DOSE_WORD = re.compile(r"\b(tablet|capsule)s?\b")


def _drug(tpl: Template, suffix: str) -> dict | None:
    """The item's drug as the manifest states it: the row's keys, and the dose
    form the quantity phrase names when the row has none ("#60 tablets")."""
    if tpl.drug is None:
        return None
    drug = dict(tpl.drug)
    if drug.get("dose_form", "") is None:
        said = _DOSE_WORD.search(suffix)
        drug["dose_form"] = said.group(1) if said else None
    return drug


def _date(ordinal: int, style: int) -> str:
    d = date.fromordinal(ordinal)
    if style == 0:
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    if style == 1:
        return f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}"
    if style == 2:
        return f"{d.month}/{d.day}/{d.year}"
    if style == 3:
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == 4:
        return f"{d.month:02d}-{d.day:02d}-{d.year}"
    return f"{_MONTHS[d.month]} {d.day}, {d.year}"


_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _mmddyyyy(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


class Composer:
    """Builds one letter: its text (clean, before noise) and its truth."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.data = data()

    # ----------------------------------------------------------- services
    def template(self) -> Template:
        rng = self.rng
        categories, cumulative = _category_weights()
        subs = self.data.templates[rng.choices(categories, cum_weights=cumulative)[0]]
        return _pick(rng, _pick(rng, tuple(subs.values())))

    def quantity(self, kind: str) -> tuple[str, str, int | None, str | None, tuple[str, str] | None]:
        """(prefix, suffix, quantity, unit, partial form) of a quantity phrase of
        ``kind``, in one of its forms in ``vocab/synth_quantities.csv``: the
        partial form is a (prefix, suffix) pair with ``{n}`` for a partial
        authorization."""
        forms = self.data.quantities.get(kind)
        if forms is None:
            raise ValueError(f"unknown quantity kind {kind!r}")
        r = self.rng.random()
        form = next(form for form in forms if r < form.below)
        return form.write(self.rng, self.data.number_words)

    def item(self, sex_word: str) -> Item:
        rng = self.rng
        tpl = self.template()
        text, region = tpl.text, tpl.region
        if tpl.regions:
            region = _pick(rng, tpl.regions)
            text = text.replace("{region}", _pick(rng, self.data.phrases[region]))
        prefix, suffix, quantity, unit, partial = self.quantity(tpl.quantity)
        # A drug's name keeps its capital, as in the letters ("Two refills of
        # Ibuprofen"), so its brand is written one way.
        drug = tpl.category == "pharmaceuticals"
        lower = _same if drug else _lower_first
        body = lower(text) if prefix else text
        service = prefix + body + suffix
        if tpl.quantity == "visits" and rng.random() < 0.08:
            # "Twelve physical therapy visits for the right shoulder"
            parts = _FOR_THE.split(text, maxsplit=1)
            head, joint, tail = parts if len(parts) == 3 else (text, "", "")
            if len(head.split()) <= 3 and not _UNIT_WORD.search(text):
                quantity, unit, partial = _pick(rng, (6, 8, 10, 12, 16)), "visits", None
                word = self.data.number_words[quantity].capitalize()
                service = f"{word} {_lower_first(head)} visits{joint}{tail}"
                prefix = word
        if rng.random() < 0.02 and not partial and not drug:  # "UNKNOWN MASSAGE THERAPY VISITS"
            service = service.upper()
            prefix = prefix or "upper"
        # A frame the classifier looks through; not before a leading count.
        # (Not before a visit or consultation: framed, the DWC's rule book
        # could file it as an adjunct surgical service or as the visit.)
        if not prefix and rng.random() < 0.06:
            if tpl.category in ("dmepos", "rehabilitation") or (
                    tpl.category == "surgery" and tpl.region is None):
                service = "Associated surgical service: " + service
            elif drug or tpl.subcategory == "laboratory":
                service = "Retrospective request for " + lower(service)
        decision = "upheld" if rng.random() < UPHELD else "overturned"
        heading = service
        if partial and quantity and quantity >= 2 and rng.random() < 0.25:
            heading, service, quantity = self.partial(body, partial, quantity, lower)
        dwc = (tpl.dwc[0], tpl.dwc_limb) if tpl.dwc_limb and region in self.data.limbs else tpl.dwc

        claims_text, claims = self.guideline("claims", tpl, region, False)
        reviewer_text, reviewer = self.guideline("reviewer", tpl, region, tpl.hint)
        for cited in claims:
            cited["cited_by"] = "claims_administrator"
        for cited in reviewer:
            cited["cited_by"] = "reviewer"
        citations = claims + reviewer
        source = "service" if region else None
        # a service that names no region takes the one its guidelines' chapters
        # agree on, if it is a treatment given to a region (docs/record.md)
        if region is None and (tpl.category, tpl.subcategory) in _regional():
            region = _implied_region(citations)
            source = "guideline" if region else None
        for cited in citations:
            cited.pop("_implies", None)
        return Item(service, heading, decision, tpl.category, tpl.subcategory, quantity, unit,
                    region, source, dwc, _drug(tpl, suffix), claims_text, reviewer_text, citations,
                    self.rationale(service, decision, sex_word))

    def partial(self, body: str, form: tuple[str, str], original: int,
                lower: Callable[[str], str]) -> tuple[str, str, int]:
        """A partial authorization heading and the part that was decided."""
        rng = self.rng
        authorized = _int(rng, 1, original - 1)
        remaining = original - authorized
        prefix, suffix = form

        def say(n: int) -> str:
            return prefix.format(n=n) + body + suffix.format(n=n)

        if rng.random() < 0.6:
            decided = say(remaining)
            if rng.random() < 0.3:
                decided = lower(decided)
            heading = (f"{say(original)} {wording.WAS_ORIGINAL} {say(authorized)} "
                       f"{wording.WAS_AUTHORIZED} {wording.REMAINING_PORTION} {decided}")
            return heading, decided, remaining
        decided = say(original)
        if rng.random() < 0.5:
            decided = lower(decided)
        heading = (f"{say(original)} {wording.WAS_ORIGINAL} {wording.CA_AUTHORIZED} "
                   f"{lower(say(authorized))}, {wording.LEAVING_ELIGIBLE} {wording.ORIGINAL_NOW} {decided}")
        return heading, decided, original

    # --------------------------------------------------------- citations
    def guideline(self, who: str, tpl: Template, region: str | None,
                  need_topic: bool) -> tuple[str, list[dict]]:
        """One guideline paragraph's text and its citations (each with an
        ``_implies`` region, dropped before the manifest)."""
        rng = self.rng
        r = rng.random()
        party = "Claims Administrator" if who == "claims" else "Expert Reviewer"
        if who == "claims":
            choice = ("none" if r < 0.3 else "mtus" if r < 0.65 else "both" if r < 0.85
                      else "outside" if r < 0.95 else "not_based")
        else:
            choice = ("mtus" if r < 0.55 else "both" if r < 0.85 else "outside" if r < 0.98
                      else "none")
            if need_topic and choice in ("none", "outside"):
                choice = "mtus"
        if choice == "none":
            return f"The {party} {wording.NO_EVIDENCE}", []
        parts, cited = [], []
        if choice in ("mtus", "both"):
            text, refs = self.mtus(tpl, region, need_topic)
            parts.append(text)
            cited += refs
        if choice == "outside":
            parts.append(f"The {party} {wording.OUTSIDE_MTUS}")
        elif choice == "not_based":
            parts.append(f"The {party} {wording.NOT_BASED_ON_MTUS}")
        if choice != "mtus":
            text, refs = self.non_mtus(tpl, region)
            parts.append(text)
            cited += refs
        return _pick(rng, ("  ", " ")).join(parts), cited

    def cased(self, guide: Guide) -> Guide:
        """A document or chapter as written: now and then in capitals or in
        lower case ("CHRONIC PAIN MEDICAL TREATMENT GUIDELINES"), the same
        guideline_id."""
        r = self.rng.random()
        if r >= 0.04:
            return guide
        document = guide.document.upper() if r < 0.025 else guide.document.lower()
        return Guide(document, guide.region, guide.implies, guide.gid)

    def acoem(self, kind: str, region: str | None) -> Guide:
        by_region = self.data.acoem_by_region[kind]
        if region is None:  # any chapter that names one region plainly
            return _pick(self.rng, [g for gs in by_region.values() for g in gs if g.implies != "?"])
        key = region if region in by_region else _NEAREST.get(region)
        if key not in by_region:
            key = _pick(self.rng, tuple(by_region))
        return _pick(self.rng, by_region[key])

    def mtus(self, tpl: Template, region: str | None, need_topic: bool) -> tuple[str, list[dict]]:
        rng, guides = self.rng, self.data.guides
        family = tpl.mtus
        topic, pages = tpl.mtus_topic, tpl.mtus_pages
        # A service without a region cites an ACOEM chapter only half the
        # time: the chapter gives it the chapter's region.
        if family == "acoem" and region is None and rng.random() < 0.5:
            family = "chronic"
        r = rng.random()
        old = f"{family}_old" in guides or family == "acoem"
        if old and r < 0.4:
            if family == "acoem":
                guide = self.cased(self.acoem("acoem_old", region))
                said_topic = None
                pages = str(_int(rng, 160, 340))
            else:
                guide = self.cased(_pick(rng, guides[f"{family}_old"]))
                said_topic = topic if (need_topic or rng.random() < 0.8) else None
            if (family in _REGULATION and said_topic and pages and rng.random() < 0.3):
                text = (f"{wording.MTUS_BASED} {guide.document} {_REGULATION[family]}. "
                        f"{said_topic}, pages {pages}.")
                return text, [_cite("MTUS", guide, said_topic, pages, _REGULATION[family])]
            said_pages = pages if pages and rng.random() < 0.75 else None
            text = guide.document + (f" {said_topic}" if said_topic else "")
            text += f" Page(s): {said_pages}." if said_pages else "."
            return f"{wording.MTUS_BASED} {text}", [_cite("MTUS", guide, said_topic, said_pages)]
        if family == "acoem":
            guide = self.cased(self.acoem("acoem_new", region))
            topic = _pick(rng, guides["acoem_section"]).document if tpl.mtus_topic == "Special Studies" \
                and rng.random() < 0.3 else topic
        else:
            new = f"{family}_new" if f"{family}_new" in guides else "chronic_new"
            guide = self.cased(_pick(rng, guides[new]))
        refs = []
        texts = []
        if family != "acoem" and r > 0.85:
            # "Low Back Complaints 2004, Section(s): Summary, and Chronic Pain
            # Medical Treatment 2016, Section(s): …"
            first = self.cased(self.acoem("acoem_new", region))
            section = _pick(rng, guides["acoem_section"]).document
            texts.append(f"{first.document}, Section(s): {section}")
            refs.append(_cite("MTUS", first, section, None))
        said_topic = topic if (need_topic or rng.random() < 0.9) else None
        texts.append(f"{guide.document}, Section(s): {said_topic}" if said_topic else guide.document)
        refs.append(_cite("MTUS", guide, said_topic, None))
        return f"{wording.MTUS_BASED} {', and '.join(texts)}.", refs

    def non_mtus(self, tpl: Template, region: str | None) -> tuple[str, list[dict]]:
        rng, guides = self.rng, self.data.guides
        r = rng.random()
        refs, texts = [], []
        if r < 0.7:
            texts.append(self.odg(tpl, region, refs))
        elif r < 0.8:
            guide = _pick(rng, guides["acoem_practice"])
            chapter, page = _pick(rng, _ACOEM_PRACTICE_TOPICS)
            texts.append(f"{guide.document}, {chapter}, page {page}")
            refs.append(_cite("ACOEM", guide, chapter, page))
        elif r < 0.87:
            guide = guides["ama"][0] if rng.random() < 0.6 else guides["ama"][1]
            if guide.document == "AMA Guides":
                topic = _pick(rng, ("Radiculopathy", "Spinal impairment", "Range of motion"))
                texts.append(f"AMA Guides ({topic})")
                refs.append(_cite("AMA", guide, topic, None))
            else:
                texts.append(guide.document)
                refs.append(_cite("AMA", guide, None, None))
        elif r < 0.94:
            guide = guides["other"][0]
            texts.append(f"UpToDate, {tpl.odg_topic}")
            refs.append(_cite("OTHER", guide, tpl.odg_topic, None))
        else:
            url = f"http://www.ncbi.nlm.nih.gov/pubmed/{_int(rng, 10_000_000, 29_999_999)}"
            texts.append(url)
            refs.append(_cite("OTHER", Guide(url, None, None, None), None, None))
        if r < 0.7 and rng.random() < 0.12:
            # a second guideline in the same statement
            guide = guides["other"][0]
            texts.append(f"UpToDate, {tpl.odg_topic}")
            refs.append(_cite("OTHER", guide, tpl.odg_topic, None))
        end = "." if rng.random() < 0.7 else ""
        return "Decision based on Non-MTUS Citation " + "; ".join(texts) + end, refs

    def odg(self, tpl: Template, region: str | None, refs: list) -> str:
        rng, data = self.rng, self.data
        document = self.cased(_pick(rng, data.guides["odg_document"]))
        chapters = data.chapters_by_region
        r = rng.random()
        if region is not None:
            key = region if region in chapters else _NEAREST.get(region, "")
            chapter = _pick(rng, chapters[key] if key in chapters and r < 0.8 else chapters[""])
        elif r < 0.15:
            # No chapter named ("ODG, Opioids"): the topic of a service
            # without a region names none either.
            cited = _cite("ODG", document, tpl.odg_topic, None, gid=_ODG_NO_CHAPTER)
            refs.append(cited)
            return f"{document.document}, {tpl.odg_topic}"
        elif r < 0.45:
            chapter = _pick(rng, [c for k, cs in chapters.items() if k for c in cs if c.implies != "?"])
        else:
            gid = "odg/mental-stress" if tpl.category == "behavioral_health" else "odg/pain"
            chapter = _pick(rng, data.chapters_by_id[gid])
        chapter = self.cased(chapter)
        topic = f"{chapter.document}, {tpl.odg_topic}"
        joint = " " if document.document.endswith(")") or rng.random() < 0.5 else ", "
        cited = _cite("ODG", document, topic, None, gid=chapter.gid)
        cited["_implies"] = {document.implies, chapter.implies}
        refs.append(cited)
        return f"{document.document}{joint}{topic}"

    # ------------------------------------------------------------- prose
    def rationale(self, service: str, decision: str, sex_word: str) -> str:
        rng = self.rng
        sentences = rng.sample(_RATIONALE, _int(rng, 2, 5))
        svc = _lower_first(_FRAMED.sub("", service))
        text = " ".join(sentences).format(svc=svc, patient=sex_word)
        if decision == "upheld":
            end = _pick(rng, _NOT_NECESSARY)
        else:
            end = _pick(rng, _NECESSARY)
        return text + " " + end.format(svc=svc)


_FOR_THE = re.compile(r"( (?:for|to) the )")
_UNIT_WORD = re.compile(r"visit|session|treatment", re.I)
_FRAMED = re.compile(r"^(?:Associated surgical service: |Retrospective request for )")
_ODG_NO_CHAPTER = "odg"  # the guideline_id of an ODG citation that names no chapter
_REGULATION = {"chronic": "9792.24.2", "acupuncture": "9792.24.1", "postsurgical": "9792.24.3"}
_ACOEM_PRACTICE_TOPICS = (
    ("Chapter 7, Independent Medical Examinations and Consultations", "127"),
    ("Chapter 6, Pain, Suffering, and the Restoration of Function", "115"),
    ("Chapter 5, Cornerstones of Disability Prevention and Management", "92"),
)


def _cite(source: str, guide: Guide, topic: str | None, pages: str | None,
          section: str | None = None, gid: str | None = None) -> dict:
    """A citation's truth; its guideline_id only where the scheme decides one."""
    cited = {"cited_by": None, "source": source, "document": guide.document, "topic": topic,
             "pages": pages, "section": section}
    gid = gid or guide.gid
    if gid:
        cited["guideline_id"] = gid
    cited["_implies"] = {guide.implies}
    return cited


@cache
def _regional() -> frozenset[tuple[str, str]]:
    """Subcategories given to a body region (``region_from_guideline``)."""
    return frozenset((r["category"], r["subcategory"]) for r in vocabulary.rows("taxonomy.csv")
                     if r["region_from_guideline"] == "yes")


def _implied_region(citations: list[dict]) -> str | None:
    """The one region the cited documents (and ODG chapters) agree on."""
    regions = set().union(*(c["_implies"] for c in citations)) - {None}
    if "?" in regions:
        raise AssertionError("an ambiguous chapter cited for a service without a region")
    return regions.pop() if len(regions) == 1 else None


_RATIONALE = (
    "The MTUS guidelines were reviewed in regards to this specific case, and the clinical "
    "documents were reviewed.",
    "The request is for {svc}.",
    "According to the guidelines, “treatment should be continued only when there is documented "
    "functional improvement.”",
    "The medical records do not document objective functional improvement with prior treatment.",
    "There is no documentation of a change in the {patient}’s clinical presentation since the last "
    "evaluation.",
    "Guidelines recommend this treatment as an option when conservative care has failed.",
    "The treating provider has not offered an evidence-based justification that supports the "
    "request.",
    "Per the progress notes, the {patient} reports persistent pain rated 7/10 on the visual analog "
    "scale.",
    "A home exercise program should be continued as part of the treatment plan.",
    "The records indicate that prior conservative measures provided only temporary relief.",
    "ODG states that “there should be a clear rationale for the requested service, including "
    "measurable goals.”",
    "The documentation submitted for review does not include a current physical examination.",
    "Given the chronicity of the complaints, the guideline criteria are not met in this case.",
    "The submitted reports describe ongoing tenderness, spasm and a decreased range of motion.",
)
_NOT_NECESSARY = (
    "Therefore, the request for {svc} is not medically necessary.",
    "The request is not medically necessary.",
    "As such, the request is not medically necessary and appropriate.",
)
_NECESSARY = (
    "Therefore, the request for {svc} is medically necessary.",
    "The request is medically necessary.",
    "As such, the request is medically necessary and appropriate.",
)


# ---------------------------------------------------------------- summary

_MALE = ("man", "male", "gentleman")
_FEMALE = ("woman", "female", "lady")
_JOBS = ("a warehouse worker", "a truck driver", "a massage therapist", "a nurse assistant",
         "a cashier", "a correctional officer", "a janitor", "an electrician", "a teacher",
         "a farm laborer", "a mechanic", "an office clerk")
_ACTIVITIES = ("lifting a heavy box", "pushing a large buffer machine at work",
               "climbing a ladder", "unloading a truck", "restraining an inmate",
               "carrying supplies")
_PARTS = ("low back", "neck", "right shoulder", "left knee", "right wrist", "left ankle",
          "upper back", "right hip")
_DIAGNOSES = (
    "lumbar radiculopathy", "lumbar disc displacement", "cervical radiculopathy",
    "cervical sprain/strain", "lumbar sprain/strain", "chronic pain syndrome",
    "carpal tunnel syndrome", "rotator cuff tendinitis", "shoulder impingement syndrome",
    "knee internal derangement", "lateral epicondylitis", "plantar fasciitis",
    "myofascial pain syndrome", "lumbar facet arthropathy", "cervical disc degeneration",
    "degenerative joint disease", "major depressive disorder", "anxiety disorder",
    "insomnia", "gastritis", "post-laminectomy syndrome", "thoracic sprain/strain",
    "sacroiliac joint dysfunction", "medial meniscus tear", "complex regional pain syndrome",
    "cervicogenic headaches", "hypertension", "obesity", "opioid dependence",
    "bilateral knee osteoarthritis",
)
_FILLERS = (
    "Treatment to date has included medications, physical therapy, acupuncture and a home "
    "exercise program.",
    "Currently, {subj} complains of {part} pain rated 6/10 that radiates to the extremities.",
    "Per the progress report dated {d}, {subj} reports increased pain with prolonged sitting.",
    "Examination on {d} revealed “tenderness to palpation and decreased range of motion.”",
    "An electromyogram performed on {d} was reported as abnormal.",
    "The mechanism of injury was not detailed in the records provided.",
    "Physician notes dated {d} show complaints of ongoing {part} pain.",
    "Medications include Norco, Gabapentin and Omeprazole, which reportedly help.",
    "{Subj} is working with modified duties.",
    "{Subj} has not returned to work.",
    "A lumbar spine MRI dated {d} showed mild disc bulging without stenosis.",
    "The treating physician’s plan includes continued medications and follow-up in four weeks.",
    "Sleep disturbance and depressed mood are also reported.",
    "The utilization review determination being challenged is dated {ur}.",
)


class Summary:
    """The clinical case summary and the patient it describes."""

    def __init__(self, composer: Composer, injury: int, before: int, ur: int):
        rng = composer.rng
        self.age = _int(rng, 19, 79)
        self.sex: str | None = _pick(rng, ("male", "female"))
        self.states_injury = True
        d = _date(injury, int(rng.random() * 6))
        nouns = _MALE if self.sex == "male" else _FEMALE
        noun = _pick(rng, nouns)
        his = "his" if self.sex == "male" else "her"
        age, part = self.age, _pick(rng, _PARTS)
        form = int(rng.random() * 11)
        if form == 0:
            first = f"This {age}-year-old {noun} sustained an industrial injury on {d}."
        elif form == 1:
            first = f"The patient is a {age} y/o {noun}, DOI {d}."
        elif form == 2:
            first = (f"The injured worker is a {age} year old {noun} who reported {part} pain "
                     f"from injury sustained on {d} while {_pick(rng, _ACTIVITIES)}.")
        elif form == 3:
            first = (f"The injured worker is a {age} year old {noun}, who sustained an industrial "
                     f"injury on {d}, while working as {_pick(rng, _JOBS)}.")
        elif form == 4:
            first = f"The patient is a {age} year old with an injury date on {d}."
            self.sex = None
        elif form == 5:
            first = f"This is a {age} year old {noun} with a date of injury on {d}."
        elif form == 6:
            first = (f"The applicant is a {age}-year-old {noun} who has filed a claim for chronic "
                     f"{part} pain reportedly associated with an industrial injury of "
                     f"{_date(injury, 5)}.")
        elif form == 7:
            first = (f"The injured worker is a {age} year old who hurt {his} {part} at work. "
                     f"The date of injury was {d}.")
        elif form == 8:
            first = (f"This {age} year old sustained an industrial injury to {his} {part} on "
                     f"{d}.")
        elif form == 9:
            first = f"The injured worker is a {age} year old {noun} who reported {part} pain at work."
            self.states_injury = False
        else:
            first = f"The patient is a {age} year old who developed {part} pain at work."
            self.sex = None
            self.states_injury = False
        self.sex_word = "patient" if self.sex is None else _pick(rng, ("patient", "injured worker"))
        subj = "the patient" if self.sex is None else _pick(rng, ("he" if self.sex == "male" else "she",
                                                                  "the injured worker"))
        sentences = [first]
        self.diagnoses: list[str] = []
        fillers = rng.sample(_FILLERS, _int(rng, 2, 6))
        if rng.random() < 0.75:
            fillers.insert(_int(rng, 0, len(fillers)), self._diagnoses(rng, subj))
        for filler in fillers:
            if "{d}" in filler:
                when = _int(rng, injury + 1, before) if before > injury else injury
                filler = filler.replace("{d}", _date(when, int(rng.random() * 6)))
            if "{ur}" in filler:
                filler = filler.replace("{ur}", _date(ur, int(rng.random() * 6)))
            sentences.append(filler.format(part=part, subj=subj, Subj=subj[0].upper() + subj[1:]))
        self.text = " ".join(sentences)

    def _diagnoses(self, rng: Random, subj: str) -> str:
        self.diagnoses = found = rng.sample(_DIAGNOSES, _int(rng, 1, 4))
        form = int(rng.random() * 5)
        if len(found) == 1 and form != 3:
            form = 4
        if form == 4:
            del found[1:]
        if form == 0:
            # "A, B, and C" or "A, B and C" (docs/record.md: three either way)
            last = _pick(rng, (", and ", " and ")) if len(found) > 2 else ", "
            listed = ", ".join(found[:-1]) + last + found[-1]
            return f"Diagnoses include {listed}."
        if form == 1:
            return f"{subj[0].upper() + subj[1:]} was diagnosed as having {', '.join(found)}."
        if form == 2:
            listed = " ".join(f"{n}. {d}" for n, d in enumerate(found, 1))
            return f"The diagnoses are: {listed}."
        if form == 3:
            return f"The diagnoses are {'; '.join(found)}."
        return f"{subj[0].upper() + subj[1:]} has a diagnosis of {found[0]}."


# -------------------------------------------------------------- reviewer

_HOW_AFFILIATION = ("MAXIMUS Federal Services sent the complete case file to an expert reviewer. "
                    "He/she has no affiliation with the employer, employee, providers or the "
                    "claims administrator.")
_HOW_REST = ("He/she has been in active clinical practice for more than five years and is "
             "currently working at least 24 hours a week in active practice. The expert reviewer "
             "was selected based on his/her clinical experience, education, background, and "
             "expertise in the same or similar specialties that evaluate and/or treat the medical "
             "condition and disputed items/{what}. He/she is familiar with governing laws and "
             "regulations, including the strength of evidence hierarchy that applies to "
             "Independent Medical Review determinations.")
_CREDENTIALS_FORM = _HOW_AFFILIATION + " " + _HOW_REST.format(what="Service")
_SUMMARY_INTRO = f"{wording.SUMMARY_INTRO} based on a review of the case file, including all medical records:"
_ISSUES_INTRO = f"{wording.ISSUES_INTRO} items/services set forth below:"
_FIXED = {_CREDENTIALS_FORM, wording.CREDENTIALS}
_SUBSPECIALTIES = ("Interventional Spine", "Pain Medicine", "Sports Medicine", "Hand Surgery",
                   "Spine Surgery", "Addiction Medicine")


def _reviewer(composer: Composer) -> tuple[list[str], dict]:
    """The HOW THE IMR … paragraphs and the reviewer they describe."""
    rng, data = composer.rng, composer.data
    if rng.random() < 0.5:  # credentials form
        states = rng.sample(data.states, _pick(rng, (1, 1, 2, 3)))
        if rng.random() < 0.5 and "California" not in states:
            states[-1] = "California"
        fields = rng.sample(data.specialties, _pick(rng, (1, 1, 2, 3)))
        comma = _pick(rng, (", ", ","))
        paragraphs = [_CREDENTIALS_FORM,
                      wording.CREDENTIALS,
                      f"{wording.LICENSURE_LABEL} {comma.join(states)}",
                      f"{wording.SPECIALTY_LABEL} {', '.join(fields)}"]
        return paragraphs, _board({"specialties": fields, "subspecialties": [], "board_certified": True,
                                   "licensure_states": [_state_code(s) for s in states]}, data)
    board = rng.random() < 0.8
    if rng.random() < 0.25:
        fields = rng.sample(data.simple_specialties, 2)
        said = " and ".join(fields)
    else:
        fields = [_pick(rng, data.specialties)]
        said = fields[0]
    subs = [_pick(rng, _SUBSPECIALTIES)] if board and rng.random() < 0.3 else []
    state = "California" if rng.random() < 0.9 else _pick(rng, data.states)
    if board:
        # "Board Certified in X" or, a third of the time, "Board Certified X"
        lead = _pick(rng, (wording.BOARD_CERTIFIED, wording.BOARD_CERTIFIED,
                           wording.BOARD_CERTIFIED.removesuffix(" in")))
    else:
        lead = wording.LICENSED_IN
    qualification = f"{wording.REVIEWER_IS} {lead} {said}"
    if subs:
        qualification += f", {wording.SUBSPECIALTY_IN} {subs[0]}"
    qualification += f" and {wording.PRACTICE_IN} {state}."
    paragraphs = [_HOW_AFFILIATION + " " + qualification + " " + _HOW_REST.format(what="services")]
    return paragraphs, _board({"specialties": fields, "subspecialties": subs, "board_certified": board,
                               "licensure_states": [_state_code(state)]}, data)


def _board(reviewer: dict, data: Data) -> dict:
    """The reviewer with the DWC's names for its specialties, in letter order,
    each once; left out when the rule book gives one of them no DWC name."""
    names = [data.board[field] for field in reviewer["specialties"]]
    if None not in names:
        reviewer["board_specialties"] = list(dict.fromkeys(names))
    return reviewer


@cache
def _state_codes() -> dict[str, str]:
    return {r["name"]: r["code"] for r in vocabulary.rows("states.csv")}


def _state_code(name: str) -> str:
    return _state_codes()[name]


# ------------------------------------------------------------- rendering

_WRAP: dict[int, re.Pattern] = {}


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap at ``width`` (a word longer than that stands alone)."""
    pattern = _WRAP.get(width)
    if pattern is None:
        pattern = _WRAP[width] = re.compile(r"(\S.{0,%d}(?= |$)|\S+) *" % (width - 1))
    return pattern.findall(text)


@cache
def _wrap_fixed(text: str, width: int) -> tuple[str, ...]:
    """wrap() for the template's fixed paragraphs, cached."""
    return tuple(wrap(text, width))


_FURNITURE = ("Page {k} of {n}", "Page {k}", "- {k} -", "Page {k}/{n}", "Page {k} of {n}")


def _render(rng: Random, blocks: list[list[str] | tuple[str, ...]]) -> str:
    """Physical lines with the extraction's noise."""
    double = rng.random() < 0.5  # a blank line after every line, as in the seeds
    lone = rng.random() < 0.8  # a lone-space line between paragraphs
    lines: list[str] = []
    for block in blocks:
        lines.extend(block)
        if lone and rng.random() < 0.85:
            lines.append(" ")
    if rng.random() < 0.6:  # page furniture
        per_page = _int(rng, 45, 65)
        pages = -(-len(lines) // per_page)
        form = _pick(rng, _FURNITURE)
        out = []
        for k in range(pages):
            out.extend(lines[k * per_page:(k + 1) * per_page])
            if k + 1 < pages:
                out.append(form.format(k=k + 1, n=pages))
                out.append("\f")
        lines = out
    trailing = rng.random()
    if trailing < 0.6:
        lines = [line + " " if len(line) % 3 else line + "  " for line in lines]
    end = "\n\n" if double else "\n"
    text = end.join(lines) + end
    return text.replace("\f" + end, "\f")


def _header_block(rng: Random, header: dict, width: int) -> list[str]:
    h = {k: header[k] for k in header}
    dates = {k: _mmddyyyy(date.fromisoformat(v).toordinal()) for k, v in h.items()
             if k not in ("case_number", "priority", "other")}
    label = _header_labels()
    if rng.random() < 0.7:  # the published layout, "Application Received" wrapped
        application, received = label["application_received"].split()
        return [f"{label['case_number']}: {h['case_number']}  ",
                f"{label['date_assigned']}: {dates['date_assigned']} "
                f"{label['injury_date']}:  {dates['injury_date']}",
                f"{label['decision_date']}: {dates['decision_date']} "
                f"{label['ur_denial_date']}:  {dates['ur_denial_date']}",
                f"{label['priority']}:  {h['priority']} {application}",
                f"{received}:  ",
                dates["application_received"]]
    said = {**h, **dates}
    return wrap(" ".join(f"{label[key]}: {said[key]}" for key in label), width)


@cache
def _header_labels() -> dict[str, str]:
    """Each header key's label in the published template (its first)."""
    labels: dict[str, str] = {}
    for text, key in wording.HEADER_LABELS.items():
        labels.setdefault(key, text)
    return labels


def compose(seed: int, index: int) -> tuple[str, bytes, dict]:
    """Letter ``index`` of the corpus for ``seed``: (file name, bytes, truth)."""
    rng = Random(seed * 1_000_000_007 + index)
    composer = Composer(rng)
    decision = _int(rng, FIRST_DECISION, LAST_DECISION)
    ur = decision - _int(rng, 45, 90)
    received = ur + _int(rng, 3, 20)
    assigned = received + _int(rng, 1, 10)
    injury = max(EARLIEST_INJURY, ur - _int(rng, 20, 365 * 15))
    published = rng.random() < PUBLISHED

    summary = Summary(composer, injury, ur - 1, ur)
    how, reviewer = _reviewer(composer)
    n_items = rng.choices(range(1, 7), cum_weights=_ITEM_COUNT_CUMULATIVE)[0]
    items = [composer.item(summary.sex_word) for _ in range(n_items)]

    header = dict.fromkeys(("case_number", "date_assigned", "injury_date", "decision_date",
                            "ur_denial_date", "priority", "application_received"))
    header["other"] = {}
    if published:
        year = date.fromordinal(assigned).year % 100
        number = (index * 7_654_321 + _case_offset(seed)) % 10_000_000
        header.update(
            case_number=f"CM{year:02d}-{number:07d}",
            date_assigned=date.fromordinal(assigned).isoformat(),
            injury_date=date.fromordinal(injury).isoformat(),
            decision_date=date.fromordinal(decision).isoformat(),
            ur_denial_date=date.fromordinal(ur).isoformat(),
            priority="Standard" if rng.random() < 0.93 else "Expedited",
            application_received=date.fromordinal(received).isoformat(),
        )
        name = header["case_number"]
    else:
        name = f"{index:06d}_{rng.getrandbits(64):016x}"
    injury_truth = (date.fromordinal(injury).isoformat()
                    if summary.states_injury or published else None)

    width = _int(rng, 40, 120)
    blocks: list[list[str] | tuple[str, ...]] = []
    if published:
        blocks.append(_header_block(rng, header, width))
    blocks.append([wording.HOW_HEADING])
    for paragraph in how:
        blocks.append(_wrap_fixed(paragraph, width) if paragraph in _FIXED else wrap(paragraph, width))
    blocks.append([wording.SUMMARY_HEADING])
    blocks.append(_wrap_fixed(_SUMMARY_INTRO, width))
    blocks.append(wrap(summary.text, width))
    blocks.append([wording.ISSUES_HEADING])
    blocks.append(_wrap_fixed(_ISSUES_INTRO, width))
    reviewer_label = wording.REVIEWER_LABELS[0] if rng.random() < 0.97 else wording.REVIEWER_LABELS[1]
    for item in items:
        word = wording.UPHELD if item.decision == "upheld" else wording.OVERTURNED
        if rng.random() < 0.02:
            word = word.upper()
        colon = _pick(rng, (":  ", ": ", ":  ", " is: " if item.heading != item.service else ": "))
        if wording.WAS_ORIGINAL in item.heading:
            colon = " is: "
        alone = rng.random() < 0.15  # the decision word alone on the next line
        heading_text = item.heading + (colon.rstrip() if alone else colon + word)
        heading = wrap(heading_text, width)
        if alone:
            heading.append(word)
        claims = wrap(f"{wording.CLAIMS_LABEL} {item.claims}", width)
        if rng.random() < 0.03:  # extraction glued the next label to the decision
            heading[-1] += _pick(rng, ("", " ")) + claims.pop(0)
        blocks.append(heading)
        if claims:
            blocks.append(claims)
        blocks.append(wrap(f"{reviewer_label} " + item.reviewer, width))
        blocks.append(wrap(f"{wording.RATIONALE_LABEL} {item.rationale}", width))

    text = _render(rng, blocks)
    if rng.random() < 0.6:
        text = text.replace("“", '"').replace("”", '"').replace("’", "'")
    else:
        text = text.replace("'", "’")
    if rng.random() < 0.1:
        text = text.replace(" the ", " the\u00a0")
    if rng.random() < 0.15:
        text = text.replace("\n", "\r\n")
    roll = rng.random()
    if roll < 0.03:
        data_bytes = text.encode("cp1252")
    elif roll < 0.05:
        data_bytes = b"\xef\xbb\xbf" + text.encode("utf-8")
    else:
        data_bytes = text.encode("utf-8")

    truth = {
        "header": header,
        "reviewer": reviewer,
        "patient": {"age": summary.age, "sex": summary.sex, "injury_date": injury_truth},
        "diagnoses": summary.diagnoses,
        "items": [_item_truth(n, item) for n, item in enumerate(items, 1)],
    }
    return name + ".txt", data_bytes, truth


def _item_truth(ordinal: int, item: Item) -> dict:
    return {"ordinal": ordinal, "service": item.service, "decision": item.decision,
            "treatment_category": item.category, "treatment_subcategory": item.subcategory,
            "quantity": item.quantity, "quantity_unit": item.unit, "body_region": item.region,
            "body_region_source": item.region_source, "dwc_category": item.dwc[0], "dwc_subcategory": item.dwc[1], "drug": item.drug,
            "citations": item.citations}


@cache
def _case_offset(seed: int) -> int:
    return Random(seed).randrange(10_000_000)


# ------------------------------------------------------------------ corpus

def letters(n: int, seed: int = 0) -> Iterator[tuple[str, bytes, dict]]:
    """(relative path, bytes, manifest entry) for letters 0 … n-1."""
    for index in range(n):
        name, data_bytes, truth = compose(seed, index)
        path = f"{index // PER_DIR:04d}/{name}" if n > PER_DIR else name
        entry = {"path": path, "sha256": hashlib.sha256(data_bytes).hexdigest(), "format": "text",
                 **truth}
        yield path, data_bytes, entry


def generate(n: int, out_dir: str | Path, seed: int = 0,
             progress: Callable[[int], None] | None = None) -> Path:
    """Write ``n`` letters and the manifest under ``out_dir``; return the
    manifest's path.

    Streams: one letter in memory at a time, whatever ``n``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    made: set[str] = set()
    with manifest.open("w", encoding="utf-8", newline="\n") as index_file:
        for count, (path, data_bytes, entry) in enumerate(letters(n, seed), 1):
            folder, _, _ = path.rpartition("/")
            if folder and folder not in made:
                (out / folder).mkdir(exist_ok=True)
                made.add(folder)
            _write(f"{out}/{path}", data_bytes)
            index_file.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
            if progress and count % 1000 == 0:
                progress(count)
    return manifest


def _write(path: str, data_bytes: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data_bytes)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def previous_files(out_dir: str | Path) -> list[Path]:
    """The letters an earlier run listed in OUT_DIR's manifest."""
    manifest = Path(out_dir) / MANIFEST
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8") as f:
        return [Path(out_dir) / json.loads(line)["path"] for line in f if line.strip()]
