"""Stage 4: :class:`~imr_etl.transform.Letter` → record (plain dicts, the
contract of docs/record.md).

The vocabularies meet the letter here: each item is classified (taxonomy,
quantity, body region, the DWC's categories, the drug), each citation gets
its canonical document and topic, the reviewer's specialties and states their
names and codes, and the facts in the prose are read (:mod:`imr_etl.extract`).
Nothing here reads the letter's text but through the :class:`Letter`, except
a letter whose injury date needs the letter's own date to place a two-digit
year, and with no dated header (:func:`imr_etl.transform.dated`): that one
asks for its whole text (``text``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Callable

from imr_etl import classify, drugs, dwc, extract, guidelines
from imr_etl.transform import HEADER_KEYS, LETTER_DATES, Item, Letter, header_label, squash

HEADER_DATES = {"date_assigned", "injury_date", "decision_date", "ur_denial_date", "application_received"}


def record(letter: Letter, text: Callable[[], str]) -> dict:
    """The record of docs/record.md, less the file's own keys, of a letter
    whose items are :func:`~imr_etl.transform.located`; ``text()`` gives the
    normalized text, asked for only as the module's doc says."""
    header = _header(letter.header or [])
    summary = letter.summary
    age, sex = extract.age_and_sex(summary)
    # The letter's date is looked up only if a two-digit year needs it: with
    # no dated header, that is a scan of the whole letter.
    injury = (extract.injury_date(summary, lambda: _letter_date(header, text))
              or _iso_date(header["injury_date"]))
    items = [_item(n, item) for n, item in enumerate(letter.items, start=1)]
    return {
        "header": header,
        "reviewer": reviewer(letter.reviewer),
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


# ----------------------------------------------------------- reviewer

def reviewer(parts: tuple[dict | None, ...]) -> dict:
    """The reviewer from the qualifications sentence and the credentials:
    each key from the last part that says something of it."""
    out = {"specialties": [], "subspecialties": [], "board_certified": None, "licensure_states": []}
    for part in parts:
        out.update({k: v for k, v in _named(part or {}).items() if v not in (None, [])})
    out["board_specialties"] = classify.board_specialties(out["specialties"])
    return out


def _named(part: dict) -> dict:
    """A part of the reviewer as read, its specialties split into fields and
    its states as codes."""
    named = {}
    for key, value in part.items():
        if key == "specialty_text":
            named["specialties"] = classify.split_specialties(value)
        elif key == "subspecialty_text":
            named["subspecialties"] = classify.split_specialties(value)
        elif key == "state_names":
            named["licensure_states"] = list(_states(tuple(value)))
        else:
            named[key] = value
    return named


# Cached: a reviewer's states, as written, recur letter after letter.
@lru_cache(maxsize=4096)
def _states(names: tuple[str, ...]) -> tuple[str, ...]:
    codes = []
    for name in names:
        for part in re.split(r"\s*(?:,|\band\b|/)\s*", squash(name)):
            code = classify.state_code(part)
            if code and code not in codes:
                codes.append(code)
    return tuple(codes)


# ------------------------------------------------------------- header

def _header(fields: list[tuple[str, str | None]]) -> dict:
    header: dict = {key: None for key in dict.fromkeys(HEADER_KEYS.values())}
    header["other"] = {}
    for label, value in fields:
        label, key = header_label(label)
        if key in HEADER_DATES:
            header[key] = _header_date(value)
        elif key:
            header[key] = value
        else:
            header["other"][label] = value
    return header


# Cached, as header_label is: a corpus's letters are assigned and decided on
# the same days, and their labels are the template's.
@lru_cache(maxsize=4096)
def _header_date(value: str | None) -> str | None:
    """A header field's date, ISO; None if it has none."""
    return _iso(extract.parse_date(value))


def _letter_date(header: dict, text: Callable[[], str]) -> date | None:
    for key in LETTER_DATES:
        if header[key]:
            return date.fromisoformat(header[key])
    return extract.latest_date(text())


# -------------------------------------------------------------- items

def _item(ordinal: int, item: Item) -> dict:
    service = item.service
    citations = [_canonical(c) for c in item.citations]
    topics = " ".join(c["topic"] or "" for c in citations if c["cited_by"] == "reviewer")
    category, subcategory = classify.treatment(service, topics)
    quantity, unit = classify.quantity(service)
    named = classify.body_region(service)
    cited = (classify.cited_region(citations)
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
        "partial_authorization": _partial(item.partial_authorization),
        "citations": citations,
        "rationale": item.rationale,
        "span": {"start_line": item.span.first, "end_line": item.span.last},
    }


def _partial(partial: dict | None) -> dict | None:
    """A partial authorization, each request with its quantity read as the
    item's own (docs/record.md)."""
    if partial is None:
        return None
    original, authorized = partial["original_request"], partial["authorized"]
    return {"original_request": original, "original_quantity": classify.quantity(original)[0],
            "authorized": authorized, "authorized_quantity": classify.quantity(authorized)[0]}


def _canonical(citation: dict) -> dict:
    """A citation with the ids of its canonical document and topic."""
    guideline_id, topic_id = guidelines.canonical(citation["source"], citation["document"], citation["topic"])
    return {**citation, "guideline_id": guideline_id, "topic_id": topic_id}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
