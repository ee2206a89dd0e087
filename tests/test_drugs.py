"""A pharmaceutical item's drug (imr_etl/drugs.py, docs/dwc-taxonomy.md "Drugs").

Expected values are read from the services as the sample letters write them
(the case number says which letter); generics of brands and products are
their labels' ingredients.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import REAL, SAMPLES
from imr_etl import drugs, dwc, vocabulary
from imr_etl.letters import parse_file


def _drug(generic, brand, strength, dose_form, drug_class) -> dict:
    return {"generic": generic, "brand": brand, "strength": strength, "dose_form": dose_form,
            "drug_class": drug_class}


LETTERS = [
    # CM16-0234202
    ("Norco 10/325mg #35", _drug("hydrocodone/acetaminophen", "Norco", "10/325mg", None, "Opioids")),
    # CM17-0013320: a combination named by its generics, strengths joined by "-"
    ("Diclofenac/misoprostol 75-0.2mg #60 with 2 refills",
     _drug("diclofenac/misoprostol", None, "75-0.2mg", None, "NSAID")),
    # CM16-0247802: the salt (citrate) and release form (ER) are dropped; "tabs" is a tablet
    ("Orphenadrine Citrate ER 100mg tabs #30", _drug("orphenadrine", None, "100mg", "tablet", "Muscle Relaxant")),
    # CM17-0014438: "sod" (sodium) and DR dropped
    ("Pantoprazole sod DR 20mg #60", _drug("pantoprazole", None, "20mg", None, "Proton Pump Inhibitors")),
    # CM16-0239110
    ("Oxycodone HCL ER 20mg #60 day supply: 30", _drug("oxycodone", None, "20mg", None, "Opioids")),
    # CM16-0249536: a compound lists its agents in the letter's order
    ("Flurbiprofen 20%, Baclofen 5%, Dexamethasone 2%, Menthol 2%, Capsaicin 0.025% in cream base",
     _drug("flurbiprofen/baclofen/dexamethasone/menthol/capsaicin", None, "20%/5%/2%/2%/0.025%", "cream",
           "Topical Compounds")),
    # CM17-0013716: lidocaine has no strength of its own here
    ("Dextromethorphan 5%/Amitriptyline 5%/Lidocaine/Capsaicin 0.025%, 120grams #1",
     _drug("dextromethorphan/amitriptyline/lidocaine/capsaicin", None, "5%/5%/0.025%", None, "Topical Compounds")),
    # CM17-0009995: LidoPro's label: capsaicin, lidocaine, menthol, methyl salicylate;
    # "121gm" is the tube, the date no strength
    ("Retrospective Lidopro 4%-27.5%-0.0325% 121gm #1, per 12/07/2016 order",
     _drug("capsaicin/lidocaine/menthol/methyl salicylate", "Lidopro", "4%-27.5%-0.0325%", None,
           "Topical Compounds")),
    # CM17-0014438: a compounding kit of one agent is still a compound
    # CM17-0014438: a one-agent kit is a topical analgesic (docs/dwc-taxonomy.md)
    ("Cyclophene 5% cream 111.2 grams", _drug("cyclobenzaprine", "Cyclophene", "5%", "cream", "Topical Analgesics")),
    ("Compound Ketoprofen 20%, 240 grams", _drug("ketoprofen", None, "20%", None, "Topical Compounds")),
    # CM17-0013077: the brand in brackets; "tab" from the directions; "1/2 hour" no strength
    ("Diazepam (Valium) 5mg take 1 tab orally 1 hour before exam, may repeat dose 1/2 hour after first "
     "dose for anxiety", _drug("diazepam", "Valium", "5mg", "tablet", "Benzodiazepines")),
    ("Tramadol (Ultram) 50mg take 1 tab orally every 4-6 hours as needed for moderate to severe pain #30",
     _drug("tramadol", "Ultram", "50mg", "tablet", "Opioids")),
    # CM17-0019171
    ("Meloxicam (Mobic) 7.5mg #30", _drug("meloxicam", "Mobic", "7.5mg", None, "NSAID")),
    # CM17-0013625: an oral compounding kit of gabapentin; "420ml" is the bottle
    ("Fanatrex 25mg/ml oral suspension 420ml",
     _drug("gabapentin", "Fanatrex", "25mg/ml", "oral suspension", "Anti-epilepsy drugs")),
    # CM17-0014438
    ("Synapryn (10mg/1ml oral suspension) 500ml",
     _drug("tramadol", "Synapryn", "10mg/1ml", "oral suspension", "Opioids")),  # the kit's glucosamine left out
    # CM17-0015790
    ("Norco 7.5-325mg #112", _drug("hydrocodone/acetaminophen", "Norco", "7.5-325mg", None, "Opioids")),
    # CM16-0245466: a diclofenac patch is a topical analgesic, not an NSAID by mouth
    ("Flector 1.3% transdermal patch", _drug("diclofenac", "Flector", "1.3%", "patch", "Topical Analgesics")),
    ("Etodolac", _drug("etodolac", None, None, None, "NSAID")),
    # CM16-0234464: "106.32gm" is the tube
    ("Lidocaine ointment 5% 106.32gm", _drug("lidocaine", None, "5%", "ointment", "Topical Analgesics")),
    # CM16-0247802
    ("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40",
     _drug("hydrocodone/acetaminophen", "Norco", "5/325mg", "tablet", "Opioids")),
    # CM17-0011517
    ("Three refills of Voltaren 75mg #60", _drug("diclofenac", "Voltaren", "75mg", None, "NSAID")),
    # CM17-0009995
    ("Retrospective Famotidine 20mg #60, per 12/07/2016 order", _drug("famotidine", None, "20mg", None, "H2 Blocker")),
]


@pytest.mark.parametrize("service, expected", LETTERS, ids=[s[:40] for s, _ in LETTERS])
def test_drug_of_a_letters_service(service, expected):
    assert drugs.drug(service) == expected


@pytest.mark.parametrize("service, generic, drug_class", [
    ("Fioricet #30", "butalbital/acetaminophen/caffeine", "Barbiturates"),
    ("Trezix 320.5/30/16mg #60", "acetaminophen/caffeine/dihydrocodeine", "Opioids"),
    ("Nucynta ER 100mg #60", "tapentadol", "Opioids"),
    ("Percocet 10/325mg #90", "oxycodone/acetaminophen", "Opioids"),
    ("Lorzone 750mg #60", "chlorzoxazone", "Muscle Relaxant"),
    ("Theramine #120", "medical food", "Nutritional Products"),
    ("Sentra PM #60", "medical food", "Nutritional Products"),
    ("Ondansetron ODT 8mg #30", "ondansetron", "Antiemetic"),
    ("Imitrex 50mg #9", "sumatriptan", "Antimigraine Agent"),
    ("Terocin lotion 120ml", "methyl salicylate/capsaicin/menthol/lidocaine", "Topical Compounds"),
    ("Butrans 10mcg/hr patch #4", "buprenorphine", "Opioids"),  # a patch, but an opioid
    ("Voltaren 1% gel", "diclofenac", "Topical Analgesics"),
    ("Medrol dosepak", "methylprednisolone", "Adrenal Cortical Steroids"),
    ("Narcan nasal spray", "naloxone", "Opioid Antagonist"),
    ("Tylenol #3 #60", "acetaminophen/codeine", "Opioids"),
    ("Acetaminophen 500mg", "acetaminophen", "Misc Analgesics"),
    ("Zolpidem 10mg #30", "zolpidem", "Sedative-hypnotics"),
])
def test_commonly_disputed_drugs(service, generic, drug_class):
    found = drugs.drug(service)
    assert (found["generic"], found["drug_class"]) == (generic, drug_class)


def test_every_spelling_of_a_drug_gives_one_generic_and_class():
    spellings = ["Norco", "NORCO", "norco", "Vicodin", "Lortab 10/325", "Hydrocodone/APAP", "HYDROCODONE/APAP",
                 "hydrocodone-acetaminophen", "Hydrocodone/Acetaminophen 10/325mg",
                 "Hydrocodone bitartrate/acetaminophen", "APAP/hydrocodone", "Norco (hydrocodone/APAP)"]
    found = {(drugs.drug(s)["generic"], drugs.drug(s)["drug_class"]) for s in spellings}
    assert found == {("hydrocodone/acetaminophen", "Opioids")}


def test_a_generic_alone_is_its_own_generic():
    assert drugs.drug("hydrocodone")["generic"] == "hydrocodone"
    assert drugs.drug("Hydrocodone ER 20mg")["generic"] == "hydrocodone"
    assert drugs.drug("APAP 500mg")["generic"] == "acetaminophen"


def test_brand_is_as_the_letter_writes_it_and_null_for_a_generic():
    assert drugs.drug("NORCO 10/325")["brand"] == "NORCO"
    assert drugs.drug("Meloxicam 7.5mg")["brand"] is None


def test_no_drug_named():
    assert drugs.drug("Medications") is None
    assert drugs.drug("Compound cream") == _drug(None, None, None, "cream", "Topical Compounds")


def test_a_date_or_a_fraction_of_a_dose_is_no_strength():
    assert drugs.drug("Baclofen #60, per 12/07/2016 order")["strength"] is None
    assert drugs.drug("Norco 1/2 tab at night")["strength"] is None
    assert drugs.drug("Norco 10/325 #60")["strength"] == "10/325"


# ------------------------------------------------------ compounded products


def test_compounded_products_of_the_table():
    assert drugs.is_compound("Terocin lotion")
    assert drugs.is_compound("LidoPro lotion")
    assert not drugs.is_compound("Ketophene 20% cream, 167 grams")  # one agent
    assert not drugs.is_compound("Lidocaine 5% patch #1")
    assert not drugs.is_compound("Flurbiprofen 20%, Baclofen 5% in cream base")  # compounded, but by its text


def test_dwc_files_a_compounded_product_under_topical_compounds():
    # CM17-0009995: "Retrospective Lidopro 4%-27.5%-0.0325% 121gm" — a compounded product
    assert dwc.classify("Lidopro 121gm #1", "pharmaceuticals", "topical_analgesics", None) == (
        "Pharmaceuticals", "Topical Compounds")
    # CM17-0014438: "Cyclophene 5% cream 111.2 grams" — a one-agent kit
    assert dwc.classify("Cyclophene 5% cream 111.2 grams", "pharmaceuticals", "topical_analgesics", None) == (
        "Pharmaceuticals", None)
    assert dwc.classify("Lidocaine 5% patch #1", "pharmaceuticals", "topical_analgesics", None) == (
        "Pharmaceuticals", None)


def test_the_record_carries_the_drug_of_pharmaceutical_items_only():
    # CM16-0230651: "Ultram 50mg #30" and "Flexeril 10mg #60" among EMG/NCV, MRI, acupuncture, therapy
    record = parse_file(SAMPLES / "real" / "CM16-0230651.txt")
    drugs_named = {item["service"]: item["drug"] for item in record["items"] if item["drug"]}
    assert drugs_named == {
        "Ultram 50mg #30": _drug("tramadol", "Ultram", "50mg", None, "Opioids"),
        "Flexeril 10mg #60": _drug("cyclobenzaprine", "Flexeril", "10mg", None, "Muscle Relaxant"),
    }
    assert len(record["items"]) > len(drugs_named)


def test_drug_class_and_dwc_agree_on_topical_compounds_in_every_sample_letter():
    seen = 0
    for path in REAL:
        for item in parse_file(path)["items"]:
            if item["dwc_category"] == "Pharmaceuticals" and item["drug"]:
                seen += 1
                assert (item["drug"]["drug_class"] == "Topical Compounds") == (
                    item["dwc_subcategory"] == "Topical Compounds"), (path.name, item["service"])
    assert seen > 40


# ------------------------------------------------------------- the table


def _reference() -> Path:
    """The DWC's vocabulary (a copy ships in docs/reference)."""
    return Path(__file__).resolve().parent.parent / "docs" / "reference" / "dwc-imr-vocabulary.md"


def _dwc_drug_classes() -> set[str]:
    text = _reference().read_text(encoding="utf-8")
    listed = re.search(r"Pharmaceutical drug classes:(.*?)\n\s*\n", text, re.S).group(1)
    return {" ".join(name.split()).rstrip(".") for name in listed.split(";")}


def test_every_drug_class_is_a_dwc_class_name():
    classes = _dwc_drug_classes()
    assert {"Opioids", "Muscle Relaxant", "Topical Compounds", "Nutritional Products"} <= classes
    assert {row["drug_class"] for row in vocabulary.rows("drugs.csv")} <= classes


def test_every_row_has_a_generic_and_a_class():
    for row in vocabulary.rows("drugs.csv"):
        assert row["name"] and row["generic"] and row["drug_class"], row
        assert row["generic"] == row["generic"].lower(), row
        assert row["compound"] in ("yes", ""), row
        # a brand in one of its forms ("Terocin patch") names its brand ("Terocin")
        assert row["brand"] in ("yes", "") or row["name"].lower().startswith(row["brand"].lower()), row


def test_a_brand_whose_forms_differ_in_ingredients():
    # the Terocin patch is lidocaine and menthol; the lotion adds methyl salicylate and capsaicin
    assert drugs.drug("Terocin patch #10")["generic"] == "lidocaine/menthol"
    assert drugs.drug("Terocin patch #10")["brand"] == "Terocin"
    assert drugs.drug("Terocin lotion 120ml")["generic"] == "methyl salicylate/capsaicin/menthol/lidocaine"


def test_names_are_unique_and_keep_their_pharmaceutical_subcategory():
    subcategories = {row["subcategory"] for row in vocabulary.rows("taxonomy.csv")
                     if row["category"] == "pharmaceuticals"}
    names = [row["name"].lower() for row in vocabulary.rows("drugs.csv")]
    assert len(names) == len(set(names))
    assert {row["subcategory"] for row in vocabulary.rows("drugs.csv")} <= subcategories


def test_every_ingredient_of_a_generic_is_a_name_of_the_table():
    names = {row["name"].lower() for row in vocabulary.rows("drugs.csv")}
    for row in vocabulary.rows("drugs.csv"):
        assert set(row["generic"].split("/")) <= names, row


def test_compounded_products_are_topical_compounds():
    # classify must call them topical analgesics for imr_etl.dwc to consult the table
    for row in vocabulary.rows("drugs.csv"):
        if row["compound"] == "yes":
            assert (row["subcategory"], row["drug_class"]) == ("topical_analgesics", "Topical Compounds"), row
