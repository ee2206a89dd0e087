"""`imr-etl report`: one self-contained HTML page from the curated views.

It reads only the curated views (sql/*.sql), on a read-only connection, and
fills ``templates/report.html``: inline CSS, charts as inline SVG
(:mod:`imr_etl.charts`), no script and nothing fetched, so the file opens
offline and can be mailed.  Each chart says what it shows and how many
decisions stand behind it, with its data as a table underneath.
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from importlib import resources
from pathlib import Path
from string import Template

from sqlalchemy import Connection

from imr_etl import vocabulary
from imr_etl.errors import OutputError
from imr_etl.charts import Bars, Interval, Series, bar_chart, interval_chart, percent

UPHELD = Series("upheld", "Upheld", "#94a3b8")
OVERTURNED = Series("overturned", "Overturned", "#c2410c")
CITERS = [Series("claims_administrator", "Claims administrator", "#0f766e"),
          Series("reviewer", "Expert reviewer", "#6d28d9")]
OUTCOMES = [Series("upheld", "Upheld", "#94a3b8"), Series("partially_overturned", "Partial overturn", "#f59e0b"),
            Series("overturned", "Overturned", "#c2410c")]
RUN_SERIES = [Series("new", "New", "#15803d"), Series("updated", "Updated", "#2563eb"),
              Series("unchanged", "Unchanged", "#cbd5e1"), Series("quarantined", "Quarantined", "#dc2626")]
TOP_DOCUMENTS = 12  # guideline documents charted; the table lists them all
TOP_SPECIALTIES = 30  # specialties charted, most decisions first; the table lists them all
NO_BOARD_SPECIALTY = "No DWC board specialty"  # the NULL group of v_overturn_rate_by_reviewer_specialty
LAST_RUNS = 10
QUARANTINE_ROWS = 50


def _template(name: str) -> Template:
    return Template(resources.files("imr_etl.templates").joinpath(name).read_text(encoding="utf-8"))


def _rows(conn: Connection, query: str) -> list:
    """The query's rows (tuples that also have their columns as attributes)."""
    return list(conn.exec_driver_sql(query))


def _category_label(category: str) -> str:
    """The taxonomy category's label; a long one by its abbreviation ('… (DMEPOS)')."""
    labels = {r["category"]: r["label"] for r in vocabulary.rows("categories.csv")}
    label = labels.get(category, category.replace("_", " ").capitalize())
    short = re.search(r"\(([A-Z]+)\)$", label)
    return short.group(1) if short and len(label) > 30 else label


def _decisions(n: int) -> str:
    return f"{n:,} decision{'s' if n != 1 else ''}"


# ------------------------------------------------------------------- tables

def _cell(value: object) -> str:
    if value is None:
        return '<td class="muted">—</td>'
    if isinstance(value, float):
        return f'<td class="num">{value * 100:.1f}%</td>'
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, datetime):
        return f'<td class="when">{escape(value.strftime("%Y-%m-%d %H:%M"))}</td>'
    return f"<td>{escape(str(value))}</td>"


def table(columns: list[str], rows: list[tuple]) -> str:
    """An HTML table; floats are rates, shown as percentages."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "\n".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>'


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    caption: str  # one sentence: what the chart shows (HTML, already escaped)
    n: str  # how many decisions stand behind it
    figure: str  # the chart's SVG, or a message
    table: str = ""  # the data, under a disclosure triangle

    def html(self) -> str:
        details = (f"<details><summary>Data table</summary>\n{self.table}\n</details>"
                   if self.table else "")
        return _template("section.html").substitute(
            id=self.id, title=escape(self.title), caption=self.caption, n=escape(self.n),
            figure=self.figure, details=details)


# ----------------------------------------------------------------- sections

def treatment_section(conn: Connection) -> Section:
    categories = _rows(conn, """
        SELECT treatment_category, sum(decisions)::BIGINT AS n, sum(overturned)::BIGINT AS k,
               wilson_low(sum(overturned)::DOUBLE PRECISION, sum(decisions)::DOUBLE PRECISION),
               wilson_high(sum(overturned)::DOUBLE PRECISION, sum(decisions)::DOUBLE PRECISION)
        FROM v_overturn_rate_by_treatment
        GROUP BY treatment_category ORDER BY n DESC, treatment_category""")
    rows = [Interval(_category_label(c), k, n, lo, hi) for c, n, k, lo, hi in categories]
    detail = _rows(conn, """
        SELECT treatment_category, treatment_label, decisions, overturned, overturn_rate, ci_low, ci_high
        FROM v_overturn_rate_by_treatment ORDER BY treatment_category, decisions DESC, treatment_label""")
    detail = [(_category_label(c), *rest) for c, *rest in detail]
    return Section(
        "treatment", "Overturn rate by treatment type",
        "The share of decisions in each treatment category where the expert reviewer overturned the "
        "utilization review's denial; the bar around each point is its 95% Wilson interval, wide "
        "where a category has few decisions.",
        f"n = {_decisions(sum(r.n for r in rows))} in {len(rows)} categories",
        interval_chart("treatment", "Overturn rate by treatment category", rows),
        table(["Category", "Subcategory", "Decisions", "Overturned", "Overturn rate",
               "95% low", "95% high"], detail))


def dwc_section(conn: Connection) -> Section:
    categories = _rows(conn, """
        SELECT dwc_category, sum(decisions)::BIGINT AS n, sum(overturned)::BIGINT AS k,
               wilson_low(sum(overturned)::DOUBLE PRECISION, sum(decisions)::DOUBLE PRECISION),
               wilson_high(sum(overturned)::DOUBLE PRECISION, sum(decisions)::DOUBLE PRECISION)
        FROM v_overturn_rate_by_dwc_category
        GROUP BY dwc_category ORDER BY n DESC, dwc_category""")
    detail = _rows(conn, """
        SELECT dwc_category, dwc_subcategory, decisions, overturned, overturn_rate, ci_low, ci_high
        FROM v_overturn_rate_by_dwc_category ORDER BY dwc_category, decisions DESC, dwc_subcategory""")
    unclassified = sum(n for c, n, *_ in categories if c == "Unclassified")
    note = (f" {_decisions(unclassified)} fit none of its categories (Unclassified)." if unclassified
            else " Every decision fits one of its categories.")
    return Section(
        "dwc", "Overturn rate by DWC category",
        "The same share by the categories of the DWC's own IMR decision search and annual reports, to "
        "compare with their figures, with its 95% Wilson interval." + escape(note),
        f"n = {_decisions(sum(r[1] for r in categories))} in {len(categories)} categories",
        interval_chart("dwc", "Overturn rate by DWC category",
                       [Interval(c, k, n, lo, hi) for c, n, k, lo, hi in categories]),
        table(["DWC category", "Subcategory", "Decisions", "Overturned", "Overturn rate",
               "95% low", "95% high"], detail))


def year_sections(conn: Connection) -> list[Section]:
    years = _rows(conn, """
        SELECT CAST(extract(year FROM decision_date) AS INTEGER) AS year, count(*) AS letters, sum(decisions)::BIGINT AS n,
               sum(overturned)::BIGINT AS k,
               wilson_low(sum(overturned)::DOUBLE PRECISION, sum(decisions)::DOUBLE PRECISION),
               wilson_high(sum(overturned)::DOUBLE PRECISION, sum(decisions)::DOUBLE PRECISION)
        FROM v_letters WHERE decisions > 0
        GROUP BY year ORDER BY year NULLS LAST""")

    def name(year: int | None) -> str:
        return str(year) if year is not None else "No date"

    total = sum(r[2] for r in years)
    undated = next((r for r in years if r[0] is None), None)
    note = (f" Letters without a header block have no decision date: they are shown as “No date” "
            f"({undated[1]:,} letters)." if undated else "")
    counts = Section(
        "years", "Decisions by letter year",
        "Decisions per year of the letter's decision date, split into upheld and overturned." + escape(note),
        f"n = {_decisions(total)} in {sum(r[1] for r in years):,} letters",
        bar_chart("years", "Decisions by letter year",
                  [Bars(name(y), {"upheld": n - k, "overturned": k}) for y, _, n, k, _, _ in years],
                  [UPHELD, OVERTURNED]),
        table(["Year", "Letters", "Decisions", "Overturned", "Overturn rate", "95% low", "95% high"],
              [(name(y), letters, n, k, k / n, lo, hi) for y, letters, n, k, lo, hi in years]))
    rates = Section(
        "year-rates", "Overturn rate by letter year",
        "The share of each year's decisions that were overturned, with its 95% Wilson interval.",
        f"n = {_decisions(total)}",
        interval_chart("year-rates", "Overturn rate by letter year",
                       [Interval(name(y), k, n, lo, hi) for y, _, n, k, lo, hi in years]))
    return [counts, rates]


def citation_sections(conn: Connection) -> list[Section]:
    citing, citations = _rows(conn, """
        SELECT count(*) FILTER (WHERE citations > 0), coalesce(sum(citations), 0)::BIGINT
        FROM v_decisions""")[0]
    # by the canonical documents (revision 0004): one row per document and
    # edition, however the letters spell it
    sources = _rows(conn, """
        SELECT source,
               coalesce(sum(citations) FILTER (WHERE cited_by = 'claims_administrator'), 0)::BIGINT,
               coalesce(sum(citations) FILTER (WHERE cited_by = 'reviewer'), 0)::BIGINT
        FROM v_guideline_citations GROUP BY source ORDER BY sum(citations) DESC, source""")
    documents = _rows(conn, """
        SELECT * FROM (
            SELECT guideline_id, source, label,
                   coalesce(sum(citations) FILTER (WHERE cited_by = 'claims_administrator'), 0)::BIGINT AS ca,
                   coalesce(sum(citations) FILTER (WHERE cited_by = 'reviewer'), 0)::BIGINT AS rv,
                   max(both_cited_rate) FILTER (WHERE cited_by = 'claims_administrator') AS both_rate
            FROM v_guideline_citations GROUP BY guideline_id, source, label) AS by_document
        ORDER BY ca + rv DESC, guideline_id""")
    n = f"n = {_decisions(citing)} citing a guideline, {citations:,} citations"
    if not sources:
        empty = '<p class="empty">No decision cites a guideline.</p>'
        return [Section("citation-sources", "Guideline citations", "Guideline citations by source "
                        "and document.", n, empty)]
    by_source = Section(
        "citation-sources", "Guideline citations by source",
        "How often the claims administrator and the expert reviewer cite each guideline source "
        "(MTUS, ODG, ACOEM, AMA or other).",
        n,
        bar_chart("citation-sources", "Guideline citations by source",
                  [Bars(s, {"claims_administrator": ca, "reviewer": rv}) for s, ca, rv in sources],
                  CITERS, stacked=False))
    top = documents[:TOP_DOCUMENTS]
    by_document = Section(
        "citation-documents", "Most-cited guideline documents",
        f"The {len(top)} documents cited most often (of {len(documents):,}), by who cites them; a "
        "document is counted however a letter spells it, and “reviewer also cites” is how often the "
        "reviewer cites the same document the claims administrator cited.",
        n,
        bar_chart("citation-documents", "Most-cited guideline documents",
                  [Bars(_document_name(g, label, documents), {"claims_administrator": ca, "reviewer": rv})
                   for g, _, label, ca, rv, _ in top],
                  CITERS, stacked=False),
        table(["Source", "Document", "Guideline id", "Claims administrator", "Expert reviewer",
               "Reviewer also cites (of the claims administrator's)"],
              [(s, label, g, ca, rv, both) for g, s, label, ca, rv, both in documents]))
    return [by_source, by_document]


def _document_name(guideline_id: str, label: str, documents: list) -> str:
    """A canonical document's name on a chart: its label, with its id where
    two documents share one."""
    shared = sum(1 for _, _, other, *_ in documents if other == label) > 1
    return f"{label} ({guideline_id})" if shared else label


def specialty_section(conn: Connection, decisions: int) -> Section:
    found = _rows(conn, f"""
        SELECT coalesce(specialty, '{NO_BOARD_SPECIALTY}'), decisions, overturned, overturn_rate, ci_low, ci_high
        FROM v_overturn_rate_by_reviewer_specialty ORDER BY decisions DESC, specialty NULLS LAST""")
    more = (f" The {TOP_SPECIALTIES} with most decisions are drawn; the table lists all {len(found)}."
            if len(found) > TOP_SPECIALTIES else "")
    return Section(
        "specialties", "Overturn rate by reviewer specialty",
        "For each DWC board specialty of the expert reviewers (however a letter words it), the share "
        "of their decisions that were overturned, with its 95% Wilson interval; a reviewer with several "
        f"counts under each, most decisions first; “{NO_BOARD_SPECIALTY}”: the letter states none, or "
        "none the DWC lists." + more,
        f"n = {_decisions(decisions)} by reviewers of {len(found)} specialties",
        interval_chart("specialties", "Overturn rate by reviewer specialty",
                       [Interval(s, k, n, lo, hi) for s, n, k, _, lo, hi in found[:TOP_SPECIALTIES]]),
        table(["Board specialty", "Decisions", "Overturned", "Overturn rate", "95% low", "95% high"], found))


def _month(value) -> str:
    return f"{value:%Y-%m}" if value else "No date"


def outcome_section(conn: Connection) -> Section:
    months = _rows(conn, """
        SELECT month, letters, decisions, overturned, overturn_rate, ci_low, ci_high,
               letters_upheld, letters_partially_overturned, letters_overturned
        FROM v_outcomes_by_month ORDER BY month NULLS LAST""")
    return Section(
        "outcomes", "Case outcomes by month",
        "Letters by the month of their decision and their outcome as the DWC reports a case: Upheld "
        "(every item upheld), Partial Overturn (some items overturned) or Overturned (every item).",
        f"n = {_decisions(sum(r.decisions for r in months))} in {sum(r.letters for r in months):,} letters",
        bar_chart("outcomes", "Letters by outcome and month",
                  [Bars(_month(r.month), {"upheld": r.letters_upheld, "partially_overturned":
                                          r.letters_partially_overturned, "overturned": r.letters_overturned})
                   for r in months], OUTCOMES),
        table(["Month", "Letters", "Decisions", "Overturned", "Overturn rate", "95% low", "95% high",
               "Upheld letters", "Partial overturns", "Overturned letters"],
              [(_month(r.month), *r[1:]) for r in months]))


def timeliness_section(conn: Connection) -> Section:
    groups = _rows(conn, """
        SELECT month, priority, letters, median_days_from_application, median_days_from_assignment,
               p90_days_from_assignment, median_days_from_ur_denial, statutory_limit_days, letters_timed,
               decided_within_limit, share_within_limit,
               wilson_low(decided_within_limit::DOUBLE PRECISION, letters_timed::DOUBLE PRECISION) AS low,
               wilson_high(decided_within_limit::DOUBLE PRECISION, letters_timed::DOUBLE PRECISION) AS high
        FROM v_timeliness ORDER BY month NULLS LAST, priority""")
    timed = [g for g in groups if g.letters_timed]
    (decisions,), = _rows(conn, "SELECT count(*) FROM fact_decision AS d JOIN dim_letter AS l "
                                "ON l.letter_key = d.letter_key WHERE l.date_assigned IS NOT NULL "
                                "AND l.decision_date IS NOT NULL")
    return Section(
        "timeliness", "Decided within the statutory limit",
        "The share of letters decided within 30 days (Standard) or 3 days (Expedited) of the case's "
        "assignment to the review organisation, by month and priority, with its 95% Wilson interval. "
        "The law counts from the receipt of the documents, which the letters do not state.",
        f"n = {_decisions(decisions)} in {sum(g.letters_timed for g in timed):,} letters with both dates",
        interval_chart("timeliness", "Share decided within the statutory limit",
                       [Interval(f"{_month(g.month)} · {g.priority}", g.decided_within_limit, g.letters_timed,
                                 g.low, g.high) for g in timed]),
        table(["Month", "Priority", "Letters", "Median days from application", "Median days from assignment",
               "90th percentile from assignment", "Median days from UR denial", "Limit (days)", "Timed",
               "Within limit", "Share within"],
              [(_month(g.month), *g[1:11]) for g in groups]))


def agreement_section(conn: Connection) -> Section:
    found = _rows(conn, """
        SELECT dwc_category, decisions, agreeing, agreeing_overturned, agreeing_overturn_rate,
               agreeing_ci_low, agreeing_ci_high, disagreeing, disagreeing_overturned,
               disagreeing_overturn_rate, disagreeing_ci_low, disagreeing_ci_high, one_sided
        FROM v_citer_agreement ORDER BY decisions DESC, dwc_category""")
    totals = _rows(conn, """
        SELECT 'Cite a document in common', sum(agreeing_overturned)::BIGINT AS k, sum(agreeing)::BIGINT AS n
        FROM v_citer_agreement
        UNION ALL
        SELECT 'Cite none in common', sum(disagreeing_overturned)::BIGINT, sum(disagreeing)::BIGINT
        FROM v_citer_agreement""")
    rows = []
    for label, k, n in totals:
        if n:
            (low, high), = _rows(conn, f"SELECT wilson_low({k}.0, {n}.0), wilson_high({k}.0, {n}.0)")
            rows.append(Interval(label, k, n, low, high))
    return Section(
        "agreement", "Overturn rate when the parties agree on a guideline",
        "Decisions where the expert reviewer cites a guideline document the claims administrator cited "
        "(however each spells it), against those where both cite guidelines but none in common, with "
        "the overturn rate of each and its 95% Wilson interval; the table splits them by DWC category.",
        f"n = {_decisions(sum(r.decisions for r in found))}, of which {sum(r.one_sided for r in found):,} "
        "where a party cites no guideline are left out of the chart",
        interval_chart("agreement", "Overturn rate by the parties' agreement on guidelines", rows),
        table(["DWC category", "Decisions", "Agreeing", "Overturned", "Overturn rate", "95% low", "95% high",
               "Disagreeing", "Overturned", "Overturn rate", "95% low", "95% high", "One-sided"], found))


def health_section(conn: Connection) -> Section:
    runs = _rows(conn, f"""
        SELECT run_id, status, started_at, seconds, letters_seen, letters_new, letters_updated,
               letters_unchanged, letters_quarantined, decisions_written, decisions_unclassified, message
        FROM v_load_runs LIMIT {LAST_RUNS}""")
    quarantined = _rows(conn, f"""
        SELECT source_path, stage, reason, line_number, column_number, quarantined_at
        FROM v_quarantine LIMIT {QUARANTINE_ROWS}""")
    (total_quarantined,), = _rows(conn, "SELECT count(*) FROM v_quarantine")
    if runs:
        figure = bar_chart(
            "load-runs", "Letters per load run",
            [Bars(f"run {r.run_id} · {r.started_at:%Y-%m-%d %H:%M}", {
                "new": r.letters_new or 0, "updated": r.letters_updated or 0,
                "unchanged": r.letters_unchanged or 0, "quarantined": r.letters_quarantined or 0},
                note=r.status) for r in runs],
            RUN_SERIES)
    else:
        figure = '<p class="empty">No load has run on this warehouse yet.</p>'
    if total_quarantined:
        shown = "" if total_quarantined <= QUARANTINE_ROWS else f" (the latest {QUARANTINE_ROWS})"
        quarantine = (f"<h3>Quarantined letters: {total_quarantined:,}{shown}</h3>\n"
                      + table(["File", "Stage", "Reason", "Line", "Column", "When (UTC)"], quarantined))
    else:
        quarantine = '<p class="ok">No letter is quarantined.</p>'
    run_table = table(["Run", "Status", "Started (UTC)", "Seconds", "Seen", "New", "Updated",
                       "Unchanged", "Quarantined", "Decisions written", "DWC Unclassified", "Message"],
                      [(*r[:3], f"{r.seconds:.1f}" if r.seconds is not None else None, *r[4:])
                       for r in runs])
    return Section(
        "load-health", "Load health",
        f"What each of the last {LAST_RUNS} runs of <code>imr-etl load</code> did with the letters "
        "it found, newest first, and the letters that failed to load (quarantined).",
        f"{len(runs)} run{'s' if len(runs) != 1 else ''} shown; "
        f"{sum((r.decisions_written or 0) for r in runs):,} decisions written by them; "
        f"{total_quarantined:,} letters quarantined",
        figure + "\n" + quarantine,
        run_table if runs else "")


# --------------------------------------------------------------------- page

def render(conn: Connection, warehouse: str, now: datetime | None = None) -> str:
    """The report's HTML for the warehouse behind ``conn`` (named ``warehouse`` on the page)."""
    now = now or datetime.now(timezone.utc)
    (decisions, overturned, letters, first, last), = _rows(conn, """
        SELECT count(*), coalesce(sum(overturned), 0)::BIGINT, count(DISTINCT letter_id),
               min(decision_date), max(decision_date)
        FROM v_decisions""")
    if decisions:
        (low, high), = _rows(conn, f"SELECT wilson_low({overturned}.0, {decisions}.0), "
                                   f"wilson_high({overturned}.0, {decisions}.0)")
        sections = [treatment_section(conn), dwc_section(conn), *year_sections(conn), outcome_section(conn),
                    timeliness_section(conn), *citation_sections(conn), agreement_section(conn),
                    specialty_section(conn, decisions)]
        summary = _template("summary.html").substitute(
            letters=f"{letters:,}", decisions=f"{decisions:,}", overturned=f"{overturned:,}",
            rate=percent(overturned / decisions), low=percent(low), high=percent(high),
            dates=(f"Decision dates from {first:%d %b %Y} to {last:%d %b %Y}." if first
                   else "No letter has a decision date."))
    else:
        sections = []
        summary = ('<p class="empty big">The warehouse holds no letters yet: load some with '
                   '<code>imr-etl load</code>, then write the report again.</p>')
    sections.append(health_section(conn))
    toc = "\n".join(f'<li><a href="#{s.id}">{escape(s.title)}</a></li>' for s in sections)
    return _template("report.html").substitute(
        warehouse=escape(warehouse), generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        summary=summary, toc=toc, sections="\n".join(s.html() for s in sections))


def report(out: str | os.PathLike, db: str | None = None) -> Path:
    """Write the HTML report of the warehouse ``db`` (``--db``'s forms) to
    ``out``: rendered from a read-only connection, written aside and renamed,
    so a web server never serves half a page."""
    from imr_etl import warehouse as warehouses

    out = Path(out)
    with warehouses.open_engine(db, read_only=True) as engine, engine.connect() as conn:
        html = render(conn, warehouses.describe(warehouses.resolve_url(db)))
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.write_text(html, encoding="utf-8")
        partial.replace(out)
    except OSError as error:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        raise OutputError(f"{out}: cannot write the report: {error.strerror or error}") from None
    return out
