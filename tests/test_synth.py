"""The synthetic corpus generator (imr_etl/synth.py, `imr-etl synth`).

The first test is the one that matters: synthetic letters parse to exactly
their manifest, so the generator and the grammar check each other.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from functools import cache

import pytest
from click.testing import CliRunner

from helpers import CITATION_KEYS, ITEM_KEYS, REVIEWER_KEYS, record_differences
from imr_etl import synth, vocabulary
from imr_etl.cli import main
from imr_etl.letters import parse_bytes, parse_file

SEEDS = (0, 1, 2, 3)


def _diff(entry: dict, record: dict) -> list[str]:
    """Where a parse record departs from its manifest entry, field by field."""
    problems = record_differences(entry["path"], entry, record)
    if entry["sha256"] != record["sha256"]:
        problems.append(f"{entry['path']}: sha256 differs")
    return problems


@cache
def _parsed(seed: int) -> tuple[tuple[dict, dict], ...]:
    """150 letters of a seed: (manifest entry, parse record), parsed once."""
    return tuple((entry, parse_bytes(data, path)) for path, data, entry in synth.letters(150, seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_synthetic_letters_parse_to_their_manifest(seed):
    problems = []
    for entry, record in _parsed(seed):
        problems += _diff(entry, record)
    assert not problems, "\n".join(problems[:30])


# ----------------------------------------------------- conformed keys (issue 11)
# Each conformed key the manifest states, and the parser's part that makes it.
# Until that part is real (a skeleton gives placeholders), its key's test
# fails; the test's id names the key and the module.
CONFORMED = {
    "dwc_category": "dwc.py",
    "dwc_subcategory": "dwc.py",
    "drug": "drugs.py",  # a drug or none
    "drug.generic": "drugs.py",
    "drug.brand": "drugs.py",
    "drug.strength": "drugs.py",
    "drug.dose_form": "drugs.py",
    "drug.drug_class": "drugs.py",
    "guideline_id": "guidelines.py",
    "board_specialties": "classify.board_specialties",
}
ABSENT = "(absent)"


def _conformed_differences(entry: dict, record: dict, key: str) -> list[str]:
    """Where a record departs from its manifest entry in one conformed key.
    The manifest leaves out a key the rule book does not decide (a drug's
    generic for "Theramine", the board specialty of "Addiction Medicine", an
    ACOEM practice guideline's id): that is not compared."""
    where = entry["path"]
    if key == "board_specialties":
        want = entry["reviewer"].get(key, ABSENT)
        got = record["reviewer"].get(key, ABSENT)
        return [] if want in (ABSENT, got) else [f"{where}: reviewer.{key}: expected {want!r}, got {got!r}"]
    problems = []
    for want_item, got_item in zip(entry["items"], record["items"]):
        item = f"{where}: item {want_item['ordinal']} ({want_item['service']!r})"
        if key == "guideline_id":
            for n, (w, g) in enumerate(zip(want_item["citations"], got_item["citations"]), 1):
                if key in w and w[key] != g.get(key):
                    problems.append(f"{item} citation {n} ({w['document']!r}, {w['topic']!r}) {key}: "
                                    f"expected {w[key]!r}, got {g.get(key)!r}")
            continue
        if key.startswith("drug"):
            want_drug, got_drug = want_item["drug"], got_item.get("drug")
            if key == "drug":
                want, got = ("a drug" if d else "no drug" for d in (want_drug, got_drug))
            else:
                sub = key.partition(".")[2]
                if want_drug is None or sub not in want_drug:
                    continue
                want, got = want_drug[sub], (got_drug or {}).get(sub, ABSENT)
        else:
            want, got = want_item[key], got_item.get(key)
        if want != got:
            problems.append(f"{item} {key}: expected {want!r}, got {got!r}")
    return problems


@pytest.mark.parametrize("key", CONFORMED, ids=lambda key: f"{key}-{CONFORMED[key]}")
def test_synthetic_letters_conform_to_their_manifest(key):
    """The DWC's classification, the drug, the guideline and the board
    specialty the parser gives a synthetic letter are the manifest's."""
    problems = []
    for seed in SEEDS:
        for entry, record in _parsed(seed):
            problems += _conformed_differences(entry, record, key)
    assert not problems, f"{len(problems)} {key} differ ({CONFORMED[key]}):\n" + "\n".join(problems[:30])


# The DWC's names (shared/reference/dwc-imr-vocabulary.md, the IMR decision
# search's option lists), and the two the rule book adds (docs/dwc-taxonomy.md:
# Pharmaceuticals has no subcategory but Topical Compounds; Unclassified).
DWC_SUBCATEGORIES = {
    "Diagnostic Testing": {"Imaging › Radiology", "Imaging › Peripheral", "EMG/NCV/NCS",
                           "Lab & Pathology", "Other Diagnostic Tests"},
    "DMEPOS": {"DME", "Electrical Stimulation", "Prosthetics/Orthotics", "Supplies"},
    "Evaluation & Management": {"Medical Specialties", "Dental Services"},
    "Home Health": {"Home Health"},
    "Injection": {"Facet Injection", "Injection"},
    "Pharmaceuticals": {None, "Topical Compounds"},
    "Programs": {"Programs"},
    "Psych Services": {"Evaluation & Management", "Therapies"},
    "Rehabilitation": {"Physical Therapy/Occupational Therapy (PT/OT)", "Chiropractic", "Acupuncture",
                       "Other Therapies"},
    "Surgery": {"Spine", "Arthroscopic Surgery", "Non-arthroscopic Surgery", "Adjunct Surgical Services",
                "Surgical Consult"},
    "Therapies": {"Therapies", "Other Therapies"},
    "Transportation": {"Transportation"},
    "Unclassified": {None},
}
DWC_DRUG_CLASSES = set("""Adrenal Cortical Steroids; Alpha-blocker; Androgens & Anabolic Steroids;
Anti-coagulant; Anti-epilepsy drugs; Anti-infectives; AntiAnxiety; Antidepressant; Antidiabetics;
Antiemetic; Antihistamine; Antihypertensive; Antimigraine Agent; Asthma Medications; Atypical
Antipsychotic; Barbiturates; Benzodiazepines; Beta-blocker; Bisphosphonates; Calcium Channel Blocker;
Cannabinoids; Dopamine agonists; Fibric Acid; GI Agents; H2 Blocker; Hormones; Impotence Agents;
Injection; Misc Analgesics; Muscle Relaxant; NSAID; Nutritional Products; Opioids; Opioid Antagonist;
Proton Pump Inhibitors; Sedative-hypnotics; Statin; Stimulants; Topical Analgesics; Topical Compounds;
Tumor necrosis factor (TNF) modifiers; Viscosupplementation""".replace("\n", " ").split("; "))
DWC_BOARD_SPECIALTIES = set("""Addiction Psychiatry; Allergy and Immunology; Anesthesiology;
Cardiovascular Disease; Child and Adolescent Psychiatry; Chiropractic; Colon and Rectal Surgery; Critical
Care Medicine; Dentist; Dermatology; Diagnostic Radiology; Emergency Medicine; Family Practice;
Gastroenterology; General Vascular Surgery; Geriatric Medicine; Hand Surgery; Hospice & Palliative
Medicine; Infectious Disease; Internal Medicine; Interventional Cardiology; Medical Oncology; Medical
Toxicology; Nephrology; Neurological Surgery; Neurology; Neuromuscular Medicine; Neuroradiology;
Occupational Medicine; Oncology; Ophthalmology; Optometry; Oriental Medicine; Orthopedic Surgery;
Otolaryngology; Pain Management; Pediatrics; Physical Medicine & Rehabilitation; Plastic Surgery;
Podiatric Surgery; Podiatrist; Preventive Medicine; Psychiatry; Psychologist; Psychology; Public Health
& General Preventive Medicine; Pulmonary Disease; Radiology; Registered Nurse; Rheumatology; Sleep
Medicine; Sports Medicine; Surgical Critical Care; Thoracic Surgery;
Urology""".replace("\n", " ").split("; "))
# docs/synth.md: mtus/<document>[/<edition>], odg[/<chapter>]
GUIDELINE_ID = re.compile(r"mtus/[a-z]+(?:-[a-z]+)*(?:/(?:19|20)\d\d)?|odg(?:/[a-z]+(?:-[a-z]+)*)?")


def test_the_truth_is_in_the_dwc_names_and_the_guideline_scheme():
    """The manifest's conformed values are the DWC's own spellings, so a
    typo in a vocabulary cannot become a truth."""
    services = vocabulary.rows("synth_services.csv")
    for row in services:
        assert (row["dwc_subcategory"] or None) in DWC_SUBCATEGORIES[row["dwc_category"]], row
        if row["dwc_limb_subcategory"]:
            assert row["dwc_limb_subcategory"] in DWC_SUBCATEGORIES[row["dwc_category"]], row
        drug = [row[k] for k in ("drug_generic", "drug_brand", "drug_strength", "drug_dose_form", "drug_class")]
        if row["dwc_category"] != "Pharmaceuticals":
            assert not any(drug), row
            continue
        assert row["drug_class"] in DWC_DRUG_CLASSES | {"?"}, row
        # a compound is filed apart, and only a compound
        compound = row["drug_class"] == "Topical Compounds"
        assert (row["dwc_subcategory"] == "Topical Compounds") == compound, row
        assert row["drug_generic"] == row["drug_generic"].lower(), row
    for row in vocabulary.rows("synth_specialties.csv"):
        assert row["board_specialty"] in DWC_BOARD_SPECIALTIES | {""}, row
    for row in vocabulary.rows("synth_guidelines.csv"):
        assert not row["guideline_id"] or GUIDELINE_ID.fullmatch(row["guideline_id"]), row
        assert bool(row["guideline_id"]) == (row["kind"] not in (
            "stress_new", "acoem_section", "odg_document", "acoem_practice", "ama", "other")), row


def test_manifest_entries_have_the_record_keys():
    _, _, entry = next(synth.letters(1, 0))
    assert set(entry) == {"path", "sha256", "format", "header", "reviewer", "patient",
                          "diagnoses", "items"}
    assert set(entry["reviewer"]) <= {*REVIEWER_KEYS, "board_specialties"}
    item = entry["items"][0]
    assert tuple(item) == (*ITEM_KEYS, "dwc_category", "dwc_subcategory", "drug", "citations")
    assert set(item["citations"][0] if item["citations"] else {}) <= {*CITATION_KEYS, "guideline_id"}
    for _, _, entry in synth.letters(200, 0):
        for item in entry["items"]:
            assert set(item["drug"] or {}) <= {"generic", "brand", "strength", "dose_form", "drug_class"}


def test_same_seed_same_corpus_and_a_prefix_is_a_smaller_corpus():
    first = list(synth.letters(40, 7))
    assert first == list(synth.letters(40, 7))
    assert first[:15] == list(synth.letters(15, 7))
    other = list(synth.letters(40, 8))
    assert [d for _, d, _ in first] != [d for _, d, _ in other]


def test_a_corpus_of_2000_covers_the_taxonomy_and_the_variations():
    subcategories, item_counts, units, sources, features = Counter(), Counter(), Counter(), Counter(), Counter()
    case_numbers = []
    dwc, drugs, documents, guideline_ids, specialties = set(), set(), set(), set(), set()
    for _, data, entry in synth.letters(2000, 11):
        item_counts[len(entry["items"])] += 1
        specialties.update(entry["reviewer"]["specialties"])
        features["board specialties"] += "board_specialties" in entry["reviewer"]
        if entry["header"]["case_number"]:
            case_numbers.append(entry["header"]["case_number"])
        features["no sex"] += entry["patient"]["sex"] is None
        features["diagnoses"] += bool(entry["diagnoses"])
        features["board certified"] += entry["reviewer"]["board_certified"]
        features["licensed in"] += not entry["reviewer"]["board_certified"]
        features["crlf"] += b"\r\n" in data
        features["form feed"] += b"\f" in data
        features["typographic"] += "’".encode() in data
        features["partial"] += b"was the original request" in data
        for item in entry["items"]:
            subcategories[item["treatment_category"], item["treatment_subcategory"]] += 1
            dwc.add((item["dwc_category"], item["dwc_subcategory"]))
            if item["drug"]:
                drugs.add(tuple(item["drug"].get(k) for k in ("generic", "brand", "drug_class")))
                features["dose form said by the quantity"] += item["drug"].get("dose_form") in (
                    "tablet", "capsule")
            units[item["quantity_unit"] if item["quantity"] is not None else "none"] += 1
            features[item["decision"]] += 1
            for cited in item["citations"]:
                sources[cited["source"]] += 1
                features["pages"] += cited["pages"] is not None
                features["section"] += cited["section"] is not None
                documents.add(cited["document"])
                guideline_ids.add(cited.get("guideline_id"))
                features["capitals"] += cited["document"].isupper() and len(cited["document"]) > 4
                features["lower case"] += cited["document"].islower()
    taxonomy = {(r["category"], r["subcategory"]) for r in vocabulary.rows("taxonomy.csv")}
    assert taxonomy - synth.PARSER_GAPS - set(subcategories) == set()
    assert set(item_counts) == {1, 2, 3, 4, 5, 6}
    assert {"visits", "sessions", "units", "refills", "days", "months", "hours", None,
            "none"} <= set(units)
    assert set(sources) == {"MTUS", "ODG", "ACOEM", "AMA", "OTHER"}
    assert 0.85 < features["upheld"] / (features["upheld"] + features["overturned"]) < 0.95
    assert 0.4 < len(case_numbers) / 2000 < 0.6
    assert len(set(case_numbers)) == len(case_numbers)
    for feature in ("no sex", "diagnoses", "board certified", "licensed in", "crlf", "form feed",
                    "typographic", "partial", "pages", "section", "dose form said by the quantity",
                    "capitals", "lower case"):
        assert features[feature] > 20, feature
    # the conformed keys: every spelling the vocabularies hold, every class
    services = [r for r in vocabulary.rows("synth_services.csv")
                if (r["category"], r["subcategory"]) not in synth.PARSER_GAPS]
    assert dwc == {(r["dwc_category"], r["dwc_subcategory"] or None) for r in services} | {
        (r["dwc_category"], r["dwc_limb_subcategory"]) for r in services if r["dwc_limb_subcategory"]}
    assert {d[2] for d in drugs} - {None} == {r["drug_class"] for r in services} - {"", "?"}
    assert len({d[0] for d in drugs}) > 60 and len({d[1] for d in drugs}) > 50
    guidelines = vocabulary.rows("synth_guidelines.csv")
    assert {g["document"] for g in guidelines if g["kind"] not in ("acoem_section", "odg_chapter")} \
        <= documents
    assert guideline_ids - {None} == {g["guideline_id"] for g in guidelines} - {""} | {"odg"}
    assert specialties == {r["written"] for r in vocabulary.rows("synth_specialties.csv")}
    assert 0.5 < features["board specialties"] / 2000 < 0.95


def test_cli_writes_the_letters_and_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "PER_DIR", 10)  # spread 25 letters over 3 directories
    out = tmp_path / "corpus"
    result = CliRunner().invoke(main, ["synth", "25", str(out), "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "wrote 25 letters" in result.output
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(entries) == 25
    assert sorted(p.name for p in out.iterdir()) == ["0000", "0001", "0002", "manifest.jsonl"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt")) == sorted(
        e["path"] for e in entries)
    for entry in entries:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    for entry in entries[::6]:
        assert not _diff(entry, parse_file(out / entry["path"]))
    # the same as the library's letters, byte for byte
    assert [e["sha256"] for e in entries] == [e["sha256"] for _, _, e in synth.letters(25, 5)]


def test_cli_will_not_mix_corpora_unless_forced(tmp_path):
    out = tmp_path / "corpus"
    runner = CliRunner()
    assert runner.invoke(main, ["synth", "12", str(out)]).exit_code == 0
    refused = runner.invoke(main, ["synth", "5", str(out)])
    assert refused.exit_code != 0 and "--force" in refused.output
    forced = runner.invoke(main, ["synth", "5", str(out), "--force", "--quiet"])
    assert forced.exit_code == 0 and forced.output == ""
    assert len(list(out.rglob("*.txt"))) == 5
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 5
