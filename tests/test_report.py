"""`imr-etl report`: the HTML page from the bundled samples — its numbers
against the letters and the warehouse's base tables, no external reference,
escaping, an empty warehouse — and the page drawn by a real headless Chromium."""

from __future__ import annotations

import json
import math
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from helpers import EXPECTED, REAL, SEEDS, decision_lines, missing
from imr_etl import reporting
from imr_etl.cli import main

CHROMIUM = Path("/usr/bin/chromium")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The bundled samples (5 seeds, 105 real letters) loaded once."""
    db = tmp_path_factory.mktemp("report") / "imr.duckdb"
    result = run("load", "--db", db, "--quiet")
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def page(warehouse, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("page") / "report.html"
    result = run("report", "--db", warehouse, out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n" and result.stderr == ""
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # nothing partial left beside it
    return out, out.read_text(encoding="utf-8")


def base(db: Path, query: str) -> list[tuple]:
    """A query on the warehouse's base tables (not the views the report reads)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


# ------------------------------------------------------------ reading the page

class Page(HTMLParser):
    """Per chart (svg id): how many marks of each class, its row labels and
    texts; per section: its tables' rows (cell texts); every src/href."""

    def __init__(self, html: str):
        super().__init__()
        self.marks: dict[str, Counter] = defaultdict(Counter)
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.tables: dict[str, list[list[list[str]]]] = defaultdict(list)
        self.links: list[str] = []
        self.sections: list[str] = []
        self._svg = self._section = None
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.links += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "section":
            self._section = a.get("id")
            self.sections.append(self._section)
        elif tag == "svg" and "chart" in a.get("class", "").split():
            self._svg = a["id"].removeprefix("chart-")
        elif self._svg:
            for name in a.get("class", "").split():
                self.marks[self._svg][name] += 1
            if tag == "text":
                self._text = []
        if tag == "table":
            self.tables[self._section].append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None
        elif tag == "text" and self._text is not None:
            self.texts[self._svg].append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._section][-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


# ----------------------------------------------------- what the page must show

def expected_marks(db: Path) -> dict[str, Counter]:
    """Each chart's marks, counted from the base tables."""
    categories = base(db, "SELECT DISTINCT s.treatment_category FROM fact_decision d "
                          "JOIN dim_service s ON s.service_key = d.service_key")
    years = base(db, "SELECT year(l.decision_date), count(*), sum(d.overturned) FROM fact_decision d "
                     "JOIN dim_letter l ON l.letter_key = d.letter_key GROUP BY 1")
    dwc = base(db, "SELECT DISTINCT dwc_category FROM fact_decision")
    specialties = {s for (text,) in base(db, "SELECT r.board_specialties FROM fact_decision d "
                                             "JOIN dim_reviewer r ON r.reviewer_key = d.reviewer_key")
                   for s in (text.split("; ") if text else [None])}
    # by canonical document: the canonical source, and one bar pair per guideline_id
    cited = base(db, "SELECT g.guideline_id, d.source, c.cited_by, count(*) FROM fact_citation c "
                     "JOIN dim_guideline g ON g.guideline_key = c.guideline_key "
                     "JOIN dim_guideline_document d ON d.guideline_id = g.guideline_id GROUP BY 1, 2, 3")
    by_document = defaultdict(int)
    for guideline_id, _, _, n in cited:
        by_document[guideline_id] += n
    top = sorted(by_document, key=lambda d: (-by_document[d], d))[:12]
    runs = base(db, "SELECT count(*) FROM etl_load_run")[0][0]
    # one bar per (month, outcome) with letters; one point per (month, priority) with timed letters
    outcomes = base(db, "SELECT count(*) FROM (SELECT DISTINCT date_trunc('month', decision_date), "
                        "CASE WHEN overturned_count = 0 THEN 0 WHEN overturned_count = decision_count THEN 2 "
                        "ELSE 1 END FROM dim_letter) AS t")[0][0]
    timed = base(db, "SELECT count(DISTINCT (date_trunc('month', decision_date), priority)) FROM dim_letter "
                     "WHERE date_assigned IS NOT NULL AND decision_date IS NOT NULL AND priority IS NOT NULL")[0][0]
    return {
        "outcomes": Counter(bar=outcomes),
        "timeliness": Counter(point=timed, errorbar=timed),
        "agreement": Counter(point=2, errorbar=2),
        "treatment": Counter(point=len(categories), errorbar=len(categories)),
        "dwc": Counter(point=len(dwc), errorbar=len(dwc)),
        "year-rates": Counter(point=len(years), errorbar=len(years)),
        "years": Counter(bar=sum((n - k > 0) + (k > 0) for _, n, k in years)),
        "specialties": Counter(point=min(len(specialties), reporting.TOP_SPECIALTIES),
                               errorbar=min(len(specialties), reporting.TOP_SPECIALTIES)),
        "citation-sources": Counter(bar=len({(s, who) for _, s, who, _ in cited})),
        "citation-documents": Counter(bar=sum(1 for g, _, _, _ in cited if g in top)),
        "load-runs": Counter(bar=runs),  # every run found new letters only
    }


def check_marks(parsed: Page, db: Path) -> None:
    for chart, want in expected_marks(db).items():
        got = parsed.marks[chart]
        assert {k: got[k] for k in want} == dict(want), chart


# --------------------------------------------------------------------- tests

def test_report_has_help_with_an_example():
    result = run("report", "--help")
    assert result.exit_code == 0 and "Example" in result.output and "offline" in result.output


def test_every_chart_has_its_marks_title_sentence_and_n(page, warehouse):
    _, html = page
    parsed = Page(html)
    check_marks(parsed, warehouse)
    assert parsed.sections == ["treatment", "dwc", "years", "year-rates", "outcomes", "timeliness",
                               "citation-sources", "citation-documents", "agreement", "specialties",
                               "load-health"]
    decisions = base(warehouse, "SELECT count(*) FROM fact_decision")[0][0]
    for section in re.findall(r'<section id="[^"]+">.*?</section>', html, re.S):
        assert re.search(r"<h2>[^<]+</h2>", section) and '<p class="caption">' in section
        assert re.search(r'<p class="n">(n = [\d,]+ decisions|\d+ runs? shown)', section), section[:200]
    assert html.count(f"n = {decisions:,} decisions") >= 5  # treatment, DWC, years, year rates, specialties


def test_letters_and_decisions_per_year_match_the_letters(page, warehouse):
    """Letters per year read from each real letter's 'Decision Date:' line;
    the seeds have no header, so no date; decisions of the seeds from their
    hand-read fixtures, the others from fact_decision."""
    years = Counter()
    for path in REAL:
        found = re.search(r"Decision Date:\s*\d\d/\d\d/(\d{4})", path.read_text(encoding="utf-8"))
        years[found.group(1)] += 1
    seed_items = [i for p in SEEDS for i in json.loads((EXPECTED / f"{p.stem}.json").read_text())["items"]]
    decided = dict((str(y), (n, k)) for y, n, k in base(
        warehouse, "SELECT year(l.decision_date), count(*), sum(d.overturned) FROM fact_decision d "
                   "JOIN dim_letter l ON l.letter_key = d.letter_key WHERE l.decision_date IS NOT NULL "
                   "GROUP BY 1"))
    decided["No date"] = (len(seed_items), sum(i["decision"] == "overturned" for i in seed_items))
    years["No date"] = len(SEEDS)
    assert years == {"2016": 3, "2017": 102, "No date": 5}

    (rows,) = Page(page[1]).tables["years"]
    assert rows[0][:4] == ["Year", "Letters", "Decisions", "Overturned"]
    got = {r[0]: (int(r[1]), int(r[2].replace(",", "")), int(r[3])) for r in rows[1:]}
    assert got == {y: (years[y], *decided[y]) for y in years}
    assert got["No date"] == (5, 11, 3)


def test_treatment_rates_and_intervals_match_an_independent_computation(page, warehouse):
    parsed = Page(page[1])
    counts = base(warehouse, "SELECT s.treatment_category, count(*), sum(d.overturned) FROM fact_decision d "
                             "JOIN dim_service s ON s.service_key = d.service_key GROUP BY 1")
    shown = [t for t in parsed.texts["treatment"] if t.endswith(tuple("0123456789")) and "n = " in t]
    assert [int(t.split("n = ")[1].replace(",", "")) for t in shown] == sorted(
        (n for _, n, _ in counts), reverse=True)
    # The tooltip of the category with most decisions: k of n, rate, interval.
    category, n, k = max(counts, key=lambda c: c[1])
    low, high = wilson(k, n)
    tip = (f"{k} of {n} overturned ({k / n * 100:.0f}%; 95% interval "
           f"{low * 100:.0f}%–{high * 100:.0f}%)")
    assert tip in page[1], tip
    assert category == "diagnostic_tests" and "Diagnostic tests: " + tip in page[1]


def test_dwc_categories_and_their_rates_match_an_independent_computation(page, warehouse):
    """The DWC section: one point per DWC category, most decisions first,
    with each category's count and interval computed here from the decisions;
    its table has every (category, subcategory)."""
    counts = base(warehouse, "SELECT dwc_category, count(*), sum(overturned) FROM fact_decision GROUP BY 1")
    parsed = Page(page[1])
    shown = [t for t in parsed.texts["dwc"] if "n = " in t]
    assert [int(t.split("n = ")[1].replace(",", "")) for t in shown] == sorted((n for _, n, _ in counts), reverse=True)
    category, n, k = max(counts, key=lambda c: c[1])
    low, high = wilson(k, n)
    assert (f"{category}: {k} of {n} overturned ({k / n * 100:.0f}%; 95% interval "
            f"{low * 100:.0f}%–{high * 100:.0f}%)") in page[1]
    (rows,) = parsed.tables["dwc"]
    assert rows[0][:3] == ["DWC category", "Subcategory", "Decisions"]
    pairs = base(warehouse, "SELECT dwc_category, coalesce(dwc_subcategory, '—'), count(*) FROM fact_decision "
                            "GROUP BY 1, 2")
    assert sorted((r[0], r[1], int(r[2])) for r in rows[1:]) == sorted(pairs)
    # the samples: the bundled letters fit a DWC category each ("Every decision fits")
    assert "Every decision fits one of its categories." in page[1]


def test_case_outcomes_by_month_match_the_letters(page, warehouse):
    """Letters per month and outcome, read from each real letter's 'Decision
    Date:' line and its decision lines (the seeds: no date)."""

    expected = Counter()
    for path in REAL + SEEDS:
        found = re.search(r"Decision Date:\s*(\d\d)/\d\d/(\d{4})", path.read_text(encoding="utf-8"))
        month = f"{found.group(2)}-{found.group(1)}" if found else "No date"
        words = decision_lines(path)
        kind = {0: "upheld", len(words): "overturned"}.get(words.count("Overturned"), "partial")
        expected[month, kind] += 1
    (rows,) = Page(page[1]).tables["outcomes"]
    assert rows[0][0] == "Month" and rows[0][-3:] == ["Upheld letters", "Partial overturns", "Overturned letters"]
    got = Counter()
    for row in rows[1:]:
        for kind, cell in zip(("upheld", "partial", "overturned"), row[-3:]):
            if int(cell):
                got[row[0], kind] = int(cell)
    assert got == expected


def test_agreement_on_guidelines_matches_an_independent_computation(page, warehouse):
    """The two points: decisions whose parties cite a canonical document in
    common, and those citing guidelines with none in common, counted here
    from the citations and their spellings' ids."""
    cited = defaultdict(lambda: (set(), set()))
    for decision, cited_by, guideline_id in base(
            warehouse, "SELECT c.decision_key, c.cited_by, g.guideline_id FROM fact_citation c "
                       "JOIN dim_guideline g ON g.guideline_key = c.guideline_key"):
        cited[decision][cited_by == "reviewer"].add(guideline_id)
    overturned = dict(base(warehouse, "SELECT decision_key, overturned FROM fact_decision"))
    agree = [overturned[d] for d, (ca, rv) in cited.items() if ca & rv]
    disagree = [overturned[d] for d, (ca, rv) in cited.items() if ca and rv and not ca & rv]
    texts = [t for t in Page(page[1]).texts["agreement"] if "n = " in t]
    assert [int(t.split("n = ")[1].replace(",", "")) for t in texts] == [len(agree), len(disagree)]
    low, high = wilson(sum(agree), len(agree))
    assert (f"Cite a document in common: {sum(agree)} of {len(agree)} overturned ({sum(agree) / len(agree) * 100:.0f}%; "
            f"95% interval {low * 100:.0f}%–{high * 100:.0f}%)") in page[1]


def test_guideline_documents_are_grouped_by_their_canonical_id(page, warehouse):
    """The documents table: one row per canonical document, its citations by
    each party summed over every spelling that names it."""
    rows = Page(page[1]).tables["citation-documents"][0]
    assert rows[0][:5] == ["Source", "Document", "Guideline id", "Claims administrator", "Expert reviewer"]
    got = {r[2]: (int(r[3].replace(",", "")), int(r[4].replace(",", ""))) for r in rows[1:]}
    expected = defaultdict(lambda: [0, 0])
    for guideline_id, cited_by, n in base(
            warehouse, "SELECT g.guideline_id, c.cited_by, count(*) FROM fact_citation c "
                       "JOIN dim_guideline g ON g.guideline_key = c.guideline_key GROUP BY 1, 2"):
        expected[guideline_id][cited_by == "reviewer"] += n
    assert got == {g: tuple(v) for g, v in expected.items()}


def test_the_page_references_nothing_outside_itself(page):
    _, html = page
    assert all(link.startswith("#") for link in Page(html).links)
    assert not re.search(r"<script|<link|<iframe|<img|@import|url\(", html, re.I)


def test_text_from_the_data_is_escaped(tmp_path):
    letters = tmp_path / "letters"
    letters.mkdir()
    shutil.copy(SEEDS[0], letters)
    (letters / "<b>bold<i>.txt").write_text("<script>alert('x')</script>\n")
    db, out = tmp_path / "w.duckdb", tmp_path / "r.html"
    assert run("load", letters, "--db", db, "--quiet").exit_code == 0
    result = run("report", "--db", db, out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html and "<b>bold" not in html
    assert "&lt;b&gt;bold&lt;i&gt;.txt" in html and "&lt;script&gt;" in html
    assert "Quarantined letters: 1" in html


def test_an_empty_warehouse_gives_a_page_saying_so(tmp_path):
    db, out = tmp_path / "w.duckdb", tmp_path / "r.html"
    assert run("migrate", "--db", db).exit_code == 0
    result = run("report", "--db", db, out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "holds no letters yet" in html and "No load has run" in html
    assert "<svg" not in html


def test_errors_are_one_line(tmp_path, warehouse):
    missing = run("report", "--db", tmp_path / "none.duckdb", tmp_path / "r.html")
    assert missing.exit_code == 1
    assert missing.stderr == f"error: no warehouse at {tmp_path / 'none.duckdb'}; create it with " \
                             "`imr-etl load` or `imr-etl migrate`\n"
    unwritable = run("report", "--db", warehouse, tmp_path / "no" / "r.html")
    assert unwritable.exit_code == 1
    assert unwritable.stderr == (f"error: {tmp_path / 'no' / 'r.html'}: cannot write the report: "
                                 "No such file or directory\n")


# ------------------------------------------------------------------- browser

def png_rows(path: Path) -> list[bytes]:
    """The pixel rows of an 8-bit RGB or RGBA PNG (the stdlib's zlib, no imaging library)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride, prev, rows = width * bpp, bytearray(width * bpp), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:  # Up: an all-zero line repeats the previous one
            line = bytearray(prev) if not any(line) else bytearray(
                (a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows


def painted(rows: list[bytes], colour: str, bpp: int, run: int) -> int:
    """Rows holding ``run`` pixels in a row of exactly ``colour`` ('#rrggbb')."""
    pixels = (bytes.fromhex(colour[1:]) + (b"\xff" if bpp == 4 else b"")) * run
    return sum(1 for row in rows if pixels in row)


def test_the_report_renders_in_headless_chromium(page, warehouse, tmp_path):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)"
        missing(reason)
    out, html = page
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: nothing could load even if referenced
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,8000",
         "--dump-dom", out.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]

    dom = Page(result.stdout)
    assert len(dom.marks) == 11 and dom.sections == Page(html).sections
    check_marks(dom, warehouse)

    rows = png_rows(shot)
    assert len(rows) == 8000 and len(set(rows)) > 100, "the screenshot is blank"
    bpp = len(rows[0]) // 1280

    # The marks are on screen, found by their colours: bars as runs of 16
    # pixels (wider than a legend's swatch), the points (a colour of their own).
    for series in (reporting.UPHELD, reporting.OVERTURNED, *reporting.CITERS, reporting.RUN_SERIES[0]):
        assert painted(rows, series.color, bpp, run=16) >= 10, f"{series.label} bars ({series.color}) are not drawn"
    points = sum(marks["point"] for marks in expected_marks(warehouse).values())
    assert painted(rows, "#1d4ed8", bpp, run=3) >= 3 * points, "the points are not drawn"
