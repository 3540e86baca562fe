"""Line charts as SVG text, written by hand: no JavaScript, readable without colour.

Each line has its own dash pattern and marker shape and is labelled at its end (no legend to match colours
against); the chart carries a ``<title>`` and a ``<desc>`` (what it shows, first and last values, the highest),
and every marker a ``<title>`` with its value. The caller puts a data table beside it. All text is escaped.

Points are spaced evenly (one per meeting, in order), the y axis starts at 0 and has "nice" ticks (1, 2 or 5
times a power of ten). Markers are drawn for up to ``MAX_MARKERS`` points; beyond, only the lines.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 56, 110, 34, 34  # margins: tick labels left, line labels right, title above, dates below
MAX_MARKERS = 60
MAX_X_LABELS = 6
_STYLES = (  # (stroke colour, dash pattern, marker): told apart by pattern and marker, not only by colour
    ("#1f4e99", "", "circle"),
    ("#a34a00", "6 4", "square"),
    ("#3a6b1f", "2 3", "triangle"),
)
_SUFFIXES = ((10**18, "E"), (10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a chart: a label and one value per point."""

    label: str
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart: a title, what the values count (``unit``, e.g. "people"), the x labels (one per point)."""

    title: str
    unit: str
    x_labels: tuple[str, ...]
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.lines) <= len(_STYLES):
            raise ValueError(f"a chart has 1 to {len(_STYLES)} lines, not {len(self.lines)}")
        for line in self.lines:
            if len(line.values) != len(self.x_labels):
                raise ValueError(f"line {line.label!r} has {len(line.values)} values for {len(self.x_labels)} points")


def compact(value: int) -> str:
    """A tick label: ``950``, ``1,500``, ``25k``, ``1.5M``, ... (at most about 6 characters)."""
    size = abs(value)
    if size < 10_000:
        return f"{value:,}"
    for scale, suffix in _SUFFIXES:
        if size >= scale:
            scaled = value / scale
            if abs(scaled) >= 1000:  # beyond E: a power of ten
                return f"{value:.1e}"
            text = f"{scaled:.1f}".removesuffix(".0") if abs(scaled) < 10 else f"{round(scaled)}"
            return text + suffix
    return f"{value:,}"  # unreachable: 10,000 and above has a suffix


def ticks(low: int, high: int, most: int = 5) -> list[int]:
    """Evenly spaced round values from at or below ``low`` to at or above ``high`` (at most ``most`` + 1 steps)."""
    low, high = min(low, 0), max(high, 0)
    if high == low:
        high = low + 1
    raw = (high - low) / most
    power = 10 ** max(0, math.floor(math.log10(raw)))
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= raw)
    first = low // step * step  # integers throughout: floats lose the last digits of huge values
    count = -(-(high - first) // step)
    return [first + step * i for i in range(count + 1)]


def _text(value: str) -> str:
    """Escaped for XML text and attributes, without characters XML forbids."""
    cleaned = "".join(c for c in value if c in "\t\n" or (c >= " " and c not in "\x7f\ufffe\uffff"))
    return escape(cleaned, quote=True)


def describe(chart: Chart) -> str:
    """A sentence per line: first and last value, the highest and where it was."""
    if not chart.x_labels:
        return f"No data: {chart.title.lower()}."
    parts = []
    for line in chart.lines:
        values = line.values
        peak = max(range(len(values)), key=values.__getitem__)
        parts.append(
            f"{line.label}: {values[0]:,} {chart.unit} at {chart.x_labels[0]}, {values[-1]:,} at "
            f"{chart.x_labels[-1]}; highest {values[peak]:,} at {chart.x_labels[peak]}."
        )
    points = len(chart.x_labels)
    return f"{points:,} meeting{'' if points == 1 else 's'}. " + " ".join(parts)


def _marker(shape: str, x: float, y: float, colour: str, title: str) -> str:
    tip = f"<title>{_text(title)}</title>"
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">{tip}</circle>'
    if shape == "square":
        corner = f'x="{x - 3.5:.1f}" y="{y - 3.5:.1f}"'
        return f'<rect {corner} width="7" height="7" fill="#fff" stroke="{colour}" stroke-width="1.5">{tip}</rect>'
    corners = f"{x:.1f},{y - 4.5:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}"
    return f'<polygon points="{corners}" fill="{colour}">{tip}</polygon>'


def _spread(positions: list[float], gap: float) -> list[float]:
    """``positions`` moved apart (keeping their order) so that neighbours are at least ``gap`` apart."""
    order = sorted(range(len(positions)), key=positions.__getitem__)
    placed = list(positions)
    for before, after in itertools.pairwise(order):
        placed[after] = max(placed[after], placed[before] + gap)
    return placed


def line_chart(chart: Chart, ident: str) -> str:
    """The chart as an inline ``<svg>`` element; ``ident`` prefixes its element ids (unique in the page)."""
    ident = _text(ident)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f'font-family="sans-serif" font-size="11"><title id="{ident}-title">{_text(chart.title)}</title>'
        f'<desc id="{ident}-desc">{_text(describe(chart))}</desc>'
        f'<text x="0" y="14" font-size="13" font-weight="bold" aria-hidden="true">{_text(chart.title)}</text>'
    )
    count = len(chart.x_labels)
    if count == 0:
        middle = TOP + plot_h / 2
        return head + f'<text x="{WIDTH / 2:.0f}" y="{middle:.0f}" text-anchor="middle">No meetings yet</text></svg>'
    values = [value for line in chart.lines for value in line.values]
    scale = ticks(min(values), max(values))
    low, high = scale[0], scale[-1]

    def x_of(index: int) -> float:
        return LEFT + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y_of(value: int) -> float:
        return TOP + plot_h - plot_h * (value - low) / (high - low)

    parts = [head]
    for tick in scale:  # grid lines and y labels
        y = y_of(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_text(compact(tick))}</text>'
        )
    bottom = TOP + plot_h
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="#333"/>'
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{bottom}" y2="{bottom}" stroke="#333"/>'
    )
    shown = sorted({round(i * (count - 1) / (MAX_X_LABELS - 1)) for i in range(MAX_X_LABELS)}) if count > 1 else [0]
    for index in shown:
        x = x_of(index)
        anchor = "start" if count > 1 and index == 0 else "end" if count > 1 and index == count - 1 else "middle"
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#333"/>'
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="{anchor}">{_text(chart.x_labels[index])}</text>'
        )
    label_ys = _spread([y_of(line.values[-1]) + 4 for line in chart.lines], 13)
    for line, (colour, dash, shape), label_y in zip(chart.lines, _STYLES, label_ys, strict=False):
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(line.values))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>')
        if count <= MAX_MARKERS:
            parts.extend(
                _marker(shape, x_of(i), y_of(v), colour, f"{chart.x_labels[i]}: {v:,} {chart.unit}")
                for i, v in enumerate(line.values)
            )
        end = x_of(count - 1)
        parts.append(
            f'<text x="{end + 8:.1f}" y="{label_y:.1f}" fill="{colour}">{_text(line.label)} '
            f"({_text(compact(line.values[-1]))})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
