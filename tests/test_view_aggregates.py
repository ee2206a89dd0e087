"""The views of revision 0003 read counts the load keeps (fact_decision's
citation summary, dim_letter.overturned_count, agg_guideline_document): they
must give exactly the rows the same views computed from the facts alone give
(tests/views_plain/, created as old_*: revision 0002's definitions, brought to
0004's columns and canonical documents), after first loads, replaced
letters, forced re-runs, no-op re-runs and quarantined letters alike — with
the library's mappings and with doubles that merge spellings into documents
(test_conformed)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from helpers import REAL, SEEDS, query
from imr_etl import checks, warehouse
from imr_etl.writer import load

OLD_VIEWS = sorted((Path(__file__).parent / "views_plain").glob("*.sql"))


def differences(db: str) -> dict[str, tuple[int, int, int]]:
    """Per view whose rows differ from its plain definition: (rows, rows only
    in the new view, rows only in the old one)."""
    out = {}
    with warehouse.open_engine(db) as engine, engine.begin() as conn:
        for path in OLD_VIEWS:
            conn.exec_driver_sql(path.read_text(encoding="utf-8"))
        for view in warehouse.views():
            if not any(path.stem.endswith(view.name) for path in OLD_VIEWS):
                continue  # a view with no plain form (it reads no kept count)
            new_only = conn.exec_driver_sql(
                f"SELECT count(*) FROM (SELECT * FROM {view.name} EXCEPT ALL SELECT * FROM old_{view.name})").scalar()
            old_only = conn.exec_driver_sql(
                f"SELECT count(*) FROM (SELECT * FROM old_{view.name} EXCEPT ALL SELECT * FROM {view.name})").scalar()
            if new_only or old_only:
                out[view.name] = (conn.exec_driver_sql(f"SELECT count(*) FROM {view.name}").scalar(),
                                  new_only, old_only)
        for path in OLD_VIEWS:  # leave the warehouse as the load made it
            name = re.search(r"CREATE OR REPLACE VIEW (\w+)", path.read_text(encoding="utf-8")).group(1)
            conn.exec_driver_sql(f"DROP VIEW {name}")
    return out


def failed_checks(db: str) -> list[str]:
    with warehouse.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        return [r.check.name for r in checks.run(conn) if not r.ok]


@pytest.fixture
def letters(tmp_path) -> Path:
    folder = tmp_path / "letters"
    folder.mkdir()
    for path in SEEDS + REAL[:6]:
        shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize("mappings", ["library", "doubles"])
def test_new_views_give_the_old_rows_through_replacements_reruns_and_quarantine(mappings, letters, tmp_path, request):
    if mappings == "doubles":
        request.getfixturevalue("doubles")
    db = str(tmp_path / "w.duckdb")
    first = load([letters], db, jobs=1)
    assert first.new == len(SEEDS) + 6 and first.quarantined == 0
    assert query(db, "SELECT count(*) FROM agg_guideline_document")[0][0] > 10
    assert differences(db) == {} and failed_checks(db) == []

    # a real letter corrected: one item's decision flips (same case number: its rows are replaced)
    real = letters / REAL[0].name
    text = real.read_text(encoding="utf-8")
    flipped = re.sub(r":\s*Upheld\b", ": Overturned", text, count=1)
    if flipped == text:
        flipped = re.sub(r":\s*Overturned\b", ": Upheld", text, count=1)
    assert flipped != text
    real.write_text(flipped, encoding="utf-8")
    # a seed (identified by its path) rewritten as another letter altogether,
    # with other decisions and citations
    seed = letters / SEEDS[0].name
    seed.write_text((letters / SEEDS[1].name).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    # and a file that is no letter
    (letters / "zz_broken.txt").write_text("not a letter at all\n", encoding="utf-8")
    before = query(db, "SELECT * FROM agg_guideline_document ORDER BY ALL")
    second = load([letters], db, jobs=1)
    assert (second.updated, second.quarantined) == (2, 1)
    assert query(db, "SELECT * FROM agg_guideline_document ORDER BY ALL") != before
    assert differences(db) == {} and failed_checks(db) == []

    kept = query(db, "SELECT * FROM agg_guideline_document ORDER BY ALL")
    again = load([letters], db, jobs=1)  # nothing changed: the aggregate neither
    assert again.new == again.updated == 0
    assert query(db, "SELECT * FROM agg_guideline_document ORDER BY ALL") == kept

    forced = load([letters], db, jobs=1, force=True)  # every letter replaced by itself
    assert forced.updated == len(SEEDS) + 6
    assert query(db, "SELECT * FROM agg_guideline_document ORDER BY ALL") == kept
    assert differences(db) == {} and failed_checks(db) == []


def test_the_old_views_are_the_plain_definitions():
    # what the comparison is against: the views computed from the citations and decisions —
    # among them those of the views that read a count the load keeps
    assert {p.name for p in OLD_VIEWS} <= {v.path.name for v in warehouse.views()}
    assert {"20_v_decisions.sql", "30_v_letters.sql", "42_v_overturn_rate_by_guideline.sql",
            "50_v_guideline_citations.sql"} <= {p.name for p in OLD_VIEWS}
    text = (Path(__file__).parent / "views_plain" / "42_v_overturn_rate_by_guideline.sql").read_text()
    assert "SELECT DISTINCT decision_key, cited_by, guideline_id, source, document FROM old_stg_citations" in text
    text = (Path(__file__).parent / "views_plain" / "41_v_overturn_rate_by_reviewer_specialty.sql").read_text()
    assert "FROM bridge_reviewer_specialty" in text
