"""The analyst's views of issue 12 — outcomes by month, timeliness, rates by
guideline source — on both databases, against numbers read off the letters'
own text (their header dates and decision lines) and the hand-read fixture,
not through the parser.  (test_views.py checks that every view holds the same
rows on DuckDB and PostgreSQL and that its documented columns are its real ones.)"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from helpers import REAL, SEEDS, decision_lines, query, wilson_by_quadratic
from imr_etl.letters import parse_file

LABELS = {"decision": r"Decision\s+Date", "assigned": r"Date\s+Assigned", "received": r"Application\s+Received",
          "denial": r"UR\s+Denial\s+Date"}


def header(path: Path) -> dict:
    """The header's dates and priority, read with a regular expression from the
    letter's text (labels and values may be split across lines)."""
    text = path.read_text(encoding="utf-8")[:600]
    out = {}
    for name, label in LABELS.items():
        found = re.search(label + r"\s*:\s*(\d\d/\d\d/\d{4})", text)
        out[name] = datetime.strptime(found.group(1), "%m/%d/%Y").date() if found else None
    priority = re.search(r"Priority\s*:\s*(Standard|Expedited)", text, re.I)
    out["priority"] = priority.group(1).title() if priority else None
    return out


def month(day: date | None) -> date | None:
    return day.replace(day=1) if day else None


LETTERS = {path: header(path) for path in REAL + SEEDS}


def test_the_header_oracle_reads_every_real_letter():
    assert all(h["decision"] and h["assigned"] and h["priority"] for p, h in LETTERS.items() if p in REAL)
    assert all(h["decision"] is None for p, h in LETTERS.items() if p in SEEDS)


def test_outcomes_by_month(samples):
    expected = defaultdict(Counter)
    for path, h in LETTERS.items():
        words = decision_lines(path)
        group = expected[month(h["decision"])]
        group["letters"] += 1
        group["decisions"] += len(words)
        group["overturned"] += words.count("Overturned")
        kind = {0: "upheld", len(words): "overturned"}.get(words.count("Overturned"), "partially_overturned")
        group["letters_" + kind] += 1
    rows = query(samples, "SELECT month, letters, decisions, overturned, overturn_rate, ci_low, ci_high,"
                          " letters_upheld, letters_overturned, letters_partially_overturned FROM v_outcomes_by_month")
    assert {row[0] for row in rows} == set(expected)
    for m, letters, decisions, overturned, rate, low, high, upheld, all_over, partial in rows:
        want = expected[m]
        assert (letters, decisions, overturned) == (want["letters"], want["decisions"], want["overturned"])
        assert (upheld, all_over, partial) == (
            want["letters_upheld"], want["letters_overturned"], want["letters_partially_overturned"])
        assert rate == pytest.approx(overturned / decisions)
        assert (low, high) == pytest.approx(tuple(min(max(b, 0.0), 1.0) for b in wilson_by_quadratic(overturned, decisions)))
    # every letter has exactly one outcome
    assert sum(r[7] + r[8] + r[9] for r in rows) == len(LETTERS)


def test_outcome_partial_overturn_exists_in_the_samples(samples):
    [(partial,)] = query(samples, "SELECT sum(letters_partially_overturned) FROM v_outcomes_by_month")
    assert partial > 0


def _quantile(values: list[int], q: float) -> float | None:
    """percentile_cont: linear interpolation between the order statistics."""
    if not values:
        return None
    values = sorted(values)
    position = q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def test_timeliness(samples):
    groups = defaultdict(list)
    for h in LETTERS.values():
        groups[month(h["decision"]), h["priority"]].append(h)
    rows = query(samples, "SELECT month, priority, letters, median_days_from_application, p90_days_from_application,"
                          " median_days_from_assignment, p90_days_from_assignment, median_days_from_ur_denial,"
                          " p90_days_from_ur_denial, statutory_limit_days, letters_timed, decided_within_limit,"
                          " share_within_limit FROM v_timeliness")
    assert {(r[0], r[1]) for r in rows} == set(groups)
    for m, priority, letters, *measures, limit, timed, within, share in rows:
        members = groups[m, priority]
        assert letters == len(members)
        for i, start in enumerate(("received", "assigned", "denial")):
            days = [(h["decision"] - h[start]).days for h in members if h["decision"] and h[start]]
            assert measures[2 * i] == pytest.approx(_quantile(days, 0.5)), (m, priority, start)
            assert measures[2 * i + 1] == pytest.approx(_quantile(days, 0.9)), (m, priority, start)
        want_limit = {"Standard": 30, "Expedited": 3}.get(priority)
        assert limit == want_limit
        timed_days = [(h["decision"] - h["assigned"]).days for h in members
                      if h["decision"] and h["assigned"] and want_limit]
        assert (timed, within) == (len(timed_days), sum(d <= want_limit for d in timed_days))
        assert share == (within / timed if timed else None)


def test_timeliness_over_all_letters_matches_the_issue(samples):
    """Issue 12: on the bundled letters the median from assignment to decision
    is 27 days, the longest 37."""
    days = [(h["decision"] - h["assigned"]).days for h in LETTERS.values() if h["decision"]]
    assert statistics.median(days) == 27 and max(days) == 37
    [(median,)] = query(samples, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY decision_date - date_assigned)"
                                 " FROM dim_letter")
    assert median == 27


def test_overturn_rate_by_guideline_source(samples):
    expected = Counter()
    for path in SEEDS + REAL:
        for item in parse_file(path)["items"]:
            for party in ("claims_administrator", "reviewer"):
                sources = {c["source"] for c in item["citations"] if c["cited_by"] == party} or {None}
                for source in sources:
                    expected[party, source, "n"] += 1
                    expected[party, source, "k"] += item["decision"] == "overturned"
    rows = query(samples, "SELECT cited_by, source, decisions, overturned, overturn_rate FROM"
                          " v_overturn_rate_by_guideline_source")
    assert {(c, s) for c, s, *_ in rows} == {(c, s) for c, s, _ in expected}
    for cited_by, source, n, k, rate in rows:
        assert (n, k) == (expected[cited_by, source, "n"], expected[cited_by, source, "k"])
        assert rate == pytest.approx(k / n)
    # each party's groups cover every decision at least once
    total = sum(len(decision_lines(p)) for p in SEEDS + REAL)
    for party in ("claims_administrator", "reviewer"):
        assert sum(n for c, s, n, k, r in rows if c == party) >= total


def test_every_view_and_column_carries_its_description_as_a_comment(samples):
    """What a BI tool shows: the database's own comments, from the view files' headers."""
    from sqlalchemy import inspect

    from imr_etl import warehouse

    with warehouse.open_engine(samples) as engine:
        found = inspect(engine)
        for view in warehouse.views():
            description, grain, columns = warehouse.view_header(view.sql)
            assert found.get_table_comment(view.name)["text"].startswith(description), view.name
            assert {c["name"]: c["comment"] for c in found.get_columns(view.name)} == columns, view.name
    # one checked by reading the file
    with warehouse.open_engine(samples) as engine:
        rates = {c["name"]: c["comment"] for c in inspect(engine).get_columns("v_timeliness")}
    assert rates["statutory_limit_days"] == "30 for Standard, 3 for Expedited (NULL: priority unknown)"


# ------------------------------------------- outcomes, partial authorizations, agreement

import csv  # noqa: E402

EXPECTED_ITEMS = Path(__file__).resolve().parent / "expected" / "dwc_items.csv"


def hand_read() -> list[dict]:
    """Every item of the sample letters as a person read it (tests/expected/dwc_items.csv)."""
    with open(EXPECTED_ITEMS, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_each_letters_outcome_is_the_hand_read_one(samples):
    decisions = defaultdict(set)
    for row in hand_read():
        decisions[row["letter_id"]].add(row["decision"])
    expected = {letter: (kinds.pop() if len(kinds) == 1 else "partially_overturned")
                for letter, kinds in decisions.items()}
    got = dict(query(samples, "SELECT coalesce(case_number, regexp_replace(source_path, '^.*/|[.]txt$', '', 'g')),"
                              " outcome FROM v_letters"))
    assert got == expected
    assert set(got.values()) == {"upheld", "overturned", "partially_overturned"}


def test_partial_authorizations_are_the_hand_read_ones(samples):
    expected = sorted((row["letter_id"], int(row["ordinal"]), row["original_request"], row["authorized"])
                      for row in hand_read() if row["partial_authorization"] == "yes")
    got = sorted(query(samples, "SELECT letter_id, ordinal, original_request, authorized FROM v_partial_authorizations"))
    assert got == expected
    # CM16-0233904: "Baclofen 100mg #30 was the original request. Baclofen 100mg #27 was authorized …
    # The remaining IMR eligible portion of the original request, Baclofen 100mg #3 is: Upheld"
    assert query(samples, "SELECT original_quantity, authorized_quantity, decided_quantity, service, decision"
                          " FROM v_partial_authorizations WHERE letter_id = 'CM16-0233904'") == \
        [(30.0, 27.0, 3.0, "Baclofen 100mg #3", "upheld")]
    [(flagged, unknown)] = query(samples, "SELECT count(*) FILTER (WHERE partial_authorization),"
                                          " count(*) FILTER (WHERE partial_authorization IS NULL) FROM v_decisions")
    assert (flagged, unknown) == (len(expected), 0)


def test_citer_agreement_counts_shared_canonical_documents(samples):
    expected = defaultdict(Counter)
    for path in SEEDS + REAL:
        for item in parse_file(path)["items"]:
            ca = {c["guideline_id"] for c in item["citations"] if c["cited_by"] == "claims_administrator"}
            rv = {c["guideline_id"] for c in item["citations"] if c["cited_by"] == "reviewer"}
            kind = "agreeing" if ca & rv else "disagreeing" if ca and rv else "one_sided"
            group = expected[item["dwc_category"]]
            group["decisions"] += 1
            group[kind] += 1
            group[kind + "_overturned"] += item["decision"] == "overturned"
    rows = query(samples, "SELECT dwc_category, decisions, agreeing, agreeing_overturned, agreeing_overturn_rate,"
                          " disagreeing, disagreeing_overturned, one_sided FROM v_citer_agreement")
    assert {r[0] for r in rows} == set(expected)
    for category, n, agree, agree_k, agree_rate, disagree, disagree_k, one_sided in rows:
        want = expected[category]
        assert (n, agree, agree_k, disagree, disagree_k, one_sided) == (
            want["decisions"], want["agreeing"], want["agreeing_overturned"], want["disagreeing"],
            want["disagreeing_overturned"], want["one_sided"]), category
        assert agree_rate == (agree_k / agree if agree else None)
    assert sum(r[2] for r in rows) > 0 and sum(r[5] for r in rows) > 0


def test_revision_0005_fills_what_it_can_and_leaves_the_rest_unknown(tmp_path):
    """Down to 0004 and up again: the documents both parties cite are counted
    again from the citations; a partial authorization's parts, never kept
    before, are NULL (not false) until the letter is read again."""
    from imr_etl import warehouse
    from imr_etl.writer import load

    db = str(tmp_path / "w.duckdb")
    load([], db, jobs=1)
    before = query(db, "SELECT decision_key, shared_guidelines FROM fact_decision ORDER BY 1")
    with warehouse.open_engine(db) as engine:
        warehouse.downgrade(engine, "0004")
        warehouse.migrate(engine)
    assert query(db, "SELECT decision_key, shared_guidelines FROM fact_decision ORDER BY 1") == before
    assert query(db, "SELECT count(*) FROM fact_decision WHERE partial_authorization IS NOT NULL") == [(0,)]
    again = load([], db, jobs=1, force=True)
    assert again.updated == len(REAL) + len(SEEDS)
    assert query(db, "SELECT count(*) FROM v_partial_authorizations") == [
        (sum(r["partial_authorization"] == "yes" for r in hand_read()),)]


def test_the_dwc_roll_up_sums_its_subcategories_and_shares_the_caseload(samples):
    detail = defaultdict(lambda: [0, 0])
    for category, n, k in query(samples, "SELECT dwc_category, decisions, overturned FROM v_overturn_rate_by_dwc_category"):
        detail[category][0] += n
        detail[category][1] += k
    total = sum(n for n, _ in detail.values())
    assert total == sum(len(decision_lines(p)) for p in SEEDS + REAL)
    rows = query(samples, "SELECT dwc_category, decisions, overturned, share_of_decisions, ci_low, ci_high"
                          " FROM v_overturn_rate_by_dwc_category_total")
    assert {c: [n, k] for c, n, k, *_ in rows} == dict(detail)
    for category, n, k, share, low, high in rows:
        assert share == pytest.approx(n / total)
        assert (low, high) == pytest.approx(tuple(min(max(b, 0.0), 1.0) for b in wilson_by_quadratic(k, n)))
    # the hand-read fixture agrees on the largest category (Diagnostic Testing in the samples)
    hand = Counter(row["dwc_category"] for row in hand_read())
    assert max(rows, key=lambda r: r[1])[0] == hand.most_common(1)[0][0]


def test_every_date_key_is_the_letters_own_date(samples):
    """fact_decision's date keys (what `export --tables` users join to dim_date)
    against the header dates read off each letter's text; the injury date's
    key against the letter's injury date (the summary's, else the header's)."""
    def key(day):
        return day.year * 10000 + day.month * 100 + day.day if day else None

    expected = {path.stem: h for path, h in LETTERS.items() if path in REAL}
    got = query(samples, "SELECT l.case_number, d.decision_date_key, d.ur_denial_date_key, d.injury_date_key,"
                         " l.injury_date FROM fact_decision AS d JOIN dim_letter AS l ON l.letter_key = d.letter_key"
                         " WHERE l.case_number IS NOT NULL")
    assert {row[0] for row in got} == set(expected)
    for case, decision_key, denial_key, injury_key, injury in got:
        assert (decision_key, denial_key) == (key(expected[case]["decision"]), key(expected[case]["denial"])), case
        assert injury_key == key(injury), case
    # every key names its day in dim_date
    assert query(samples, "SELECT count(*) FROM fact_decision AS d JOIN dim_date AS t ON t.date_key = d.decision_date_key"
                          " WHERE t.date <> (SELECT l.decision_date FROM dim_letter AS l WHERE l.letter_key = d.letter_key)"
                 ) == [(0,)]
