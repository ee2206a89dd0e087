"""The conformed dimensions in the warehouse (revision 0004, issue 11):
canonical guideline documents, DWC board specialties, the DWC's category and
the drug of each item, diagnoses as rows — loaded, kept through re-mappings,
and backfilled by the upgrade of an existing warehouse, on DuckDB and
PostgreSQL.

The mappings themselves (imr_etl.guidelines, drugs, classify.board_specialties,
conditions) are written elsewhere; most tests here run with small doubles of
them (below) that exercise every path of the warehouse: spellings merged into
one document, a catalogue and documents outside it, drugs, specialties that
map to no DWC board specialty.  Expected figures come from the letters (read
through their parse records, counted here independently of the warehouse).
"""

from __future__ import annotations

import shutil
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from helpers import BACKENDS, CATALOGUE, ODG, REAL, RUN_COLUMNS, SEEDS, VOLATILE, _clear_caches, _patch, decision_lines, fake_board_specialties, fake_drug, imr_etl, query
import pgserver
from imr_etl import checks, conformed, lineage, schema, warehouse
from imr_etl.letters import parse_file
from imr_etl.writer import load

LETTER = REAL[[p.name for p in REAL].index("CM17-0007142.txt")]

# ------------------------------------------------------- the mappings' doubles


# -------------------------------------------------------------- helpers

def items(paths=SEEDS + REAL) -> list[tuple[Path, dict, dict]]:
    """(letter, record, item) of every decision of the letters, as parsed now
    (with the doubles, when they are in place)."""
    found = []
    for path in paths:
        record = parse_file(path)
        found += [(path, record, item) for item in record["items"]]
    return found


# What a warehouse upgraded from before revision 0005 cannot know: the wording
# of a partial authorization's heading was never kept (NULL until re-read).
UNKNOWN_BEFORE_0005 = ("partial_authorization", "original_request", "original_quantity", "authorized",
                       "authorized_quantity",
                       # nor, before revision 0007, which parser derived a letter (the next load re-derives it)
                       "parser_fingerprint", "record_sha256")


def relations(upgraded: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """Every table and view that holds letters' data, with the columns that
    differ between two loads of the same letters (when, by which run) and,
    for a warehouse ``upgraded`` from before revision 0005, what it cannot know."""
    unknown = UNKNOWN_BEFORE_0005 if upgraded else ()
    tables = [(t.name, RUN_COLUMNS + unknown) for t in schema.metadata.sorted_tables
              if t.name not in ("etl_load_run", "etl_source_file")]
    views = [(v.name, VOLATILE.get(v.name, ()) + unknown) for v in warehouse.views()
             if VOLATILE.get(v.name, ()) is not None and not (upgraded and v.name == "v_partial_authorizations")]
    return tables + views


def bag(db: str, relation: str, skip: tuple[str, ...]) -> Counter:
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        result = conn.exec_driver_sql(f"SELECT * FROM {relation}")
        keep = [i for i, name in enumerate(result.keys()) if name not in skip]
        return Counter(tuple(row[i] for i in keep) for row in result)


def except_all(a: str, b: str, upgraded: bool = False) -> dict[str, tuple[int, int]]:
    """Per relation whose rows differ: (rows of ``a`` EXCEPT ALL ``b``, rows of
    ``b`` EXCEPT ALL ``a``) — multiset differences, counted in Python because
    two PostgreSQL databases cannot be queried together."""
    out = {}
    for relation, skip in relations(upgraded):
        left, right = bag(a, relation, skip), bag(b, relation, skip)
        if left != right:
            out[relation] = (sum((left - right).values()), sum((right - left).values()))
    return out


def failed_checks(db: str) -> list[str]:
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        return [r.check.name for r in checks.run(conn) if not r.ok]


@pytest.fixture
def databases(tmp_path):
    """``new(backend)``: an empty warehouse of that backend, as many as asked."""
    with ExitStack() as stack:
        count = iter(range(100))

        def new(backend: str) -> str:
            if backend == "postgresql":
                return stack.enter_context(pgserver.database(pgserver.server()))
            return str(tmp_path / f"w{next(count)}.duckdb")

        yield new


# ----------------------------------------------------------- the upgrade

@pytest.mark.parametrize("backend", BACKENDS)
def test_an_upgraded_warehouse_equals_a_clean_load(backend, databases, doubles):
    """A warehouse at revision 0003 (loaded, then downgraded: the conformed
    columns and tables go, every row stays), upgraded in place, holds what a
    load of the same letters at head holds — every table and view, EXCEPT ALL
    both ways — and passes every check; the next load re-maps nothing and
    writes nothing."""
    clean, upgraded = databases(backend), databases(backend)
    assert load([], clean, jobs=1).quarantined == 0
    load([], upgraded, jobs=1)
    with warehouse.open_engine(upgraded) as engine:
        warehouse.downgrade(engine, "0003")
        assert warehouse.current_revision(engine) == "0003"
    tables = {name for (name,) in query(upgraded, "SELECT table_name FROM information_schema.tables "
                                                  "WHERE table_schema = current_schema()")}
    assert not tables & {"dim_guideline_document", "bridge_reviewer_specialty", "dim_drug", "dim_condition",
                         "fact_diagnosis"}
    assert query(upgraded, "SELECT count(*) FROM fact_decision") == query(clean, "SELECT count(*) FROM fact_decision")

    with warehouse.open_engine(upgraded) as engine:
        warehouse.migrate(engine)
    assert except_all(clean, upgraded, upgraded=True) == {}
    assert query(upgraded, "SELECT count(*) FROM fact_decision WHERE partial_authorization IS NOT NULL") == [(0,)]
    # every check holds but the one saying no load has re-derived the letters yet
    assert failed_checks(upgraded) == ["letter_derived_by_this_parser"]
    # not a comparison of empty tables: each conformed table has rows, the doubles' mappings among them
    for table in ("dim_guideline_document", "bridge_reviewer_specialty", "dim_drug", "dim_condition",
                  "fact_diagnosis"):
        assert query(upgraded, f"SELECT count(*) FROM {table}")[0][0] > 0, table
    assert query(upgraded, "SELECT count(*) FROM bridge_reviewer_specialty WHERE board_specialty IS NULL")[0][0] > 0
    assert query(upgraded, "SELECT label FROM dim_guideline_document WHERE guideline_id = ?", ODG) == \
        [("ODG Treatment in Workers' Comp",)]
    # the runs before 0004 counted no Unclassified items and recorded no vocabulary
    assert query(upgraded, "SELECT decisions_unclassified, vocabulary_sha256 FROM etl_load_run") == [(None, None)]

    # first load after the upgrade: re-maps (no digest yet), finds it done; re-derives each letter once
    # (none has a parser fingerprint yet), which writes the rows it already has
    again = load([], upgraded, jobs=1)
    assert (again.new, again.updated, again.rederived) == (0, 0, 110)
    assert except_all(clean, upgraded, upgraded=True) == {}
    assert failed_checks(upgraded) == []


def test_the_upgrade_by_the_command_line_equals_a_clean_load(tmp_path):
    """`imr-etl migrate` in a process of its own, which maps every spelling
    before anything else: the documents it names are those a load names (a
    process's guidelines.documents() also lists what it met: not read)."""

    clean, upgraded = str(tmp_path / "clean.duckdb"), str(tmp_path / "upgraded.duckdb")
    for db in (clean, upgraded):
        assert imr_etl("load", "--db", db, "--quiet", "--jobs", "2").returncode == 0
    with warehouse.open_engine(upgraded) as engine:
        warehouse.downgrade(engine, "0003")
    migrated = imr_etl("migrate", "--db", upgraded)
    assert migrated.returncode == 0, migrated.stderr
    assert except_all(clean, upgraded, upgraded=True) == {}


def test_the_downgrade_regroups_the_aggregate_by_spelling(tmp_path, doubles):
    """At 0003 the guideline aggregate is by (cited_by, source, document) as
    written: a decision counts once per spelling its citer writes."""
    db = str(tmp_path / "w.duckdb")
    load([], db, jobs=1)
    with warehouse.open_engine(db) as engine:
        warehouse.downgrade(engine, "0003")
    expected = Counter()
    for _, _, item in items():
        for party in ("claims_administrator", "reviewer"):
            for spelling in {(c["source"], c["document"]) for c in item["citations"] if c["cited_by"] == party}:
                expected[party, *spelling] += 1
    assert Counter({(p, s, d): n for p, s, d, n in query(
        db, "SELECT cited_by, source, document, decisions FROM agg_guideline_document")}) == expected


# ------------------------------------------------------ what the letters say

@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> str:
    """Every bundled letter, with the library's own mappings."""
    db = str(tmp_path_factory.mktemp("conformed") / "samples.duckdb")
    assert load([], db, jobs=1).quarantined == 0
    return db


def test_a_letters_items_diagnoses_and_reviewer_as_its_text_has_them(samples):
    # CM17-0007142: "Right shoulder arthroscopy with subacromial decompression, acromioplasty,
    # Mumford, rotator cuff repair and shoulder debridement: Overturned", "Assistant PA: Overturned",
    # "Pre-operative medical clearance: Overturned" — filed by the DWC's rule book
    # (docs/dwc-taxonomy.md) under an arthroscopy, what accompanies an operation, and a
    # clearance visit.
    assert query(samples, "SELECT ordinal, dwc_category, dwc_subcategory, drug_generic FROM v_decisions "
                          "WHERE letter_id = 'CM17-0007142' AND ordinal <= 3 ORDER BY ordinal") == [
        (1, "Surgery", "Arthroscopic Surgery", None),
        (2, "Surgery", "Adjunct Surgical Services", None),
        (3, "Evaluation & Management", "Medical Specialties", None)]
    # "The current diagnoses are documented as right shoulder full thickness rotator cuff tear,
    # acromioclavicular joint arthrosis, and degenerative labral tears."
    assert query(samples, "SELECT f.position, f.diagnosis FROM fact_diagnosis AS f JOIN dim_letter AS l "
                          "USING (letter_key) WHERE l.letter_id = 'CM17-0007142' ORDER BY 1") == [
        (1, "right shoulder full thickness rotator cuff tear"), (2, "acromioclavicular joint arthrosis"),
        (3, "degenerative labral tears")]
    # "Certification(s)/Specialty: Orthopedic Surgery, Sports Medicine": both are DWC board specialties
    assert query(samples, "SELECT b.position, b.specialty, b.board_specialty FROM bridge_reviewer_specialty AS b "
                          "JOIN dim_letter AS l USING (reviewer_key) WHERE l.letter_id = 'CM17-0007142' "
                          "ORDER BY 1") == [(1, "Orthopedic Surgery", "Orthopedic Surgery"),
                                            (2, "Sports Medicine", "Sports Medicine")]
    assert query(samples, "SELECT reviewer_board_specialties FROM v_letters WHERE letter_id = 'CM17-0007142'") == \
        [("Orthopedic Surgery; Sports Medicine",)]


def test_every_diagnosis_is_a_row_in_its_letters_order(samples):
    expected = Counter()
    for path in SEEDS + REAL:
        for position, diagnosis in enumerate(parse_file(path)["diagnoses"], 1):
            expected[str(path.resolve()), position, diagnosis] += 1
    assert Counter(query(samples, "SELECT l.source_path, f.position, f.diagnosis FROM fact_diagnosis AS f "
                                  "JOIN dim_letter AS l USING (letter_key)")) == expected
    assert sum(expected.values()) > 200


def test_the_dwc_view_counts_every_decision_once(samples):
    decisions = sum(len(decision_lines(p)) for p in SEEDS + REAL)  # the letters' "…: Upheld" lines
    assert query(samples, "SELECT sum(decisions) FROM v_overturn_rate_by_dwc_category") == [(decisions,)]
    by_category = Counter()
    for _, _, item in items():
        by_category[item["dwc_category"], item["dwc_subcategory"]] += 1
    assert Counter({(c, s): n for c, s, n in query(
        samples, "SELECT dwc_category, dwc_subcategory, decisions FROM v_overturn_rate_by_dwc_category")}) == by_category


# ------------------------------------------------------ with the doubles

@pytest.fixture
def mapped(tmp_path, doubles) -> str:
    db = str(tmp_path / "mapped.duckdb")
    assert load([], db, jobs=1).quarantined == 0
    return db


def test_both_cited_counts_the_canonical_document_however_spelled(mapped):
    """CM16-0236906, "Electroencephalogram": the claims administrator cites
    "Official Disability Guidelines, Head Chapter", the reviewer "Official
    Disability Guidelines (ODG) Head section" — one document (the double maps
    every ODG spelling to one), so the decision is both cited."""
    [(record, item)] = [(r, i) for p, r, i in items() if p.name == "CM16-0236906.txt" and i["ordinal"] == 1]
    documents = {c["cited_by"]: c["document"] for c in item["citations"] if c["source"] == "ODG"}
    assert documents == {"claims_administrator": "Official Disability Guidelines",
                         "reviewer": "Official Disability Guidelines (ODG)"}
    # counted from the letters: decisions where each party cites an ODG document, and where both do
    by_party = Counter()
    both = 0
    for _, _, item in items():
        parties = {c["cited_by"] for c in item["citations"] if c["source"] == "ODG"}
        by_party.update(parties)
        both += len(parties) == 2
    assert both == 38  # real letters: 23 where both spell it alike, 14 where they do not; one seed
    assert query(mapped, "SELECT cited_by, source, document, decisions, both_cited FROM v_guideline_citations "
                         "WHERE guideline_id = ? ORDER BY cited_by", ODG) == [
        ("claims_administrator", "ODG", CATALOGUE[0]["document"], by_party["claims_administrator"], both),
        ("reviewer", "ODG", CATALOGUE[0]["document"], by_party["reviewer"], both)]
    # and the spellings are kept, each mapped: the audit trail
    spellings = query(mapped, "SELECT DISTINCT document FROM dim_guideline WHERE guideline_id = ?", ODG)
    assert {"Official Disability Guidelines", "Official Disability Guidelines (ODG)", "ODG"} <= {d for (d,) in spellings}
    assert failed_checks(mapped) == []


def test_drugs_are_named_counted_and_their_details_kept(mapped):
    # "Norco 10/325mg #35: Upheld" (CM16-0240259 among others)
    assert ("Norco", "10/325mg", "hydrocodone/acetaminophen", "Opioids") in query(
        mapped, "SELECT drug_brand, drug_strength, drug_generic, drug_class FROM v_decisions "
                "WHERE service = 'Norco 10/325mg #35'")
    expected = Counter()
    for _, _, item in items():
        if item["dwc_category"] == "Pharmaceuticals":
            drug = fake_drug(item["service"]) or {}
            expected[drug.get("drug_class"), drug.get("generic")] += 1
    got = Counter({(c, g): n for c, g, n in query(mapped, "SELECT drug_class, drug_generic, decisions "
                                                          "FROM v_overturn_rate_by_drug")})
    assert got == expected and got[None, None] > 0 and got["Opioids", "hydrocodone/acetaminophen"] == 3
    assert query(mapped, "SELECT count(*) FROM dim_drug") == [(len([k for k in expected if k != (None, None)]),)]


def test_specialties_group_by_dwc_board_specialty(mapped):
    # "Certification(s)/Specialty: Chiropractor" (CM17-0003192) is the DWC's Chiropractic;
    # "Orthopedic Surgery, Sports Medicinea" (CM16-0238035): the misspelling names none
    assert query(mapped, "SELECT reviewer_board_specialties FROM v_letters WHERE letter_id = 'CM17-0003192'") == \
        [("Chiropractic",)]
    assert query(mapped, "SELECT b.position, b.specialty, b.board_specialty FROM bridge_reviewer_specialty AS b "
                         "JOIN dim_letter AS l USING (reviewer_key) WHERE l.letter_id = 'CM16-0238035' ORDER BY 1") == \
        [(1, "Orthopedic Surgery", "Orthopedic Surgery"), (2, "Sports Medicinea", None)]
    expected = Counter()
    for _, record, _ in items():
        for board in fake_board_specialties(record["reviewer"]["specialties"]) or [None]:
            expected[board] += 1
    got = Counter({s: n for s, n in query(mapped, "SELECT specialty, decisions FROM "
                                                  "v_overturn_rate_by_reviewer_specialty")})
    assert got == expected and "Chiropractor" not in got and got["Chiropractic"] > 0


def test_a_document_is_named_alike_whichever_letter_comes_first(tmp_path, doubles):
    """Two spellings of a document the catalogue lacks ('MTUS Shoulder Complaints
    2004' and 'MTUS Shoulder Complaints': one document for the double): the
    warehouse names it by the first spelling alphabetically, whichever letter
    it loaded first, and the aggregate follows."""
    text = LETTER.read_text(encoding="utf-8")
    assert "MTUS Shoulder Complaints 2004" in text
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    shutil.copy(LETTER, first / LETTER.name)
    variant = text.replace("CM17-0007142", "CM17-9999999").replace("MTUS Shoulder Complaints 2004",
                                                                    "MTUS Shoulder Complaints")
    (second / "variant.txt").write_text(variant, encoding="utf-8")
    found = []
    for order in ((first, second), (second, first)):
        db = str(tmp_path / f"{order[0].name}{order[1].name}.duckdb")
        for folder in order:
            load([folder], db, jobs=1)
        assert failed_checks(db) == []
        found.append((query(db, "SELECT * FROM dim_guideline_document ORDER BY guideline_id"),
                      query(db, "SELECT * FROM agg_guideline_document ORDER BY cited_by, guideline_id")))
    assert found[0] == found[1]
    documents = dict((r[0], r[1:]) for r in found[0][0])
    assert documents["mtus/shoulder-complaints"] == ("MTUS", "Shoulder Complaints", None, None, None,
                                                     "MTUS Shoulder Complaints")


def test_unclassified_items_are_counted_by_the_load(tmp_path):
    letters = tmp_path / "letters"
    letters.mkdir()
    text = SEEDS[0].read_text(encoding="utf-8")
    assert "Chiropractic, eight visits:  Upheld" in text  # a service no DWC rule fits instead
    (letters / SEEDS[0].name).write_text(text.replace("Chiropractic, eight visits:  Upheld",
                                                      "Zorblax widget:  Upheld"), encoding="utf-8")
    shutil.copy(SEEDS[1], letters)
    db = str(tmp_path / "w.duckdb")
    summary = load([letters], db, jobs=1)
    assert summary.unclassified == 1 and "decisions written, 1 Unclassified;" in summary.line()
    assert query(db, "SELECT decisions_unclassified FROM v_load_runs") == [(1,)]
    assert query(db, "SELECT service FROM v_decisions WHERE dwc_category = 'Unclassified'") == [("Zorblax widget",)]
    again = load([letters], db, jobs=1)  # nothing written: nothing counted
    assert again.unclassified == 0 and query(db, "SELECT decisions_unclassified FROM v_load_runs") == [(0,), (1,)]


# ----------------------------------------------------- a new vocabulary

def test_a_new_vocabulary_remaps_the_dimensions_and_regroups_the_aggregate(tmp_path, monkeypatch):
    """Loaded with the library's mappings, then loaded again by a release
    whose mappings differ (the doubles, another digest): dim_guideline,
    dim_guideline_document, dim_reviewer, the bridge and the aggregate are
    what a clean load by that release writes, though no letter changed."""
    letters = tmp_path / "letters"
    letters.mkdir()
    for path in SEEDS + REAL[:20]:
        shutil.copy(path, letters / path.name)
    db, clean = str(tmp_path / "w.duckdb"), str(tmp_path / "clean.duckdb")
    load([letters], db, jobs=1)
    remaps = []
    real_remap = conformed.remap
    monkeypatch.setattr(conformed, "remap", lambda conn: remaps.append(real_remap(conn)) or remaps[-1])
    load([letters], db, jobs=1)
    assert remaps == []  # same release: nothing to re-map

    _patch(monkeypatch)
    monkeypatch.setattr(lineage, "fingerprint", lambda: "another release")
    try:
        again = load([letters], db, jobs=1)
        assert (again.new, again.updated) == (0, 0)
        [done] = remaps
        assert done.spellings > 0 and done.documents and done.reviewers > 0 and done.bridge
        load([letters], clean, jobs=1)
    finally:
        monkeypatch.undo()
        _clear_caches()
    for table in ("dim_guideline", "dim_guideline_document", "dim_reviewer", "bridge_reviewer_specialty",
                  "agg_guideline_document"):
        assert Counter(query(db, f"SELECT * FROM {table}")) == Counter(query(clean, f"SELECT * FROM {table}")), table
    # every check holds but lineage's: the letters were derived by "another release", not this one
    assert failed_checks(db) == ["letter_derived_by_this_parser"]
