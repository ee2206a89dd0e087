"""PDF letters: the published PDFs, and PDFs written here from the seed
letters' text, give the records and the warehouse their text gives; a scan,
a password-protected PDF and a broken one are quarantined, one line each,
while the good letters still load."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fpdf import FPDF
from PIL import Image, ImageDraw

from helpers import EXPECTED, REAL, SEEDS, query, record_differences, snapshot, unwritable
from imr_etl import workers
from imr_etl.cli import main
from imr_etl.discover import discover
from imr_etl.letters import LetterParseError, parse_bytes, parse_file
from imr_etl.writer import load
from imr_etl.pdftext import PdfTextError

# The columns of a letter's rows that belong to its file and how it was laid
# out, not to what it says: the rest must be the same from a PDF and its text.
FILE_COLUMNS = ("source_path", "sha256", "format", "run_id", "loaded_at", "start_line", "end_line",
                "raw_text", "raw_bytes", "record_sha256")


# ------------------------------------------------------------- PDF writing

def letter_pdf(text: str, user_password: str | None = None, size: float = 10) -> bytes:
    """A PDF of a letter's text, a line of the text per paragraph (wrapped
    at the page's width, as a letter's PDF wraps), Helvetica on US letter;
    with ``user_password``, encrypted (RC4) so that opening it needs it."""
    pdf = FPDF(format="letter")
    if user_password is not None:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    pdf.set_font("Helvetica", size=size)
    pdf.add_page()
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scan_pdf() -> bytes:
    """A PDF of one page that is only an image (ruled lines standing for a
    scanned letter's type): no text layer."""
    image = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(image)
    for y in range(100, 1000, 30):
        draw.line((80, y, 770, y), fill=0, width=3)
    pdf = FPDF(format="letter")
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=pdf.w)
    return bytes(pdf.output())


def facts(record: dict) -> dict:
    """A record less what belongs to the file (hash, path, format) and its
    layout (item spans)."""
    out = {k: v for k, v in record.items() if k not in {"sha256", "source_path", "format"}}
    out["items"] = [{k: v for k, v in item.items() if k != "span"} for item in record["items"]]
    return out


def quarantine(db: str) -> dict[str, tuple]:
    rows = query(db, "SELECT source_path, stage, reason, raw_text FROM etl_quarantine")
    return {Path(path).name: (stage, reason, text) for path, stage, reason, text in rows}


# ------------------------------------------------------------ the real PDFs

def test_the_real_pdfs_are_published_encrypted_and_each_parses_to_its_texts_record():
    pdfs = [txt.with_suffix(".pdf") for txt in REAL]
    assert len(pdfs) == 105 and all(p.is_file() for p in pdfs)
    # as the DWC publishes them: encrypted (with an empty user password)
    assert all(b"/Encrypt" in p.read_bytes() for p in pdfs)
    mismatched = []
    for txt, pdf in zip(REAL, pdfs):
        record = parse_file(pdf)
        assert record["format"] == "pdf" and record["source_path"] == str(pdf)
        if facts(record) != facts(parse_file(txt)):
            mismatched.append(pdf.name)
    assert not mismatched, f"{len(mismatched)} PDFs differ from their text: {mismatched[:10]}"


def test_a_real_pdf_parses_to_what_a_person_read_in_it():
    # tests/expected/CM17-0005177.json was read off the letter by a person
    expected = json.loads((EXPECTED / "CM17-0005177.json").read_text(encoding="utf-8"))
    pdf = SEEDS[0].parent.parent / "real" / "CM17-0005177.pdf"
    problems = record_differences(pdf.name, expected, parse_file(pdf))
    assert not problems, "\n".join(problems)


def test_the_real_pdfs_load_the_warehouse_their_text_loads(tmp_path):
    pdfs, texts = tmp_path / "pdf", tmp_path / "txt"
    pdfs.mkdir(), texts.mkdir()
    for txt in REAL:
        shutil.copy(txt, texts / txt.name)
        shutil.copy(txt.with_suffix(".pdf"), pdfs / txt.with_suffix(".pdf").name)
    from_pdf = load([pdfs], str(tmp_path / "pdf.duckdb"), jobs=2)  # extracted in worker processes
    from_text = load([texts], str(tmp_path / "txt.duckdb"), jobs=1)
    assert (from_pdf.seen, from_pdf.new, from_pdf.quarantined, from_pdf.skipped) == (105, 105, 0, 0)
    assert (from_pdf.new, from_pdf.decisions) == (from_text.new, from_text.decisions)
    pdf_db, text_db = str(tmp_path / "pdf.duckdb"), str(tmp_path / "txt.duckdb")
    from_pdf_rows, from_text_rows = snapshot(pdf_db, FILE_COLUMNS), snapshot(text_db, FILE_COLUMNS)
    # each PDF's text is kept, for a later re-derivation without PDFium; a text file's is the file
    assert (len(from_pdf_rows.pop("etl_pdf_text")), from_text_rows.pop("etl_pdf_text")) == (105, [])
    assert from_pdf_rows == from_text_rows
    assert query(pdf_db, "SELECT DISTINCT format FROM dim_letter") == [("pdf",)]
    for view in ("v_overturn_rate_by_treatment", "v_overturn_rate_by_guideline"):
        assert sorted(query(pdf_db, f"SELECT * FROM {view}")) == sorted(query(text_db, f"SELECT * FROM {view}"))
    # a re-run finds every PDF unchanged
    again = load([pdfs], pdf_db, jobs=1)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 105)


# ---------------------------------------------------------- seed letter PDFs

def test_a_pdf_of_a_seed_letter_gives_the_seed_record(seed):
    expected = json.loads((EXPECTED / f"{seed.stem}.json").read_text(encoding="utf-8"))
    data = letter_pdf(seed.read_text(encoding="utf-8"))
    record = parse_bytes(data, seed.stem + ".pdf", "pdf")
    problems = record_differences(seed.stem + ".pdf", expected, record)
    assert not problems, "\n".join(problems)
    assert record["format"] == "pdf"


def test_pdfs_of_the_seed_letters_load_like_their_text(tmp_path):
    pdfs, texts = tmp_path / "pdf", tmp_path / "txt"
    pdfs.mkdir(), texts.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, texts / seed.name)
        (pdfs / f"{seed.stem}.pdf").write_bytes(letter_pdf(seed.read_text(encoding="utf-8")))
    from_pdf = load([pdfs], str(tmp_path / "pdf.duckdb"), jobs=1)
    from_text = load([texts], str(tmp_path / "txt.duckdb"), jobs=1)
    assert (from_pdf.new, from_pdf.quarantined) == (len(SEEDS), 0)
    assert from_pdf.decisions == from_text.decisions
    # a seed has no case number: its identity is its path, which differs; the rest is the same
    ignore = FILE_COLUMNS + ("letter_key", "decision_key", "letter_id")
    from_pdf_rows, from_text_rows = snapshot(str(tmp_path / "pdf.duckdb"), ignore), snapshot(str(tmp_path / "txt.duckdb"), ignore)
    assert from_pdf_rows.pop("etl_pdf_text") and not from_text_rows.pop("etl_pdf_text")
    assert from_pdf_rows == from_text_rows


# ------------------------------------------------------------ bad PDFs

@pytest.fixture
def incoming(tmp_path) -> Path:
    """Good PDF letters (two real, the seeds written as PDFs) and beside them
    a scan, a password-protected PDF, broken ones and one that is no letter."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    for txt in REAL[:2]:
        shutil.copy(txt.with_suffix(".pdf"), folder / txt.with_suffix(".pdf").name)
    for seed in SEEDS:
        (folder / f"{seed.stem}.pdf").write_bytes(letter_pdf(seed.read_text(encoding="utf-8")))
    real = REAL[2].with_suffix(".pdf").read_bytes()
    (folder / "scan.pdf").write_bytes(scan_pdf())
    (folder / "locked.pdf").write_bytes(letter_pdf(SEEDS[0].read_text(encoding="utf-8"), user_password="s3cret"))
    (folder / "truncated.pdf").write_bytes(real[: len(real) // 2])
    (folder / "garbage.pdf").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "shopping.pdf").write_bytes(letter_pdf("Shopping list\nmilk\neggs\n"))
    return folder


def test_a_scan_a_locked_pdf_and_broken_ones_are_quarantined_and_the_good_letters_load(incoming, tmp_path):
    db = str(tmp_path / "w.duckdb")
    summary = load([incoming], db, jobs=1)
    quarantined = quarantine(db)
    assert set(quarantined) == {"scan.pdf", "locked.pdf", "truncated.pdf", "garbage.pdf", "empty.pdf",
                                "shopping.pdf"}
    assert (summary.new, summary.quarantined) == (2 + len(SEEDS), 6)
    assert query(db, "SELECT count(*) FROM dim_letter") == [(2 + len(SEEDS),)]
    assert quarantined["scan.pdf"][:2] == ("read", "no text layer (a scanned image?)")
    assert quarantined["locked.pdf"][:2] == ("read", "needs a password")
    assert quarantined["empty.pdf"][:2] == ("read", "not a readable PDF: the file is empty")
    for name in ("truncated.pdf", "garbage.pdf"):
        stage, reason, _ = quarantined[name]
        assert stage == "read" and reason.startswith("not a readable PDF: "), (name, reason)
    for name, (stage, reason, text) in quarantined.items():
        assert "\n" not in reason and "Traceback" not in reason, name
    # a PDF that reads but is no letter fails to parse, and keeps its text (not the PDF's bytes)
    stage, reason, text = quarantined["shopping.pdf"]
    assert stage == "parse" and "Shopping list" in text and "%PDF" not in text
    assert quarantined["scan.pdf"][2] == ""  # no text to keep; the bytes are in raw_bytes
    assert query(db, "SELECT octet_length(raw_bytes) FROM etl_quarantine WHERE source_path LIKE '%scan.pdf'") \
        == [((incoming / "scan.pdf").stat().st_size,)]


def test_a_pdf_encrypted_with_an_empty_user_password_opens_as_the_published_ones_do():
    text = SEEDS[1].read_text(encoding="utf-8")
    locked_for_no_one = letter_pdf(text, user_password="")
    assert b"/Encrypt" in locked_for_no_one
    assert facts(parse_bytes(locked_for_no_one, "x.pdf", "pdf")) == facts(parse_bytes(letter_pdf(text), "x.pdf", "pdf"))


def test_parse_prints_a_pdfs_record_and_one_line_for_a_scan(tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf())
    pdf = REAL[0].with_suffix(".pdf")
    result = CliRunner().invoke(main, ["parse", str(pdf), str(scan)])
    assert result.exit_code == 2
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["format"] == "pdf" and record["header"]["case_number"] == REAL[0].stem
    assert result.stderr == f"{scan}: no text layer (a scanned image?)\n"


# --------------------------------------------------- a letter in two formats

def test_a_pdf_beside_its_text_is_skipped_and_one_alone_is_loaded(tmp_path):
    folder = tmp_path / "letters"
    (folder / "sub").mkdir(parents=True)
    both = REAL[0]
    shutil.copy(both, folder / both.name)
    shutil.copy(both.with_suffix(".pdf"), folder / both.with_suffix(".pdf").name)
    alone = REAL[1].with_suffix(".pdf")
    shutil.copy(alone, folder / "sub" / alone.name)
    shutil.copy(REAL[2], folder / "sub" / REAL[2].name)
    files, skipped = discover([folder])
    assert [f.relative_to(folder).as_posix() for f in files] == [
        both.name, f"sub/{alone.name}", f"sub/{REAL[2].name}"]
    assert skipped == [(folder / both.with_suffix(".pdf").name).resolve()]
    # named on the command line, a PDF is read even with its text beside it
    files, skipped = discover([folder / both.with_suffix(".pdf").name])
    assert [f.name for f in files] == [both.with_suffix(".pdf").name] and skipped == []

    db = str(tmp_path / "w.duckdb")
    summary = load([folder], db, jobs=1)
    assert (summary.seen, summary.new, summary.skipped) == (3, 3, 1)
    assert sorted(query(db, "SELECT letter_id, format FROM dim_letter")) == sorted(
        [(both.stem, "text"), (alone.stem, "pdf"), (REAL[2].stem, "text")])


def test_a_seed_letter_printed_large_over_several_pages_still_gives_its_record():
    # pages are joined with a line end: a paragraph or an item cut by a page break reads on
    seed = SEEDS[3]
    expected = json.loads((EXPECTED / f"{seed.stem}.json").read_text(encoding="utf-8"))
    data = letter_pdf(seed.read_text(encoding="utf-8"), size=22)
    assert b"/Count 5" in data  # pages
    record = parse_bytes(data, "large.pdf", "pdf")
    problems = record_differences("large.pdf", expected, record)
    assert not problems, "\n".join(problems)


def test_a_damaged_pdf_gives_a_record_or_one_line_never_another_error():
    # bytes flipped, cut, spliced and zeroed in real PDFs, as a bad copy or download leaves them
    rng = random.Random(7)
    pdfs = [txt.with_suffix(".pdf").read_bytes() for txt in REAL[:20]]
    outcomes = {"record": 0, "read": 0, "parse": 0}
    for n in range(120):
        data = bytearray(rng.choice(pdfs))
        at = rng.randrange(len(data))
        match n % 4:
            case 0:
                for _ in range(rng.randint(1, 50)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            case 1:
                data = data[:at]
            case 2:
                start = rng.randrange(len(data))
                data[at:at] = data[start:start + rng.randint(1, 2000)]
            case 3:
                data[at:at + rng.randint(1, 500)] = bytes(rng.randint(1, 500))
        try:
            parse_bytes(bytes(data), "damaged.pdf", "pdf")
            outcomes["record"] += 1
        except PdfTextError as error:
            assert error.reason and "\n" not in error.reason and "success" not in error.reason.lower()
            outcomes["read"] += 1
        except LetterParseError as error:
            assert error.reason and "\n" not in error.reason
            outcomes["parse"] += 1
    # most damage breaks the file; some leaves it readable but its text damaged
    assert outcomes["read"] > 60 and outcomes["parse"] > 0, outcomes


def test_a_pdf_that_fails_to_write_is_quarantined_with_its_bytes_not_as_text(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    for txt in REAL[:3]:
        shutil.copy(txt.with_suffix(".pdf"), folder / txt.with_suffix(".pdf").name)
    victim = str((folder / REAL[1].with_suffix(".pdf").name).resolve())
    db = str(tmp_path / "w.duckdb")
    # a NOT NULL column left empty in its first decision
    summary = load([folder], db, jobs=1, hooks=workers.Hooks(prepare=unwritable(victim, 0)))
    assert (summary.new, summary.quarantined) == (2, 1)
    [(path, stage, text, size)] = query(db, "SELECT source_path, stage, raw_text, octet_length(raw_bytes) "
                                            "FROM etl_quarantine")
    assert (path, stage, text, size) == (victim, "load", "", Path(victim).stat().st_size)
