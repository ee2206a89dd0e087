"""The load run: counts reconcile with the letters, re-loads are no-ops, changed
letters replace their rows, bad letters are quarantined, runs are recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import (REAL, SEEDS, SEED_TREATMENTS, break_letter, decision_lines, query, snapshot, unwritable,
                     wilson_by_quadratic)
from imr_etl import writer
from imr_etl import warehouse, workers
from imr_etl.discover import discover
from imr_etl.letters import derive, parse_file
from imr_etl.writer import load


@pytest.fixture(scope="module")
def all_samples(tmp_path_factory) -> tuple[str, writer.Summary]:
    db = str(tmp_path_factory.mktemp("wh") / "all.duckdb")
    return db, load([], db)


# ------------------------------------------------------------ hand counts


def test_seed_letters_by_hand_count(tmp_path):
    db = str(tmp_path / "seeds.duckdb")
    summary = load([SEEDS[0].parent], db)
    assert (summary.seen, summary.new, summary.decisions, summary.quarantined) == (5, 5, 11, 0)
    assert query(db, "SELECT count(*), sum(overturned) FROM v_decisions") == [(11, 3)]
    assert query(db, "SELECT decision, count(*) FROM v_decisions GROUP BY 1 ORDER BY 1") == \
        [("overturned", 3), ("upheld", 8)]
    assert query(db, "SELECT count(*), sum(decisions), sum(overturned) FROM v_letters") == [(5, 11, 3)]
    rates = {(c, s): (n, k, rate, low, high) for c, s, n, k, rate, low, high in query(
        db, "SELECT treatment_category, treatment_subcategory, decisions, overturned, overturn_rate,"
            " ci_low, ci_high FROM v_overturn_rate_by_treatment")}
    assert {key: value[:2] for key, value in rates.items()} == SEED_TREATMENTS

    n, k, rate, low, high = rates[("rehabilitation", "massage")]  # 1 overturned of 4
    assert rate == 0.25
    expected_low, expected_high = wilson_by_quadratic(1, 4)
    assert low == pytest.approx(expected_low, abs=1e-12) and high == pytest.approx(expected_high, abs=1e-12)
    assert (round(low, 4), round(high, 4)) == (0.0456, 0.6994)  # the textbook values for 1/4
    assert rates[("rehabilitation", "chiropractic")][3:] == (0.0, pytest.approx(wilson_by_quadratic(0, 2)[1]))
    assert rates[("injections", "epidural")][3:] == (pytest.approx(wilson_by_quadratic(1, 1)[0]), 1.0)


def test_every_rate_view_computes_the_wilson_interval(all_samples):
    db, _ = all_samples
    for view in ("v_overturn_rate_by_treatment", "v_overturn_rate_by_reviewer_specialty",
                 "v_overturn_rate_by_guideline", "v_overturn_rate_by_body_region"):
        for n, k, rate, low, high in query(db, f"SELECT decisions, overturned, overturn_rate, ci_low, ci_high FROM {view}"):
            expected_low, expected_high = wilson_by_quadratic(k, n)
            assert rate == pytest.approx(k / n)
            assert low == pytest.approx(max(expected_low, 0.0), abs=1e-9), view
            assert high == pytest.approx(min(expected_high, 1.0), abs=1e-9), view
            assert 0.0 <= low <= rate <= high <= 1.0


# -------------------------------------------------------- all the samples

def test_all_samples_reconcile_with_the_letters_decision_lines(all_samples):
    db, summary = all_samples
    texts = sorted(SEEDS + REAL)
    words = {p.resolve(): decision_lines(p) for p in texts}
    total = sum(len(w) for w in words.values())
    overturned = sum(w.count("Overturned") for w in words.values())
    assert total > 200 and 0 < overturned < total

    assert (summary.seen, summary.new, summary.quarantined) == (len(texts), len(texts), 0)
    assert summary.decisions == total
    assert summary.skipped == len(list(REAL[0].parent.glob("*.pdf")))
    assert query(db, "SELECT count(*), sum(overturned) FROM v_decisions") == [(total, overturned)]
    assert query(db, "SELECT count(*) FROM fact_decision") == [(total,)]
    for view in ("v_overturn_rate_by_treatment", "v_overturn_rate_by_body_region"):
        assert query(db, f"SELECT sum(decisions), sum(overturned) FROM {view}") == [(total, overturned)]
    # letter by letter
    per_letter = dict(query(db, "SELECT source_path, decisions FROM v_letters"))
    assert per_letter == {str(p): len(w) for p, w in words.items()}
    # real letters are identified by their case number
    assert query(db, "SELECT count(*) FROM v_letters WHERE letter_id = case_number") == [(len(REAL),)]


def test_one_treatment_rate_equals_an_independent_count(all_samples):
    db, _ = all_samples
    items = [item for path in SEEDS + REAL for item in parse_file(path)["items"]
             if (item["treatment_category"], item["treatment_subcategory"]) == ("diagnostic_tests", "mri")]
    assert len(items) >= 10
    overturned = sum(item["decision"] == "overturned" for item in items)
    [(n, k, rate)] = query(db, "SELECT decisions, overturned, overturn_rate FROM v_overturn_rate_by_treatment"
                               " WHERE treatment_category = 'diagnostic_tests' AND treatment_subcategory = 'mri'")
    assert (n, k) == (len(items), overturned) and rate == pytest.approx(overturned / len(items))


def test_citations_and_guideline_views_reconcile(all_samples):
    db, _ = all_samples
    records = [parse_file(path) for path in SEEDS + REAL]
    citations = [c for r in records for i in r["items"] for c in i["citations"]]
    assert query(db, "SELECT count(*) FROM fact_citation") == [(len(citations),)]
    assert query(db, "SELECT sum(citations) FROM v_decisions") == [(len(citations),)]
    assert query(db, "SELECT sum(citations) FROM v_guideline_citations") == [(len(citations),)]
    by_reviewer = sum(c["cited_by"] == "reviewer" for c in citations)
    assert query(db, "SELECT sum(reviewer_citations) FROM v_decisions") == [(by_reviewer,)]
    # both_cited is symmetric: each decision where both parties cite a document counts once per side
    [(ca, rv)] = query(db, "SELECT sum(both_cited) FILTER (WHERE cited_by = 'claims_administrator'),"
                           " sum(both_cited) FILTER (WHERE cited_by = 'reviewer') FROM v_guideline_citations")
    assert ca == rv > 0


def test_dimensions_are_shared_not_duplicated(all_samples):
    db, _ = all_samples
    [(profiles,)] = query(db, "SELECT count(*) FROM dim_reviewer")
    [(letters,)] = query(db, "SELECT count(*) FROM dim_letter")
    assert profiles < letters  # reviewers with the same qualifications share a profile
    assert query(db, "SELECT count(*) FROM fact_decision d LEFT JOIN dim_service s USING (service_key)"
                     " WHERE s.service_key IS NULL") == [(0,)]
    assert query(db, "SELECT count(*) FROM fact_decision d JOIN dim_date dd"
                     " ON dd.date_key = d.decision_date_key") == query(
        db, "SELECT count(*) FROM fact_decision WHERE decision_date_key IS NOT NULL")


def test_a_load_that_remembers_no_dimension_keys_writes_the_same_rows(all_samples, tmp_path, monkeypatch):
    # The writer sends a dimension only the rows of keys it has not written
    # lately; the warehouse's anti-join decides the rest.  With nothing
    # remembered and small batches, every batch leans on the anti-join alone.
    db, _ = all_samples
    monkeypatch.setattr(writer, "RECENT_KEYS", 1)
    plain = str(tmp_path / "plain.duckdb")
    load([], plain, batch_size=8)
    assert snapshot(plain, ignore=("loaded_at",)) == snapshot(db, ignore=("loaded_at",))


def test_the_recent_keys_are_bounded_and_keep_the_latest():
    recent = writer.RecentKeys(100)
    for start in range(0, 1000, 10):
        recent.update(range(start, start + 10))
        assert len(recent.current) + len(recent.previous) <= 200
        assert all(key in recent for key in range(start, start + 10))
    assert 0 not in recent and 999 in recent
    asked = [0, 5, 850, 999, 1000, 2000]
    assert recent.unseen(asked) == {key for key in asked if key not in recent} == {0, 5, 850, 1000, 2000}


# ------------------------------------------------------------ idempotence

def test_loading_twice_changes_nothing(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    first = load([letters], db)
    before = snapshot(db)
    second = load([letters], db)
    assert (second.seen, second.new, second.updated, second.unchanged, second.decisions) == (7, 0, 0, 7, 0)
    assert snapshot(db) == before
    assert first.decisions == sum(len(decision_lines(p)) for p in letters.iterdir())


def test_a_changed_letter_replaces_its_rows(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    load([letters], db)
    seed = letters / SEEDS[0].name
    text = seed.read_text()
    assert "Chiropractic, eight visits:  Upheld" in text
    seed.write_text(text.replace("Chiropractic, eight visits:  Upheld", "Chiropractic, eight visits:  Overturned"))

    summary = load([letters], db)
    assert (summary.new, summary.updated, summary.unchanged, summary.decisions) == (0, 1, 6, 3)
    rows = query(db, "SELECT ordinal, decision FROM v_decisions WHERE source_path = ? ORDER BY ordinal", str(seed))
    assert rows == [(1, "upheld"), (2, "overturned"), (3, "overturned")]
    assert query(db, "SELECT count(*) FROM dim_letter WHERE source_path = ?", str(seed)) == [(1,)]
    assert query(db, "SELECT count(*) FROM fact_citation c JOIN dim_letter l USING (letter_key)"
                     " WHERE l.source_path = ?", str(seed)) == [(sum(
                         len(i["citations"]) for i in parse_file(seed)["items"]),)]
    assert query(db, "SELECT sha256 FROM dim_letter WHERE source_path = ?", str(seed)) == \
        [(parse_file(seed)["sha256"],)]
    total = sum(len(decision_lines(p)) for p in letters.iterdir())
    assert query(db, "SELECT count(*) FROM fact_decision") == [(total,)]


def test_a_letter_is_its_case_number_wherever_its_file_is(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    load([letters], db)
    real = letters / REAL[0].name
    moved = tmp_path / "elsewhere" / "renamed.txt"
    moved.parent.mkdir()
    moved.write_text(real.read_text().replace("Decision rationale:", "Decision rationale: (corrected)", 1))
    real.unlink()
    summary = load([letters, moved], db)
    assert (summary.updated, summary.new) == (1, 0)
    assert query(db, "SELECT source_path FROM v_letters WHERE letter_id = ?", REAL[0].stem) == [(str(moved),)]


def test_two_versions_of_a_letter_in_one_run_end_with_the_later_file(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    later = letters / "zz-corrected.txt"
    later.write_text((letters / REAL[0].name).read_text().replace("Decision rationale:", "Decision rationale: (v2)", 1))
    summary = load([letters], db)
    assert (summary.seen, summary.new, summary.updated) == (8, 7, 1)
    assert query(db, "SELECT source_path FROM v_letters WHERE letter_id = ?", REAL[0].stem) == [(str(later),)]
    assert query(db, "SELECT count(*) FROM fact_decision d JOIN dim_letter l USING (letter_key)"
                     " WHERE l.letter_id = ?", REAL[0].stem) == [(len(decision_lines(later)),)]


def test_the_same_letter_under_two_names_is_loaded_once(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    shutil.copy(letters / SEEDS[1].name, letters / "copy-of-seed.txt")
    summary = load([letters], db)
    assert (summary.seen, summary.new, summary.unchanged) == (8, 7, 1)
    assert query(db, "SELECT count(*) FROM dim_letter") == [(7,)]


def test_force_rewrites_every_letter_to_the_same_state(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    load([letters], db)
    before = snapshot(db, ignore=("load_run_id", "loaded_at"))
    summary = load([letters], db, force=True)
    assert (summary.updated, summary.unchanged) == (7, 0)
    assert snapshot(db, ignore=("load_run_id", "loaded_at")) == before
    assert query(db, "SELECT DISTINCT load_run_id FROM dim_letter") == [(2,)]


# ------------------------------------------------------------- quarantine


def test_a_bad_letter_is_quarantined_with_its_reason_and_text_and_the_rest_load(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    bad = letters / SEEDS[2].name
    line, text = break_letter(bad)
    (letters / "empty.txt").write_bytes(b"")
    seen = []
    summary = load([letters], db, on_quarantine=seen.append)
    assert (summary.seen, summary.new, summary.quarantined) == (8, 6, 2)
    assert sorted(Path(q.source_path).name for q in seen) == sorted([bad.name, "empty.txt"])

    [row] = query(db, "SELECT stage, reason, line_number, column_number, expected, raw_text, raw_bytes, size_bytes"
                      " FROM etl_quarantine WHERE source_path = ?", str(bad))
    stage, reason, line_number, column, expected, raw_text, raw_bytes, size = row
    assert stage == "parse" and "Modified" in reason and "Upheld or Overturned" in reason
    assert line_number == line and column > 1 and "Upheld or Overturned" in expected
    assert raw_text == text and bytes(raw_bytes) == bad.read_bytes() and size == len(bad.read_bytes())
    assert query(db, "SELECT reason FROM v_quarantine WHERE source_path = ?", str(letters / "empty.txt")) == \
        [("empty letter: no text",)]
    assert query(db, "SELECT count(*) FROM dim_letter WHERE source_path = ?", str(bad)) == [(0,)]
    total = sum(len(decision_lines(p)) for p in letters.iterdir() if p != bad)
    assert query(db, "SELECT count(*) FROM fact_decision") == [(total,)]

    # fixed, it loads and leaves quarantine
    shutil.copy(SEEDS[2], bad)
    (letters / "empty.txt").unlink()
    summary = load([letters], db)
    assert (summary.new, summary.quarantined) == (1, 0)
    assert query(db, "SELECT count(*) FROM etl_quarantine WHERE source_path = ?", str(bad)) == [(0,)]


def test_a_broken_new_version_keeps_the_last_good_one(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    load([letters], db)
    bad = letters / SEEDS[0].name
    break_letter(bad)
    summary = load([letters], db)
    assert (summary.quarantined, summary.updated) == (1, 0)
    assert query(db, "SELECT count(*) FROM fact_decision d JOIN dim_letter l USING (letter_key)"
                     " WHERE l.source_path = ?", str(bad)) == [(3,)]
    # quarantining the same file version again does not duplicate it
    load([letters], db)
    assert query(db, "SELECT count(*) FROM etl_quarantine") == [(1,)]


def test_a_letter_that_fails_to_write_is_quarantined_alone(letters, tmp_path):
    """A database error while writing one letter of a batch rolls back only
    that letter: the batch is retried letter by letter."""
    db = str(tmp_path / "w.duckdb")
    victim = str((letters / SEEDS[3].name).resolve())
    # a NOT NULL column left empty in its second decision
    summary = load([letters], db, hooks=workers.Hooks(prepare=unwritable(victim, 1)))
    assert (summary.new, summary.quarantined) == (6, 1)
    [(stage, reason)] = query(db, "SELECT stage, reason FROM etl_quarantine")
    assert stage == "load" and reason.startswith("load failed: ") and "NOT NULL" in reason
    assert query(db, "SELECT count(*) FROM dim_letter WHERE source_path = ?", victim) == [(0,)]
    assert query(db, "SELECT count(*) FROM fact_decision d JOIN dim_letter l USING (letter_key)"
                     " WHERE l.source_path = ?", victim) == [(0,)]


def test_an_internal_error_quarantines_instead_of_stopping_the_run(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")

    def parse(text, data, source, *args):  # a bug of ours, met by one letter
        if source.endswith(SEEDS[4].name):
            raise RuntimeError("boom")
        return derive(text, data, source, *args)

    summary = load([letters], db, hooks=workers.Hooks(parse=parse))
    assert (summary.new, summary.quarantined) == (6, 1)
    assert query(db, "SELECT reason FROM etl_quarantine") == [("internal error: RuntimeError: boom",)]


# ------------------------------------------------------------- run records

def test_each_run_is_recorded(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    break_letter(letters / SEEDS[2].name)
    first = load([letters], db)
    second = load([letters], db)
    runs = query(db, "SELECT run_id, status, letters_seen, letters_new, letters_updated, letters_unchanged,"
                     " letters_quarantined, decisions_written, finished_at IS NOT NULL FROM v_load_runs"
                     " ORDER BY run_id")
    assert runs == [
        (1, "succeeded", 7, 6, 0, 0, 1, first.decisions, True),
        (2, "succeeded", 7, 0, 0, 6, 1, 0, True),
    ]
    assert second.run_id == 2
    for summary in (first, second):
        assert summary.seen == summary.new + summary.updated + summary.unchanged + summary.quarantined
    assert query(db, "SELECT DISTINCT load_run_id FROM dim_letter") == [(1,)]
    assert query(db, "SELECT run_id FROM etl_quarantine") == [(2,)]


def test_a_run_that_died_is_marked_aborted_by_the_next(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")
    load([SEEDS[0]], db)
    with warehouse.open_engine(db) as engine, engine.begin() as conn:  # as a SIGKILL would leave it
        conn.exec_driver_sql("UPDATE etl_load_run SET status = 'running', finished_at = NULL")
    load([SEEDS[0]], db)
    assert query(db, "SELECT run_id, status FROM v_load_runs ORDER BY run_id") == [(1, "aborted"), (2, "succeeded")]


def test_a_run_that_fails_is_recorded_as_failed(letters, tmp_path):
    db = str(tmp_path / "w.duckdb")

    def explode(outcomes):  # as the first batch is written
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load([letters], db, hooks=workers.Hooks(on_batch=explode))
    assert query(db, "SELECT status, message FROM v_load_runs") == [("failed", "KeyboardInterrupt: ")]


# --------------------------------------------------------------- discovery

def test_discovery_takes_text_and_pdf_files_recursively_and_skips_a_pdf_beside_its_text(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/one.txt", "a/one.pdf", "a/b/two.TXT", "a/b/three.pdf", "a/b/Two.pdf", "a/notes.md"):
        (tmp_path / name).write_text("x")
    explicit = tmp_path / "letter.text"
    explicit.write_text("x")
    files, skipped = discover([tmp_path / "a", explicit, tmp_path / "a" / "one.txt"])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "a/b/Two.pdf", "a/b/three.pdf", "a/b/two.TXT", "a/one.txt", "letter.text"]
    assert [f.name for f in skipped] == ["one.pdf"]


def test_a_batch_shorter_than_the_last_reads_only_its_own_rows(tmp_path):
    """Each batch's CSV file is written over the last one's in place and cut
    to its length (dialect.insert_csv): a shorter batch reads nothing of the
    longer one before it."""
    from imr_etl import dialect, schema

    with warehouse.open_engine(str(tmp_path / "w.duckdb")) as engine:
        warehouse.migrate(engine)
        with engine.begin() as conn:
            table = schema.dim_condition  # (condition_key, condition, body_region)
            dialect.insert_csv(conn, table, [f'{k},"condition {k}","region"\n' for k in range(1, 41)], tmp_path)
            dialect.insert_csv(conn, table, ['99,"a much shorter batch",\\N\n'], tmp_path)
            rows = conn.exec_driver_sql("SELECT condition_key, condition, body_region FROM dim_condition "
                                        "ORDER BY condition_key").fetchall()
    assert len(rows) == 41 and rows[-1] == (99, "a much shorter batch", None)
    assert rows[:2] == [(1, "condition 1", "region"), (2, "condition 2", "region")]
