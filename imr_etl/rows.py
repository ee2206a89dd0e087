"""Stage 5b: one parse record → plain row tuples for each warehouse table.

Pure functions of the record (no database, no I/O), so they can run in any
process: the loader ships the tuples to the database in set-wise batches.
Every row is a tuple in its table's column order (:mod:`imr_etl.schema`).

Keys are 63-bit hashes of natural keys (:func:`key`): a letter's key is the
hash of its identity — its case number when it has one, else its source
path — and a decision's is the hash of the letter's identity and the item's
ordinal, so reloading a letter reproduces the same keys.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from operator import itemgetter
from typing import Iterable

from sqlalchemy import Table

from imr_etl import aggregates, classify, conditions, dwc, guidelines, lineage, schema
from imr_etl.vocabulary import rows as vocab

_SEP = "\x1f"


def key(*parts: object) -> int:
    """A stable positive 63-bit key for a natural key (any tuple of values)."""
    text = _SEP.join(["\x00" if p is None else str(p) for p in parts])
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def row(table: Table, **values: object) -> tuple:
    """``values`` as a tuple in ``table``'s column order (every column required)."""
    return _pick_columns(table)(values)


@cache
def _pick_columns(table: Table) -> itemgetter:
    """``values`` → the tuple of ``values[name]`` for each column name, in
    order: :func:`row` as one call in C (it runs for every row, and
    SQLAlchemy's column collection is slow to iterate)."""
    names = tuple(c.name for c in table.columns)
    assert len(names) > 1  # (an itemgetter of one name returns the value, not a tuple)
    return itemgetter(*names)


@dataclass
class LetterRows:
    """Everything one letter writes, by table name."""

    letter_key: int
    letter_id: str
    sha256: str
    source_path: str
    tables: dict[str, list[tuple]] = field(default_factory=dict)
    guideline_share: list[tuple] = field(default_factory=list)  # its agg_guideline_document rows
    # dim_guideline_document rows for the documents it cites, as this letter
    # alone would name them (the writer keeps the first by document_order)
    documents: list[tuple] = field(default_factory=list)
    text: bytes | None = None  # the text parsed, when extracted from a PDF (kept in etl_pdf_text)
    kept_parse: bytes | None = None  # the grammar's output to keep (imr_etl.kept), when just parsed
    from_kept_parse: bool = False  # made from the grammar's output kept by an earlier load

    @property
    def record_sha256(self) -> str:
        """Digest of its rows (:func:`imr_etl.lineage.record_digest`)."""
        return self.tables["dim_letter"][0][_RECORD_SHA256]

    @property
    def decisions(self) -> int:
        return len(self.tables.get(schema.fact_decision.name, ()))

    @property
    def unclassified(self) -> int:
        """Its decisions the DWC's taxonomy leaves 'Unclassified'."""
        return sum(d[_DWC_CATEGORY] == dwc.UNCLASSIFIED for d in self.tables.get(schema.fact_decision.name, ()))


# ------------------------------------------------------------ small derivations

AGE_BANDS = ((30, "under 30"), (40, "30-39"), (50, "40-49"), (60, "50-59"), (70, "60-69"))


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    for upper, band in AGE_BANDS:
        if age < upper:
            return band
    return "70 and over"


_QUANTITY_MARK = re.compile(r"\s*#\s*\d+(\.\d+)?")
_SPACES = re.compile(r"\s+")


# Cached: a corpus asks for the same services letter after letter.  Every
# cache of a worker is bounded (8,192 entries at most here), so that its
# memory stops growing early in a load (benchmarks/README.md, issue 15).
@lru_cache(maxsize=1 << 13)
def service_label(service: str) -> str:
    """The service text normalized for grouping: lower case, one space, no
    ``#60``-style counts, no trailing punctuation."""
    text = _QUANTITY_MARK.sub("", service or "")
    return _SPACES.sub(" ", text).strip(" .,;:").lower()


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def date_key(value: date | None) -> int | None:
    return value.year * 10000 + value.month * 100 + value.day if value else None


# Dimension rows are pure functions of a few values that repeat across letters
# (days, services, guidelines): each is built once per process, and its CSV line
# once while it stays cached (outcomes.encode_recurring).
@lru_cache(maxsize=1 << 13)
def date_row(value: date) -> tuple:
    return row(schema.dim_date, date_key=date_key(value), date=value, year=value.year,
               quarter=(value.month - 1) // 3 + 1, month=value.month,
               month_name=value.strftime("%B"), year_month=value.strftime("%Y-%m"),
               day_of_month=value.day, day_of_week=value.isoweekday(),
               day_name=value.strftime("%A"), is_weekend=value.isoweekday() >= 6)


@cache
def _regions() -> dict[str, dict[str, str]]:
    return {r["region"]: r for r in vocab("regions.csv")}


@lru_cache(maxsize=1 << 10)
def body_region_row(region: str) -> tuple:
    info = _regions().get(region, {"label": region.replace("_", " ").capitalize(), "region_group": region})
    return row(schema.dim_body_region, body_region_key=key("body_region", region), body_region=region,
               label=info["label"], region_group=info["region_group"])


def body_region_rows() -> list[tuple]:
    """Every body region of the vocabulary (loaded up front, so the dimension is
    complete even for regions no letter has named yet)."""
    return [body_region_row(region) for region in _regions()]


@cache
def _labels() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    categories = {r["category"]: r["label"] for r in vocab("categories.csv")}
    subcategories = {(r["category"], r["subcategory"]): r["label"] for r in vocab("taxonomy.csv")}
    return categories, subcategories


@lru_cache(maxsize=1 << 13)
def service_row(category: str, subcategory: str, label: str) -> tuple:
    categories, subcategories = _labels()
    return row(schema.dim_service, service_key=key("service", category, subcategory, label),
               service_label=label, treatment_category=category, treatment_subcategory=subcategory,
               category_label=categories.get(category, category),
               subcategory_label=subcategories.get((category, subcategory), subcategory))


def reviewer_row(reviewer: dict) -> tuple:
    specialties = "; ".join(reviewer.get("specialties") or [])
    subspecialties = "; ".join(reviewer.get("subspecialties") or [])
    states = reviewer.get("licensure_states") or []
    certified = reviewer.get("board_certified")
    return row(schema.dim_reviewer,
               reviewer_key=key("reviewer", specialties, subspecialties, certified, ",".join(states)),
               specialties=specialties, subspecialties=subspecialties, board_certified=certified,
               licensure_states=", ".join(states), licensed_in_california="CA" in states,
               primary_specialty=(reviewer.get("specialties") or [None])[0],
               specialty_count=len(reviewer.get("specialties") or []),
               board_specialties="; ".join(reviewer["board_specialties"]))


def specialty_rows(reviewer_key: int, specialties: str) -> list[tuple]:
    """``bridge_reviewer_specialty``: each specialty of a profile (its
    '; '-joined ``specialties``) with the DWC board specialty it names."""
    return list(_specialty_rows(reviewer_key, specialties))


@lru_cache(maxsize=1 << 13)
def _specialty_rows(reviewer_key: int, specialties: str) -> tuple[tuple, ...]:
    return tuple(row(schema.bridge_reviewer_specialty, reviewer_key=reviewer_key, position=position,
                     specialty=specialty, board_specialty=board)
                 for position, specialty, board in _specialty_mapping(specialties))


@lru_cache(maxsize=1 << 13)
def _specialty_mapping(specialties: str) -> tuple[tuple[int, str, str | None], ...]:
    return tuple((position, specialty, board)
                 for position, specialty in enumerate(specialties.split("; ") if specialties else [], 1)
                 for board in classify.board_specialties([specialty]) or [None])


def guideline_row(citation: dict) -> tuple:
    return _guideline_row(citation["source"], citation.get("document"), citation.get("topic"),
                          citation["guideline_id"], citation.get("topic_id"))


@lru_cache(maxsize=1 << 13)
def _guideline_row(source: str, document: str | None, topic: str | None,
                   guideline_id: str, topic_id: str | None) -> tuple:
    return row(schema.dim_guideline, guideline_key=key("guideline", source, document, topic),
               source=source, document=document, topic=topic, guideline_id=guideline_id, topic_id=topic_id)


@cache
def catalogue() -> dict[str, dict]:
    """The canonical documents imr-etl knows (:func:`imr_etl.guidelines.documents`),
    by guideline_id — read once per process, when this module is imported,
    before the process parses anything: documents() also lists the documents
    outside the catalogue that its process has met, named by the spelling it
    met first, which would make a row depend on which process parsed which
    letter.  Every process sees the same catalogue; a document outside it is
    named by the warehouse's own rule (:func:`guideline_document_row`)."""
    return {d["guideline_id"]: d for d in guidelines.documents()}


@lru_cache(maxsize=1 << 13)
def guideline_document_row(guideline_id: str, source: str, document: str | None) -> tuple:
    """The ``dim_guideline_document`` row of a canonical document, as a
    citation spelled (source, document) names it: the catalogue's row, else
    one named by the spelling — of which the warehouse keeps the first in
    :func:`document_order`, whichever letter came first."""
    known = catalogue().get(guideline_id)
    if known is not None:
        return row(schema.dim_guideline_document, **{c.name: known.get(c.name)
                                                     for c in schema.dim_guideline_document.columns})
    return row(schema.dim_guideline_document, guideline_id=guideline_id, source=source, document=document,
               edition=None, chapter=None, acoem_chapter=None, label=document_label(source, document))


def document_label(source: str, document: str | None) -> str:
    """A document's label as the catalogue writes them: 'ODG Low Back', the
    name alone for OTHER sources or a name that starts with its source."""
    if not document:
        return source
    return document if source == "OTHER" or document.startswith(source) else f"{source} {document}"


def document_order(document_row: tuple) -> tuple:
    """Sort key among the rows several spellings give one document: the
    warehouse keeps the first — named rather than not, then alphabetically —
    so its name does not depend on which letter came first (the catalogue's
    row is the same from every spelling)."""
    return tuple((value is None, value or "") for value in document_row)


def first_document(rows_: Iterable[tuple]) -> dict[str, tuple]:
    """One ``dim_guideline_document`` row per guideline_id: the first by
    :func:`document_order` of those given."""
    out: dict[str, tuple] = {}
    for candidate in rows_:
        kept = out.get(candidate[0])
        # (the same document cited again is usually the very same cached row)
        if kept is None or (candidate is not kept and document_order(candidate) < document_order(kept)):
            out[candidate[0]] = candidate
    return out


@lru_cache(maxsize=1 << 12)
def drug_row(generic: str | None, drug_class: str | None) -> tuple:
    return row(schema.dim_drug, drug_key=key("drug", generic, drug_class), generic=generic,
               drug_class=drug_class)


@lru_cache(maxsize=1 << 13)
def condition_row(diagnosis: str) -> tuple:
    condition, region = conditions.condition(diagnosis)
    return row(schema.dim_condition, condition_key=key("condition", condition, region),
               condition=condition, body_region=region)


def citation_summary(citations: list[dict]) -> dict[str, object]:
    """A decision's citations counted and their sources listed by party, as
    ``fact_decision`` keeps them (the sources distinct, sorted, ', '-joined;
    None when the party cites nothing)."""
    out: dict[str, object] = {}
    for party in aggregates.PARTIES:
        sources = [c["source"] for c in citations if c["cited_by"] == party]
        out[f"{party}_citations"] = len(sources)
        out[f"{party}_sources"] = ", ".join(sorted(set(sources))) or None
    return out


def partial_authorization(item: dict) -> dict[str, object]:
    """fact_decision's columns of the item's partial authorization."""
    partial = item.get("partial_authorization") or {}
    return {"partial_authorization": bool(partial), **{name: partial.get(name) for name in (
        "original_request", "original_quantity", "authorized", "authorized_quantity")}}


def shared_guidelines(citations: list[dict]) -> int:
    """How many canonical documents both parties cite (however each spells them)."""
    by_party = {party: {c["guideline_id"] for c in citations if c["cited_by"] == party}
                for party in aggregates.PARTIES}
    return len(set.intersection(*by_party.values()))


_OVERTURNED = [c.name for c in schema.fact_decision.columns].index("overturned")
_DWC_CATEGORY = [c.name for c in schema.fact_decision.columns].index("dwc_category")
_LETTER_COLUMNS = [c.name for c in schema.dim_letter.columns]
# outside the record digest: what a load writes about the writing, and the file's
# path (a copy of a letter elsewhere is the same letter: it does not rewrite it)
_LETTER_LINEAGE = [_LETTER_COLUMNS.index(c) for c in ("load_run_id", "loaded_at", "parser_fingerprint",
                                                     "record_sha256", "source_path")]
_RECORD_SHA256 = _LETTER_COLUMNS.index("record_sha256")


def _json_object(values: dict | None) -> str:
    """``values`` as a JSON object, keys sorted ("{}" if none: most letters'
    header has no other field, and json.dumps costs a letter more than that)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else "{}"


# ------------------------------------------------------------------ the letter

def letter_identity(record: dict) -> str:
    """A letter is its case number when it has one, else its source path."""
    return record["header"].get("case_number") or record["source_path"]


def letter_rows(record: dict, run_id: int, loaded_at: datetime) -> LetterRows:
    """The rows of every table for one parse record (docs/record.md)."""
    header, patient = record["header"], record["patient"]
    letter_id = letter_identity(record)
    letter_key = key("letter", letter_id)
    reviewer = reviewer_row(record["reviewer"])
    reviewer_key = reviewer[0]

    dates = {name: _date(header.get(name)) for name in
             ("date_assigned", "decision_date", "ur_denial_date", "application_received", "injury_date")}
    injury_date = _date(patient.get("injury_date"))
    dims: dict[str, dict[int, tuple]] = {t.name: {} for t in schema.DIMENSIONS}
    dims["dim_reviewer"][reviewer_key] = reviewer
    specialties = specialty_rows(reviewer_key, reviewer[1])
    for value in (*dates.values(), injury_date):
        if value:
            dims["dim_date"][date_key(value)] = date_row(value)

    decisions, citations, documents = [], [], []
    for item in record["items"]:
        decision_key = key("decision", letter_id, item["ordinal"])
        service = service_row(item["treatment_category"], item["treatment_subcategory"],
                              service_label(item["service"]))
        dims["dim_service"][service[0]] = service
        region_key = None
        if item.get("body_region"):
            region = body_region_row(item["body_region"])
            region_key = region[0]
            dims["dim_body_region"][region_key] = region
        for position, citation in enumerate(item["citations"], 1):
            guideline = guideline_row(citation)
            dims["dim_guideline"][guideline[0]] = guideline
            documents.append(guideline_document_row(citation["guideline_id"], citation["source"],
                                                    citation.get("document")))
            citations.append(row(schema.fact_citation, decision_key=decision_key, position=position,
                                 letter_key=letter_key, guideline_key=guideline[0],
                                 cited_by=citation["cited_by"], pages=citation.get("pages"),
                                 section=citation.get("section")))
        drug = item.get("drug") or {}
        drug_key = None
        if drug:
            found = drug_row(drug.get("generic"), drug.get("drug_class"))
            drug_key = found[0]
            dims["dim_drug"][drug_key] = found
        span = item.get("span") or {}
        decisions.append(row(
            schema.fact_decision, decision_key=decision_key, letter_key=letter_key,
            ordinal=item["ordinal"], service_key=service[0], reviewer_key=reviewer_key,
            body_region_key=region_key, decision_date_key=date_key(dates["decision_date"]),
            ur_denial_date_key=date_key(dates["ur_denial_date"]), injury_date_key=date_key(injury_date),
            decision=item["decision"], overturned=int(item["decision"] == "overturned"),
            quantity=item.get("quantity"), quantity_unit=item.get("quantity_unit"),
            service=item["service"], rationale=item.get("rationale"),
            start_line=span.get("start_line"), end_line=span.get("end_line"),
            citation_count=len(item["citations"]), **citation_summary(item["citations"]),
            dwc_category=item["dwc_category"], dwc_subcategory=item.get("dwc_subcategory"),
            drug_key=drug_key, drug_brand=drug.get("brand"), drug_strength=drug.get("strength"),
            drug_dose_form=drug.get("dose_form"), **partial_authorization(item),
            shared_guidelines=shared_guidelines(item["citations"]),
            body_region_source=item.get("body_region_source")))

    diagnoses = []
    for position, diagnosis in enumerate(record.get("diagnoses") or [], 1):
        condition = condition_row(diagnosis)
        dims["dim_condition"][condition[0]] = condition
        diagnoses.append(row(schema.fact_diagnosis, letter_key=letter_key, position=position,
                             condition_key=condition[0], diagnosis=diagnosis))

    letter = row(
        schema.dim_letter, letter_key=letter_key, letter_id=letter_id,
        case_number=header.get("case_number"), source_path=record["source_path"],
        sha256=record["sha256"], format=record["format"],
        date_assigned=dates["date_assigned"], decision_date=dates["decision_date"],
        ur_denial_date=dates["ur_denial_date"], application_received=dates["application_received"],
        header_injury_date=dates["injury_date"], priority=header.get("priority"),
        header_other=_json_object(header.get("other")),
        patient_age=patient.get("age"), age_band=age_band(patient.get("age")),
        patient_sex=patient.get("sex"), injury_date=injury_date,
        diagnoses="; ".join(record.get("diagnoses") or []) or None,
        diagnosis_count=len(record.get("diagnoses") or []), decision_count=len(decisions),
        overturned_count=sum(d[_OVERTURNED] for d in decisions),
        reviewer_key=reviewer_key, load_run_id=run_id, loaded_at=loaded_at,
        parser_fingerprint=lineage.fingerprint(), record_sha256=None)

    tables = {name: list(found.values()) for name, found in dims.items()}
    tables.update({"dim_letter": [letter], "fact_decision": decisions, "fact_citation": citations,
                   "fact_diagnosis": diagnoses, "bridge_reviewer_specialty": specialties})
    digest = lineage.record_digest(tables, {"dim_letter": _LETTER_LINEAGE})
    tables["dim_letter"] = [letter[:_RECORD_SHA256] + (digest,) + letter[_RECORD_SHA256 + 1:]]
    share = aggregates.letter_share([(int(item["decision"] == "overturned"), item["citations"])
                                     for item in record["items"]])
    return LetterRows(letter_key, letter_id, record["sha256"], record["source_path"], tables, share,
                      list(first_document(documents).values()))


catalogue()  # now, before this process parses a letter (see catalogue)
