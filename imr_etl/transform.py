"""Stage 3: parse tree → record (plain dicts, the contract of docs/record.md).

A Lark Transformer maps each grammar rule to plain data, in Lark's idiom: an
optional part arrives as ``None`` (the parser keeps placeholders), a rule
whose children are its arguments takes them inline (``@v_args(inline=True)``),
a rule whose children are the value is a type (``heading = tuple``).  (The
rules read for every item or citation unpack their children themselves:
Lark's inline wrapper costs three calls each time.)
The citation rules are handled by :class:`imr_etl.citations.CitationTransformer`,
merged in under the grammar's ``citation`` namespace.  What the transformer
makes of the whole letter is a :class:`Letter`; :func:`record` classifies its
items and reads the facts in its prose (:mod:`imr_etl.extract`) into the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lark import Transformer, Tree, v_args
from lark.visitors import merge_transformers

from imr_etl import classify, drugs, dwc, extract, guidelines, wording
from imr_etl.citations import CitationTransformer
from imr_etl.normalize import Normalized, single_spaced

# A header label, lower-cased (the grammar reads labels in any case) → its key.
HEADER_KEYS = {label.lower(): key for label, key in wording.HEADER_LABELS.items()}
HEADER_DATES = {"date_assigned", "injury_date", "decision_date", "ur_denial_date", "application_received"}


def squash(text) -> str:
    # (Stripped first: a token that ends its line ends in "\n", which would
    # send single_spaced down its slow path, a regex over the whole text.)
    return single_spaced(str(text).strip())


@dataclass(frozen=True)
class Lines:
    """Where a part of the letter lies: its first and last logical line
    (1-based, in the normalized text; :meth:`Normalized.origin` maps them
    back to the file's lines)."""

    first: int
    last: int


@dataclass
class Item:
    """A disputed item as the grammar reads it, before it is classified.
    (Not frozen, nor is :class:`Letter`: a frozen dataclass is built
    attribute by attribute through ``object.__setattr__``: about 1% of the
    grammar stage's time.)"""

    service: str
    decision: str  # "upheld" or "overturned"
    partial_authorization: dict | None
    citations: list[dict]
    rationale: str
    lines: Lines


@dataclass
class Letter:
    """The letter as the grammar reads it (the transformer's result)."""

    header: list[tuple[str, str | None]] | None  # (label as written, value); None: no header block
    reviewer: dict
    summary: str
    items: list[Item]


class LetterTransformer(Transformer):
    """Rule by rule, the letter's tree as plain values."""

    start = v_args(inline=True)(Letter)

    # ---------------------------------------------------------- header
    @v_args(inline=True)
    def header(self, _preamble, *fields):
        """Each field as (label as written, "Case Number:"; value or None):
        a field's token is split at its first colon, the label's."""
        return [(label + ":", squash(value) or None)
                for label, _, value in (field.partition(":") for field in fields)]

    # -------------------------------------------------------- reviewer
    @v_args(inline=True)
    def determination(self, narrative, credentials):
        """The reviewer, from the qualifications sentence or the credentials
        (either may be missing or say nothing of a key)."""
        reviewer = {"specialties": [], "subspecialties": [], "board_certified": None,
                    "licensure_states": []}
        for part in (narrative, credentials):
            reviewer.update({k: v for k, v in (part or {}).items() if v not in (None, [])})
        reviewer["board_specialties"] = classify.board_specialties(reviewer["specialties"])
        return reviewer

    def plain_narrative(self, _):
        """A paragraph without the qualifications sentence: nothing read."""
        return None

    @v_args(inline=True)
    def qualification_sentence(self, qualification, _rest=None):
        return qualification

    @v_args(inline=True)
    def qualification(self, certification, subspecialty, licensure):
        return _merged(certification, subspecialty, licensure)

    @v_args(inline=True)
    def board_certified(self, _lead, field):
        return {"board_certified": True, "specialties": classify.split_specialties(squash(field))}

    @v_args(inline=True)
    def licensed_in(self, field):
        return {"board_certified": False, "specialties": classify.split_specialties(squash(field))}

    @v_args(inline=True)
    def subspecialty(self, field):
        return {"subspecialties": classify.split_specialties(squash(field))}

    @v_args(inline=True)
    def licensure(self, state):
        return {"licensure_states": _states([state])}

    @v_args(inline=True)
    def credentials(self, licensure, specialty):
        return _merged(licensure, specialty)

    def licensure_list(self, line):
        return {"licensure_states": _states(_items(line))}

    def specialty_list(self, line):
        specialties = [squash(i) for i in _items(line) if squash(i)]
        return {"specialties": specialties, "board_certified": True if specialties else None}

    # --------------------------------------------------------- summary
    def summary(self, prose):
        return " ".join(squash(p) for p in prose)

    # ----------------------------------------------------------- items
    issues = list

    def heading(self, children):
        """(partial authorization or None, service, decision, its line), from
        SERVICE_DECISION, cut at the service's last colon, or from SERVICE
        and DECISION."""
        partial, service, *decision = children
        if decision:
            [decision] = decision
        else:
            cut = service.rindex(":") + 1
            service, decision = service[:cut], service[cut:]
        return partial, _service(service), decision.strip().lower(), children[1].line

    def item(self, children):
        """An item: its heading, the two guideline paragraphs' citations
        (either paragraph may be missing) and the rationale's line, RATIONALE
        or NL_RATIONALE (its text may be missing)."""
        (partial, service, decision, line), claims, reviewer, rationale = children
        cited = [_canonical({**c, "cited_by": cited_by})
                 for cited_by, paragraph in (("claims_administrator", claims), ("reviewer", reviewer))
                 for c in paragraph or ()]
        return Item(service=service, decision=decision, partial_authorization=partial,
                    citations=cited, rationale=squash(rationale[rationale.index(":") + 1:]),
                    lines=Lines(line, rationale.end_line - 1))  # (it ends with its line's end)

    @v_args(inline=True)
    def partial_authorization(self, original, authorized):
        """What was asked for and what the claims administrator authorized,
        each with its quantity read as the item's own (docs/record.md)."""
        original, authorized = squash(original), squash(authorized)
        return {"original_request": original, "original_quantity": classify.quantity(original)[0],
                "authorized": authorized, "authorized_quantity": classify.quantity(authorized)[0]}

    def citations(self, statements):
        """The imported citation rule: its statements' citations, flattened."""
        return [cited for statement in statements for cited in statement]


def _service(token: str) -> str:
    """A SERVICE token's text less the "( is)? *: *" it ends with (the
    token's last colon, grammars/letter.lark).  The service itself never ends
    in " is" when the colon's " is" is missing: it would have ended before it."""
    text = token[: token.rindex(":")].rstrip(" ")
    return squash(text[:-3] if text.endswith(" is") else text)


def _items(children) -> list[str]:
    """A list's items: its line's text after the label's colon, split at the
    commas (a LICENSURE_LINE or SPECIALTY_LINE, grammars/letter.lark)."""
    [line] = children
    return line[line.index(":") + 1 :].split(",")


def _merged(*parts: dict | None) -> dict:
    """The parts read of the reviewer, one dict (a missing part is None)."""
    out = {}
    for part in parts:
        out.update(part or {})
    return out


def _states(names) -> list[str]:
    codes = []
    for name in names:
        for part in re.split(r"\s*(?:,|\band\b|/)\s*", squash(name)):
            code = classify.state_code(part)
            if code and code not in codes:
                codes.append(code)
    return codes


TRANSFORMER = merge_transformers(LetterTransformer(), citation=CitationTransformer())


def build_record(tree: Tree, normalized: Normalized) -> dict:
    """The record of docs/record.md, less the file's own keys."""
    return record(TRANSFORMER.transform(tree), normalized)


def record(letter: Letter, normalized: Normalized) -> dict:
    """:func:`build_record` of a tree :data:`TRANSFORMER` has already
    transformed, as the parser does when given it (``parse_tree(…, TRANSFORMER)``)."""
    header = _header(letter.header or [])
    summary = letter.summary
    age, sex = extract.age_and_sex(summary)
    # The letter's date is looked up only if a two-digit year needs it: with
    # no dated header, that is a scan of the whole letter.
    injury = (extract.injury_date(summary, lambda: _letter_date(header, normalized))
              or _iso_date(header["injury_date"]))
    items = [_item(n, item, normalized) for n, item in enumerate(letter.items, start=1)]
    return {
        "header": header,
        "reviewer": letter.reviewer,
        "patient": {"age": age, "sex": sex, "injury_date": _iso(injury)},
        "diagnoses": extract.diagnoses(summary),
        "outcome": outcome(items),
        "items": items,
    }


def outcome(items: list[dict]) -> str:
    """The letter's outcome as the DWC reports a case: ``upheld`` (every item
    upheld), ``overturned`` (every item overturned) or ``partially_overturned``."""
    decisions = {item["decision"] for item in items}
    return decisions.pop() if len(decisions) == 1 else "partially_overturned"


def _header(fields: list[tuple[str, str | None]]) -> dict:
    header: dict = {key: None for key in dict.fromkeys(HEADER_KEYS.values())}
    header["other"] = {}
    for label, value in fields:
        label = squash(label).rstrip(": ")
        key = HEADER_KEYS.get(label.lower())
        if key in HEADER_DATES:
            header[key] = _iso(extract.parse_date(value))
        elif key:
            header[key] = value
        else:
            header["other"][label] = value
    return header


def _letter_date(header: dict, normalized: Normalized) -> date | None:
    for key in ("decision_date", "application_received", "date_assigned"):
        if header[key]:
            return date.fromisoformat(header[key])
    return extract.latest_date(normalized.text)


def _item(ordinal: int, item: Item, normalized: Normalized) -> dict:
    service = item.service
    topics = " ".join(c["topic"] or "" for c in item.citations if c["cited_by"] == "reviewer")
    category, subcategory = classify.treatment(service, topics)
    quantity, unit = classify.quantity(service)
    named = classify.body_region(service)
    cited = (classify.cited_region(item.citations)
             if named is None and classify.treats_a_region(category, subcategory) else None)
    dwc_category, dwc_subcategory = dwc.classify(service, category, subcategory, named)
    drug = drugs.drug(service) if dwc_category == "Pharmaceuticals" else None
    return {
        "ordinal": ordinal,
        "service": service,
        "decision": item.decision,
        "treatment_category": category,
        "treatment_subcategory": subcategory,
        "quantity": quantity,
        "quantity_unit": unit,
        "body_region": named or cited,
        "body_region_source": "service" if named else "guideline" if cited else None,
        "dwc_category": dwc_category,
        "dwc_subcategory": dwc_subcategory,
        "drug": dict(drug) if drug else None,
        "partial_authorization": item.partial_authorization,
        "citations": item.citations,
        "rationale": item.rationale,
        "span": {"start_line": normalized.origin(item.lines.first).start,
                 "end_line": normalized.origin(item.lines.last).end},
    }


def _canonical(citation: dict) -> dict:
    """A citation with the ids of its canonical document and topic."""
    citation["guideline_id"], citation["topic_id"] = guidelines.canonical(
        citation["source"], citation["document"], citation["topic"])
    return citation


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
