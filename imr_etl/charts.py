"""Charts for the HTML report as inline SVG, drawn here in Python.

No JavaScript and nothing fetched: the report is one file that opens offline.
Every chart is a list of labelled rows drawn horizontally (long labels such
as specialties and guideline documents stay readable), in two kinds:

* :func:`interval_chart` — a proportion per row as a point with its 95%
  interval as an error bar;
* :func:`bar_chart` — counts per row in one or more series, stacked or side
  by side.

Marks carry classes the tests count (``point``, ``errorbar``, ``bar``) and a
``<title>`` each, which browsers show as a tooltip.  Every text from the data
is escaped here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH = 760  # viewBox width; the page scales the SVG to its column
ROW = 24  # height of one row
CHAR = 7.0  # average width of a 12px sans-serif character (DejaVu Sans is wide), for sizing labels
LABEL_MAX = 300  # widest label column; longer labels are cut, whole in the tooltip
GAP = 12  # between the plot and the values written right of it
TOP = 30  # axis labels (and the legend, when there is one) above the first row


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: k of n with the interval [low, high]."""

    label: str
    k: int
    n: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else 0.0


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Bars:
    """One row of a bar chart: a count per series key."""

    label: str
    values: dict[str, int]
    note: str = ""  # shown after the row's value, e.g. a run's status


def percent(x: float) -> str:
    return f"{x * 100:.0f}%"


def _attr(text: str) -> str:
    return escape(text, quote=True)


def text_width(text: str) -> float:
    """About how wide ``text`` is at 12px (capitals and digits are wider than
    lower case): the SVG is drawn without measuring fonts."""
    return 1.08 * sum(8.6 if c.isupper() else 7.6 if c.isdigit() else 3.8 if c in " .,:;'|il" else CHAR
               for c in text)


def _cut(label: str, width: float) -> str:
    if text_width(label) <= width:
        return label
    while label and text_width(label + "…") > width:
        label = label[:-1]
    return label.rstrip() + "…"


def _label_width(labels: list[str]) -> float:
    return min(LABEL_MAX, max([text_width(s) for s in labels] + [40]) + 12)


def _svg(chart_id: str, title: str, height: float, body: list[str], rows: int) -> str:
    return (f'<svg class="chart" id="chart-{_attr(chart_id)}" data-rows="{rows}" role="img" '
            f'aria-label="{_attr(title)}" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'width="{WIDTH}" height="{height:.0f}">\n'
            + "\n".join(body) + "\n</svg>")


def _row_label(x: float, y: float, label: str, width: float) -> str:
    shown = _cut(label, width - 12)
    tip = f"<title>{escape(label)}</title>" if shown != label else ""
    return (f'<text class="label" x="{x:.1f}" y="{y + 4:.1f}" text-anchor="end">'
            f'{tip}{escape(shown)}</text>')


def _bands(count: int, top: float, height: float) -> list[str]:
    """Every other row shaded, under the grid and the marks."""
    return [f'<rect class="band" x="0" y="{top + height * i:.1f}" width="{WIDTH}" height="{height}"/>'
            for i in range(0, count, 2)]


def _grid(x0: float, x1: float, ticks: list[tuple[float, str]], top: float, bottom: float) -> list[str]:
    """Vertical grid lines at the ticks, their values above the first row."""
    out = []
    for value, text in ticks:
        x = x0 + value * (x1 - x0)
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom:.1f}"/>')
        out.append(f'<text class="tick" x="{x:.1f}" y="{top - 10}" text-anchor="middle">{text}</text>')
    return out


def interval_chart(chart_id: str, title: str, rows: list[Interval]) -> str:
    """Each row's proportion k/n as a point, its 95% interval as an error
    bar, on a 0-100% axis; the rate and n written at the right."""
    label_w = _label_width([r.label for r in rows])
    value_w = max([text_width(f"{percent(r.rate)} n = {r.n:,}") for r in rows] + [0]) + GAP + 4
    x0, x1 = label_w, WIDTH - value_w
    bottom = TOP + ROW * len(rows)
    body = _bands(len(rows), TOP, ROW) + _grid(x0, x1, [(t / 4, f"{t * 25}%") for t in range(5)], TOP, bottom)

    def x(v: float) -> float:
        return x0 + v * (x1 - x0)

    for i, row in enumerate(rows):
        y = TOP + ROW * i + ROW / 2
        tip = (f"{row.label}: {row.k} of {row.n} overturned ({percent(row.rate)}; "
               f"95% interval {percent(row.low)}–{percent(row.high)})")
        body.append(_row_label(x0 - 10, y, row.label, label_w))
        body.append(f'<g class="mark"><title>{escape(tip)}</title>'
                    f'<line class="errorbar" x1="{x(row.low):.1f}" y1="{y:.1f}" x2="{x(row.high):.1f}" y2="{y:.1f}"/>'
                    f'<line class="cap" x1="{x(row.low):.1f}" y1="{y - 5:.1f}" x2="{x(row.low):.1f}" y2="{y + 5:.1f}"/>'
                    f'<line class="cap" x1="{x(row.high):.1f}" y1="{y - 5:.1f}" x2="{x(row.high):.1f}" y2="{y + 5:.1f}"/>'
                    f'<circle class="point" cx="{x(row.rate):.1f}" cy="{y:.1f}" r="4.5"/></g>')
        body.append(f'<text class="value" x="{x1 + GAP:.1f}" y="{y + 4:.1f}">{percent(row.rate)} '
                    f'<tspan class="muted">n = {row.n:,}</tspan></text>')
    return _svg(chart_id, title, bottom + 8, body, len(rows))


def nice_ticks(top: int) -> list[int]:
    """Round tick values from 0 covering ``top``: steps of 1, 2 or 5 × 10^k, at most 6 ticks."""
    top = max(top, 1)
    for magnitude in range(int(math.log10(top)) + 2):
        for step in (1, 2, 5):
            step *= 10 ** magnitude
            if math.ceil(top / step) <= 5:
                return list(range(0, step * math.ceil(top / step) + 1, step))
    return [0, top]


def _legend(series: list[Series], x: float) -> list[str]:
    out = []
    for s in series:
        out.append(f'<rect class="swatch" x="{x:.1f}" y="2" width="11" height="11" rx="2" fill="{s.color}"/>')
        out.append(f'<text class="legend" x="{x + 16:.1f}" y="12">{escape(s.label)}</text>')
        x += 16 + text_width(s.label) + 18
    return out


def bar_chart(chart_id: str, title: str, rows: list[Bars], series: list[Series], *,
              stacked: bool = True) -> str:
    """Counts per row, one bar per series: stacked into one bar (the total
    written at its end) or side by side (each count at its bar's end).  A
    zero count draws no bar."""
    label_w = _label_width([r.label for r in rows])
    ends = [f"{sum(r.values.values()):,} {r.note}" for r in rows] if stacked else \
        [f"{v:,}" for r in rows for v in r.values.values()]
    x0, x1 = label_w, WIDTH - max([text_width(e) for e in ends] + [0]) - GAP
    row_h = ROW if stacked else 12 * len(series) + 8
    legend_h = 20 if len(series) > 1 else 0
    top = TOP + legend_h
    biggest = max([sum(r.values.values()) if stacked else max(r.values.values(), default=0)
                   for r in rows] + [1])
    ticks = nice_ticks(biggest)
    scale = (x1 - x0) / ticks[-1]
    bottom = top + row_h * len(rows)
    body = _legend(series, x0) if legend_h else []
    body += _bands(len(rows), top, row_h)
    body += _grid(x0, x1, [(t / ticks[-1], f"{t:,}") for t in ticks], top, bottom)
    for i, row in enumerate(rows):
        y0 = top + row_h * i
        body.append(_row_label(x0 - 10, y0 + row_h / 2, row.label, label_w))
        x = x0
        for j, s in enumerate(series):
            value = row.values.get(s.key, 0)
            h = (row_h - 8) if stacked else (row_h - 8) / len(series)
            y = y0 + 4 + (0 if stacked else j * h)
            w = value * scale
            if value:
                body.append(f'<rect class="bar" data-series="{_attr(s.key)}" x="{x:.1f}" y="{y:.1f}" '
                            f'width="{max(w, 1.5):.1f}" height="{h - (0 if stacked else 1):.1f}" '
                            f'fill="{s.color}"><title>{escape(row.label)}: {value:,} {escape(s.label.lower())}'
                            f'</title></rect>')
            if not stacked:
                body.append(f'<text class="value small" x="{x0 + w + 4:.1f}" y="{y + h / 2 + 3:.1f}">'
                            f'{value:,}</text>')
            if stacked:
                x += w
        if stacked:
            note = f' <tspan class="muted">{escape(row.note)}</tspan>' if row.note else ""
            body.append(f'<text class="value" x="{x + 6:.1f}" y="{y0 + row_h / 2 + 4:.1f}">'
                        f'{sum(row.values.values()):,}{note}</text>')
    return _svg(chart_id, title, bottom + 8, body, len(rows))
