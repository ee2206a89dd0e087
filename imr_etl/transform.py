"""Stage 3: parse tree → record (plain dicts, the contract of docs/record.md).

A Lark Transformer maps each grammar rule to plain data; the citation rules
are handled by :class:`imr_etl.citations.CitationTransformer`, merged in under
the grammar's ``citation`` namespace.  Facts in prose come from
:mod:`imr_etl.extract`, vocabularies from :mod:`imr_etl.classify`.
"""

from __future__ import annotations

import re
from datetime import date

from lark import Transformer, Tree
from lark.visitors import merge_transformers

from imr_etl import classify, drugs, dwc, extract, guidelines, wording
from imr_etl.citations import CitationTransformer
from imr_etl.normalize import Normalized, single_spaced

# A header label, lower-cased (the grammar reads labels in any case) → its key.
HEADER_KEYS = {label.lower(): key for label, key in wording.HEADER_LABELS.items()}
HEADER_DATES = {"date_assigned", "injury_date", "decision_date", "ur_denial_date", "application_received"}


def squash(text) -> str:
    return single_spaced(str(text)).strip()


class LetterTransformer(Transformer):
    """Rule by rule, the letter's tree as plain values."""

    # ---------------------------------------------------------- header
    def header(self, fields):
        return ("header", [f for f in fields if isinstance(f, tuple)])

    def header_field(self, children):
        label, value = children
        return squash(label).rstrip(": "), value

    def header_value(self, words):
        return squash(" ".join(words)) or None

    # -------------------------------------------------------- reviewer
    def determination(self, children):
        reviewer = {"specialties": [], "subspecialties": [], "board_certified": None,
                    "licensure_states": []}
        for part in children:
            if isinstance(part, dict):
                reviewer.update({k: v for k, v in part.items() if v not in (None, [])})
        reviewer["board_specialties"] = classify.board_specialties(reviewer["specialties"])
        return ("reviewer", reviewer)

    def reviewer_narrative(self, children):
        return children[0] if children and isinstance(children[0], dict) else None

    def qualification_sentence(self, children):
        return children[0]

    def qualification(self, parts):
        out = {}
        for part in parts:
            out.update(part)
        return out

    def board_certified(self, children):
        return {"board_certified": True, "specialties": classify.split_specialties(squash(children[-1]))}

    def licensed_in(self, children):
        return {"board_certified": False, "specialties": classify.split_specialties(squash(children[-1]))}

    def subspecialty(self, children):
        return {"subspecialties": classify.split_specialties(squash(children[0]))}

    def licensure(self, children):
        return {"licensure_states": _states([children[0]])}

    def credentials(self, children):
        out = {}
        for part in children:
            out.update(part)
        return out

    def licensure_list(self, items):
        return {"licensure_states": _states(items)}

    def specialty_list(self, items):
        specialties = [squash(i) for i in items if squash(i)]
        return {"specialties": specialties, "board_certified": True if specialties else None}

    # --------------------------------------------------------- summary
    def summary(self, prose):
        return ("summary", " ".join(squash(p) for p in prose))

    # ----------------------------------------------------------- items
    def issues(self, items):
        return ("items", items)

    def item(self, children):
        heading, *guidelines, rationale = children
        citations = []
        for cited_by, cited in guidelines:
            citations += [_canonical({**c, "cited_by": cited_by}) for c in cited]
        text, last_line = rationale
        return {**heading, "citations": citations, "rationale": text, "_last_line": last_line}

    def heading(self, children):
        *partial, service, decision = children
        return {"service": squash(service), "decision": str(decision).lower(),
                "partial_authorization": partial[0] if partial else None, "_line": service.line}

    def partial_authorization(self, children):
        """What was asked for and what the claims administrator authorized,
        each with its quantity read as the item's own (docs/record.md)."""
        original, authorized, _ = children
        return {"original_request": original, "original_quantity": classify.quantity(original)[0],
                "authorized": authorized, "authorized_quantity": classify.quantity(authorized)[0]}

    def original_request(self, children):
        return squash(children[0])

    def authorized(self, children):
        return squash(children[0])

    def remaining(self, _):
        return None

    def citations(self, statements):
        """The imported citation rule: its statements' citations, flattened."""
        return [cited for statement in statements for cited in statement]

    def claims_guideline(self, children):
        return "claims_administrator", children[0]

    def reviewer_guideline(self, children):
        return "reviewer", children[0]

    def rationale(self, children):
        """(text, logical line where it ends); the label is kept only for its line."""
        label, *prose = children
        return (squash(prose[0]) if prose else ""), (prose[0] if prose else label).line


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


def record(transformed: Tree, normalized: Normalized) -> dict:
    """:func:`build_record` of a tree :data:`TRANSFORMER` has already
    transformed, as the parser does when given it (``parse_tree(…, TRANSFORMER)``)."""
    parts = dict(transformed.children)
    header = _header(parts.get("header", []))
    summary = parts.get("summary", "")
    age, sex = extract.age_and_sex(summary)
    # The letter's date is looked up only if a two-digit year needs it: with
    # no dated header, that is a scan of the whole letter.
    injury = (extract.injury_date(summary, lambda: _letter_date(header, normalized))
              or _iso_date(header["injury_date"]))
    items = [_item(n, item, normalized) for n, item in enumerate(parts["items"], start=1)]
    return {
        "header": header,
        "reviewer": parts["reviewer"],
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


def _item(ordinal: int, item: dict, normalized: Normalized) -> dict:
    line, last_line = item.pop("_line"), item.pop("_last_line")
    service = item["service"]
    topics = " ".join(c["topic"] or "" for c in item["citations"] if c["cited_by"] == "reviewer")
    category, subcategory = classify.treatment(service, topics)
    quantity, unit = classify.quantity(service)
    named = classify.body_region(service)
    cited = (classify.cited_region(item["citations"])
             if named is None and classify.treats_a_region(category, subcategory) else None)
    dwc_category, dwc_subcategory = dwc.classify(service, category, subcategory, named)
    drug = drugs.drug(service) if dwc_category == "Pharmaceuticals" else None
    return {
        "ordinal": ordinal,
        "service": service,
        "decision": item["decision"],
        "treatment_category": category,
        "treatment_subcategory": subcategory,
        "quantity": quantity,
        "quantity_unit": unit,
        "body_region": named or cited,
        "body_region_source": "service" if named else "guideline" if cited else None,
        "dwc_category": dwc_category,
        "dwc_subcategory": dwc_subcategory,
        "drug": dict(drug) if drug else None,
        "partial_authorization": item["partial_authorization"],
        "citations": item["citations"],
        "rationale": item["rationale"],
        "span": {"start_line": normalized.origin(line).start,
                 "end_line": normalized.origin(last_line).end},
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
