"""Where a decision's body region comes from (issue 16): the service's own
words, or the chapter of the guidelines cited for a treatment given to a
region — never for a drug, a lab test or a topic for any region."""

from __future__ import annotations

from functools import cache

from helpers import REAL, query
from imr_etl import rows, warehouse
from imr_etl.letters import parse_file
from imr_etl.writer import load


@cache
def items(stem: str) -> list[dict]:
    return parse_file(next(p for p in REAL if p.stem == stem))["items"]


def test_pre_operative_tests_for_a_shoulder_operation_name_no_region():
    # CM17-0007142: "Pre-operative EKG: Overturned" … "Official Disability Guidelines (ODG),
    # Low Back Chapter, Preoperative electrocardiogram (ECG)": the operation is on the shoulder
    pre_op = [i for i in items("CM17-0007142") if i["service"].startswith("Pre-operative")]
    assert [i["service"] for i in pre_op] == ["Pre-operative medical clearance", "Pre-operative EKG",
                                              "Pre-operative CBC", "Pre-operative BMP", "Pre-operative PT/PTT"]
    assert {(i["body_region"], i["body_region_source"]) for i in pre_op} == {(None, None)}


def test_a_drug_judged_by_a_regions_chapter_names_no_region():
    # CM17-0019011: "Naproxen 500mg #60" for "neck, shoulder, and arm pain", judged by the
    # MTUS Neck and Upper Back Complaints chapter
    (naproxen,) = [i for i in items("CM17-0019011") if i["service"] == "Naproxen 500mg #60"]
    assert (naproxen["body_region"], naproxen["body_region_source"]) == (None, None)


def test_equipment_takes_its_region_from_the_chapter_and_says_so():
    # CM17-0007142: "Associated surgical service: Cold therapy unit", cited under ODG
    # "Shoulder (Acute and Chronic), Continuous-flow cryotherapy"
    (unit,) = [i for i in items("CM17-0007142") if i["service"].endswith("Cold therapy unit")]
    assert (unit["body_region"], unit["body_region_source"]) == ("shoulder", "guideline")
    # and a service that names its region says so: "MRI of the right knee" (CM16-0236906 … )
    named = [i for p in REAL[:20] for i in items(p.stem) if i["body_region_source"] == "service"]
    assert named and all(i["body_region"] for i in named)


def test_revision_0006_reads_every_region_again_by_the_rule(tmp_path):
    """A warehouse whose regions an older release guessed from a drug's
    chapter: the upgrade clears them and records each region's source."""
    db = str(tmp_path / "w.duckdb")
    load([], db, jobs=1)
    before = query(db, "SELECT decision_key, body_region_key, body_region_source FROM fact_decision ORDER BY 1")
    with warehouse.open_engine(db) as engine:
        warehouse.downgrade(engine, "0005")
    cervical = rows.body_region_row("cervical")[0]
    query(db, "UPDATE fact_decision SET body_region_key = ? WHERE service = 'Naproxen 500mg #60'", cervical)
    assert query(db, "SELECT count(*) FROM fact_decision WHERE body_region_key = ?", cervical)[0][0] > 0
    with warehouse.open_engine(db) as engine:
        warehouse.migrate(engine)
    assert query(db, "SELECT decision_key, body_region_key, body_region_source FROM fact_decision ORDER BY 1") \
        == before
    sources = dict(query(db, "SELECT body_region_source, count(*) FROM fact_decision GROUP BY 1"))
    assert sources["service"] > sources["guideline"] > 0 and sources[None] > 0
