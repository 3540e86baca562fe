"""The hand-written SVG line charts: well-formed, escaped, readable without colour, for 0, 1 and many points and
for huge values."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gavel.render.charts import HEIGHT, MAX_MARKERS, WIDTH, Chart, Line, compact, line_chart, ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def days(count: int) -> tuple[str, ...]:
    return tuple(f"day {n}" for n in range(count))


def coordinates(root: ET.Element) -> list[float]:
    """Every number in the positions of the drawn elements."""
    numbers: list[float] = []
    for element in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "points"):
            numbers.extend(float(n) for n in re.findall(r"-?[\d.]+(?:e[-+]?\d+)?", element.get(name, "")))
    return numbers


def test_no_points_says_so() -> None:
    root = parse(line_chart(Chart("People per meeting", "people", (), (Line("people", ()),)), "c"))
    assert root.findtext(SVG + "title") == "People per meeting"
    assert "No data" in (root.findtext(SVG + "desc") or "")
    assert [t.text for t in root.iter(SVG + "text")] == ["People per meeting", "No meetings yet"]  # title, message
    assert root.find(SVG + "polyline") is None


def test_one_point_sits_in_the_middle_with_its_marker() -> None:
    root = parse(line_chart(Chart("People", "people", ("2024-01-09",), (Line("people", (7,)),)), "c"))
    (circle,) = root.iter(SVG + "circle")
    assert float(circle.get("cx", "0")) == pytest.approx(56 + (WIDTH - 56 - 110) / 2)
    assert circle.findtext(SVG + "title") == "2024-01-09: 7 people"
    desc = root.findtext(SVG + "desc") or ""
    assert desc.startswith("1 meeting.") and "highest 7 at 2024-01-09" in desc
    assert "people (7)" in [t.text for t in root.iter(SVG + "text")]


def test_many_points_draw_lines_without_markers_and_few_x_labels() -> None:
    count = 5000
    values = tuple(n % 37 for n in range(count))
    root = parse(line_chart(Chart("Lines", "lines", days(count), (Line("lines", values),)), "c"))
    (polyline,) = root.iter(SVG + "polyline")
    assert len(polyline.get("points", "").split()) == count
    assert list(root.iter(SVG + "circle")) == []
    labels = [t.text for t in root.iter(SVG + "text") if (t.text or "").startswith("day ")]
    assert labels[0] == "day 0" and labels[-1] == f"day {count - 1}" and len(labels) <= 6
    few = parse(line_chart(Chart("Lines", "lines", days(MAX_MARKERS), (Line("lines", values[:MAX_MARKERS]),)), "c"))
    assert len(list(few.iter(SVG + "circle"))) == MAX_MARKERS


@pytest.mark.parametrize("top", [0, 1, 3, 999, 10**6 + 1, 10**15, 10**22])
def test_values_of_any_size_stay_inside_the_picture(top: int) -> None:
    chart = Chart("Lines", "lines", days(3), (Line("lines", (0, top // 2, top)),))
    root = parse(line_chart(chart, "c"))
    for number in coordinates(root):
        assert math.isfinite(number) and -10 <= number <= max(WIDTH, HEIGHT) + 10
    tick_labels = [t.text or "" for t in root.iter(SVG + "text") if t.get("text-anchor") == "end" and t.text]
    assert all(len(label) <= 8 for label in tick_labels), tick_labels


def test_two_lines_differ_in_pattern_and_marker_and_labels_do_not_overlap() -> None:
    chart = Chart("Actions", "action items", days(4), (Line("opened", (1, 2, 3, 3)), Line("closed", (0, 1, 2, 3))))
    root = parse(line_chart(chart, "c"))
    first, second = root.iter(SVG + "polyline")
    assert first.get("stroke-dasharray") is None and second.get("stroke-dasharray")
    assert len(list(root.iter(SVG + "circle"))) == 4 and len(list(root.iter(SVG + "rect"))) == 4
    ends = {t.text: float(t.get("y", "0")) for t in root.iter(SVG + "text") if t.text in ("opened (3)", "closed (3)")}
    assert abs(ends["opened (3)"] - ends["closed (3)"]) >= 12


def test_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & \x00\x1b'
    chart = Chart(hostile, hostile, (hostile, "b"), (Line(hostile, (1, 2)),))
    svg = line_chart(chart, '"><script>')
    assert "<script" not in svg and "\x00" not in svg
    root = parse(svg)
    assert root.findtext(SVG + "title") == '<script>alert("x")</script> & '


def test_lines_must_fit_the_points() -> None:
    with pytest.raises(ValueError, match="2 values for 3 points"):
        Chart("t", "u", days(3), (Line("a", (1, 2)),))
    with pytest.raises(ValueError, match="1 to 3 lines"):
        Chart("t", "u", days(1), ())


def test_compact_numbers() -> None:
    assert [compact(v) for v in (0, 950, 1500, 9999, 10_000, 25_400, 1_500_000, 2 * 10**9, 10**24)] == [
        "0",
        "950",
        "1,500",
        "9,999",
        "10k",
        "25k",
        "1.5M",
        "2G",
        "1.0e+24",
    ]


@given(st.integers(-(10**6), 10**20), st.integers(0, 10**20))
def test_ticks_cover_the_values_with_round_steps(low: int, extra: int) -> None:
    high = low + extra
    scale = ticks(low, high)
    assert scale[0] <= min(low, 0) and scale[-1] >= max(high, 0)
    assert 2 <= len(scale) <= 7
    steps = {b - a for a, b in itertools.pairwise(scale)}
    assert len(steps) == 1
    (step,) = steps
    assert str(step).rstrip("0") in ("1", "2", "5")
