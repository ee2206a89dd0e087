"""The curated views on both databases: the same tests, run on DuckDB and on
PostgreSQL, assert the same numbers for the sample letters; and every view
holds the same rows on both."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import inspect

from helpers import REAL, SEEDS, SEED_TREATMENTS, VOLATILE, decision_lines, documented_columns, query, wilson_by_quadratic
from imr_etl import checks, warehouse
from imr_etl.letters import parse_file
from imr_etl.writer import load

RATE_VIEWS = ("v_overturn_rate_by_treatment", "v_overturn_rate_by_reviewer_specialty",
              "v_overturn_rate_by_guideline", "v_overturn_rate_by_body_region",
              "v_overturn_rate_by_dwc_category", "v_overturn_rate_by_drug")
# Views the seed letters leave empty (no seed disputes a drug).
EMPTY_FOR_SEEDS = ("v_overturn_rate_by_drug", "v_partial_authorizations")  # the seeds name no drug class, no partial authorization


# ------------------------------------------------------------ hand counts

def test_seed_letters_by_hand_count(seeds):
    assert query(seeds, "SELECT count(*), sum(overturned) FROM v_decisions") == [(11, 3)]
    assert query(seeds, "SELECT decision, count(*) FROM v_decisions GROUP BY 1 ORDER BY 1") == \
        [("overturned", 3), ("upheld", 8)]
    assert query(seeds, "SELECT count(*), sum(decisions), sum(overturned) FROM v_letters") == [(5, 11, 3)]
    rates = {(c, s): (n, k, rate, low, high) for c, s, n, k, rate, low, high in query(
        seeds, "SELECT treatment_category, treatment_subcategory, decisions, overturned, overturn_rate,"
               " ci_low, ci_high FROM v_overturn_rate_by_treatment")}
    assert {key: value[:2] for key, value in rates.items()} == SEED_TREATMENTS
    n, k, rate, low, high = rates[("rehabilitation", "massage")]  # 1 overturned of 4
    assert rate == 0.25
    assert (round(low, 4), round(high, 4)) == (0.0456, 0.6994)  # the textbook values for 1/4
    assert rates[("rehabilitation", "chiropractic")][3:] == (0.0, pytest.approx(wilson_by_quadratic(0, 2)[1]))
    assert rates[("injections", "epidural")][3:] == (pytest.approx(wilson_by_quadratic(1, 1)[0]), 1.0)


def test_citation_sources_are_distinct_sorted_and_null_when_none(seeds):
    # seed 004, item 2 "Cervical injection times 2": the claims administrator cites the
    # MTUS Chronic Pain guidelines and the AMA Guides, the reviewer the MTUS alone.
    letter = str((SEEDS[0].parent / "004_ceff5b33115f81d6.txt").resolve())
    assert query(seeds, "SELECT claims_administrator_sources, reviewer_sources FROM v_decisions"
                        " WHERE source_path = ? AND ordinal = 2", letter) == [("AMA, MTUS", "MTUS")]
    # a decision nobody cites a guideline for has NULL sources, not ''
    assert query(seeds, "SELECT count(*) FROM v_decisions WHERE claims_administrator_sources = ''"
                        " OR reviewer_sources = ''") == [(0,)]


def test_every_rate_view_computes_the_wilson_interval(samples):
    for view in RATE_VIEWS:
        for n, k, rate, low, high in query(samples, f"SELECT decisions, overturned, overturn_rate, ci_low, ci_high FROM {view}"):
            expected_low, expected_high = wilson_by_quadratic(k, n)
            assert rate == pytest.approx(k / n)
            assert low == pytest.approx(max(expected_low, 0.0), abs=1e-9), view
            assert high == pytest.approx(min(expected_high, 1.0), abs=1e-9), view
            assert 0.0 <= low <= rate <= high <= 1.0


def test_all_samples_reconcile_with_the_letters_decision_lines(samples):
    words = {p.resolve(): decision_lines(p) for p in SEEDS + REAL}
    total = sum(len(w) for w in words.values())
    overturned = sum(w.count("Overturned") for w in words.values())
    assert query(samples, "SELECT count(*), sum(overturned) FROM v_decisions") == [(total, overturned)]
    for view in ("v_overturn_rate_by_treatment", "v_overturn_rate_by_body_region", "v_overturn_rate_by_dwc_category"):
        assert query(samples, f"SELECT sum(decisions), sum(overturned) FROM {view}") == [(total, overturned)]
    pharmaceuticals = query(samples, "SELECT count(*), sum(overturned) FROM v_decisions "
                                     "WHERE dwc_category = 'Pharmaceuticals'")
    assert query(samples, "SELECT sum(decisions), sum(overturned) FROM v_overturn_rate_by_drug") == pharmaceuticals
    per_letter = dict(query(samples, "SELECT source_path, decisions FROM v_letters"))
    assert per_letter == {str(p): len(w) for p, w in words.items()}
    assert query(samples, "SELECT count(*) FROM v_letters WHERE letter_id = case_number") == [(len(REAL),)]


def test_citations_and_guideline_views_reconcile(samples):
    citations = [c for path in SEEDS + REAL for i in parse_file(path)["items"] for c in i["citations"]]
    assert query(samples, "SELECT sum(citations) FROM v_decisions") == [(len(citations),)]
    assert query(samples, "SELECT sum(citations) FROM v_guideline_citations") == [(len(citations),)]
    # one row per citer and canonical document, as the citations name them
    documents = {(c["cited_by"], c["guideline_id"]) for c in citations}
    assert sorted(query(samples, "SELECT cited_by, guideline_id FROM v_guideline_citations")) == sorted(documents)
    by_reviewer = sum(c["cited_by"] == "reviewer" for c in citations)
    assert query(samples, "SELECT sum(reviewer_citations) FROM v_decisions") == [(by_reviewer,)]
    [(ca, rv)] = query(samples, "SELECT sum(both_cited) FILTER (WHERE cited_by = 'claims_administrator'),"
                                " sum(both_cited) FILTER (WHERE cited_by = 'reviewer') FROM v_guideline_citations")
    assert ca == rv > 0


def test_specialty_rates_count_each_board_specialty_of_a_reviewer(samples):
    # every decision counts once per DWC board specialty of its reviewer ('; '-separated), once
    # under NULL if it has none
    listed = query(samples, "SELECT r.board_specialties FROM fact_decision d JOIN dim_reviewer r USING (reviewer_key)")
    expected = sum(len(s.split("; ")) if s else 1 for (s,) in listed)
    assert query(samples, "SELECT sum(decisions) FROM v_overturn_rate_by_reviewer_specialty") == [(expected,)]


def test_views_reflect_through_sqlalchemy_with_their_documented_columns(samples):
    """What Superset and Metabase do: list the views, then their columns."""
    with warehouse.open_engine(samples) as engine:
        found = inspect(engine)
        assert set(found.get_view_names()) == {v.name for v in warehouse.views()}
        for view in warehouse.views():
            assert [c["name"] for c in found.get_columns(view.name)] == documented_columns(view), view.name


def test_every_data_quality_check_holds(samples):
    with warehouse.open_engine(samples, read_only=True) as engine, engine.connect() as conn:
        assert [r.check.name for r in checks.run(conn) if not r.ok] == []


# -------------------------------------------------- the two databases agree

def rows_of(db: str, view: str) -> list[tuple]:
    skip = VOLATILE.get(view, ())
    with warehouse.open_engine(db) as engine, engine.connect() as conn:
        result = conn.exec_driver_sql(f"SELECT * FROM {view}")
        keep = [i for i, name in enumerate(result.keys()) if name not in skip]
        return sorted((tuple(row[i] for i in keep) for row in result), key=repr)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("what", ["seeds", "samples"])
def test_every_view_holds_the_same_rows_on_both_databases(warehouses, what):
    duck, pg = warehouses.get("duckdb", what), warehouses.get("postgresql", what)
    for view in warehouse.views():
        if VOLATILE.get(view.name, ()) is None:
            continue  # the runs' own timings
        left, right = rows_of(duck, view.name), rows_of(pg, view.name)
        empty = view.name == "v_quarantine" or (what == "seeds" and view.name in EMPTY_FOR_SEEDS)
        assert len(left) == len(right) and (left or empty), view.name
        for a, b in zip(left, right):
            assert len(a) == len(b) and all(map(same, a, b)), f"{view.name}: {a} != {b}"


# ------------------------------------------------------------ the reviewer

def test_the_reviewers_columns_are_the_letters_reviewer_lines(samples):
    """Seed 000: "reviewer is Board Certified Physical Medicine and
    Rehabilitation, has a subspecialty in Interventional Spine and is licensed
    to practice in California".  CM16-0219557: "State(s) of Licensure:
    Texas,New York,California" / "Certification(s)/Specialty: Preventive
    Medicine, Occupational Medicine"."""
    columns = ("reviewer_specialties, reviewer_subspecialties, reviewer_board_certified,"
               " reviewer_licensure_states, reviewer_licensed_in_california")
    seed = query(samples, f"SELECT DISTINCT {columns} FROM v_decisions WHERE source_path LIKE ?",
                 "%000_a5f95da6f992a566.txt")
    assert seed == [("Physical Medicine and Rehabilitation", "Interventional Spine", True, "CA", True)]
    real = query(samples, f"SELECT DISTINCT {columns} FROM v_decisions WHERE case_number = ?", "CM16-0219557")
    assert real == [("Preventive Medicine; Occupational Medicine", "", True, "TX, NY, CA", True)]
    assert query(samples, "SELECT reviewer_specialties, reviewer_licensure_states FROM v_letters"
                          " WHERE case_number = ?", "CM16-0219557") == [
        ("Preventive Medicine; Occupational Medicine", "TX, NY, CA")]


def test_a_reviewer_with_no_board_specialty_counts_under_none(tmp_path):
    """CM16-0238035: "Certification(s)/Specialty: Orthopedic Surgery, Sports
    Medicinea" and eight items, all "Upheld".  The same letter by a reviewer
    of Addiction Medicine, which the DWC's board list does not name:
    the eight decisions count in the specialty view's row for none, not
    nowhere."""
    letter = next(p for p in REAL if p.stem == "CM16-0238035")
    text = letter.read_text(encoding="utf-8")
    assert "Certification(s)/Specialty: Orthopedic Surgery, Sports Medicinea" in text
    assert len(decision_lines(letter)) == 8
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / letter.name).write_text(
        text.replace("Specialty: Orthopedic Surgery, Sports Medicinea", "Specialty: Addiction Medicine"),
        encoding="utf-8")
    db = str(tmp_path / "one.duckdb")
    load([tmp_path / "letters"], db, jobs=1)
    assert query(db, "SELECT specialty, decisions, overturned FROM v_overturn_rate_by_reviewer_specialty") == [
        (None, 8, 0)]


def test_an_expedited_review_has_three_days(tmp_path):
    """CM16-0229336's header: "Date Assigned: 12/05/2016", "Decision Date:
    12/30/2016", "Priority:  Standard Application" -- 25 days, within the 30
    a standard review has.  The same letter as an expedited review (3 days)
    was late."""
    letter = next(p for p in REAL if p.stem == "CM16-0229336")
    text = letter.read_text(encoding="utf-8")
    assert "Priority:  Standard Application" in text
    for priority, limit, within in (("Standard", 30, 1), ("Expedited", 3, 0)):
        folder = tmp_path / priority
        folder.mkdir()
        (folder / letter.name).write_text(
            text.replace("Priority:  Standard Application", f"Priority:  {priority} Application"), encoding="utf-8")
        db = str(tmp_path / f"{priority}.duckdb")
        load([folder], db, jobs=1)
        assert query(db, "SELECT priority, statutory_limit_days, letters_timed, decided_within_limit,"
                         " median_days_from_assignment FROM v_timeliness") == [(priority, limit, 1, within, 25.0)]


def test_a_document_cited_twice_in_one_decision_is_one_decision(tmp_path):
    """CM16-0219557, one item: "Claims Administrator guideline: Decision based
    on MTUS Low Back Complaints 2004." and "MAXIMUS guideline: Decision based
    on MTUS Low Back Complaints 2004, Section(s): Summary, and Chronic Pain
    Medical Treatment 2016, Section(s): Facet blocks."  Its reviewer citing
    Low Back Complaints for both topics: two citations, one decision, which
    both parties cite (no sample letter cites a document twice in an item)."""
    letter = next(p for p in REAL if p.stem == "CM16-0219557")
    text = letter.read_text(encoding="utf-8")
    cited = "Summary, and Chronic Pain Medical Treatment 2016, Section(s): Facet blocks."
    assert "Claims Administrator guideline: Decision based on MTUS Low Back Complaints 2004." in text
    assert cited in text
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / letter.name).write_text(
        text.replace(cited, "Summary, and Low Back Complaints 2004, Section(s): Facet blocks."), encoding="utf-8")
    db = str(tmp_path / "one.duckdb")
    load([tmp_path / "letters"], db, jobs=1)
    assert query(db, "SELECT citations, decisions, both_cited, both_cited_rate FROM v_guideline_citations"
                     " WHERE cited_by = 'reviewer' AND guideline_id = 'mtus/low-back/2004'") == [(2, 1, 1, 1.0)]
    assert query(db, "SELECT decisions, overturned FROM v_overturn_rate_by_guideline"
                     " WHERE cited_by = 'reviewer' AND guideline_id = 'mtus/low-back/2004'") == [(1, 0)]
