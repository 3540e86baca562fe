"""The charts of a series page (people and lines per meeting, action items opened and closed over time) and the
rows of the data table that goes with them, from the archive's ``series_activity``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from markupsafe import Markup

from gavel.render.charts import Chart, Line, line_chart
from gavel.render.links import iso
from gavel.storage.archive import MeetingActivity, MeetingSummary
from gavel.web.data import Urls


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """One meeting in the data table: its link and date, its counts, and the running action totals."""

    url: str
    day: str
    people: int
    lines: int
    opened: int
    closed: int
    opened_total: int
    closed_total: int


@dataclass(frozen=True, slots=True)
class SeriesCharts:
    """The three SVG charts (already escaped) and the table rows, oldest meeting first."""

    svgs: tuple[Markup, ...]
    rows: tuple[ActivityRow, ...]


MeetingLink = Callable[[MeetingSummary], str]


def server_links(urls: Urls) -> MeetingLink:
    """Links to the meeting pages of ``gavel serve``."""
    return lambda meeting: urls.meeting(meeting.series, meeting.log_basename, meeting.id)


def activity_rows(link: MeetingLink, activity: list[MeetingActivity]) -> tuple[ActivityRow, ...]:
    opened = accumulate(row.actions_opened for row in activity)
    closed = accumulate(row.actions_closed for row in activity)
    return tuple(
        ActivityRow(
            link(row.meeting),
            f"{row.meeting.started_at:%Y-%m-%d}",
            row.people,
            row.meeting.line_count,
            row.actions_opened,
            row.actions_closed,
            opened_total,
            closed_total,
        )
        for row, opened_total, closed_total in zip(activity, opened, closed, strict=True)
    )


def series_charts(link: MeetingLink, activity: list[MeetingActivity]) -> SeriesCharts:
    """The charts, with their table's rows linking each meeting by ``link`` (the server's pages or the export's
    files)."""
    rows = activity_rows(link, activity)
    days = tuple(row.day for row in rows)
    charts = (
        Chart("People per meeting", "people", days, (Line("people", tuple(row.people for row in rows)),)),
        Chart("Log lines per meeting", "lines", days, (Line("lines", tuple(row.lines for row in rows)),)),
        Chart(
            "Action items opened and closed (running totals)",
            "action items",
            days,
            (
                Line("opened", tuple(row.opened_total for row in rows)),
                Line("closed", tuple(row.closed_total for row in rows)),
            ),
        ),
    )
    svgs = tuple(
        Markup(line_chart(chart, f"chart-{name}"))  # noqa: S704 -- line_chart escapes every text it writes
        for chart, name in zip(charts, ("people", "lines", "actions"), strict=True)
    )
    return SeriesCharts(svgs, rows)


def activity_json(urls: Urls, activity: list[MeetingActivity]) -> list[dict[str, Any]]:
    """The ``activity`` of a series' JSON (what its charts show), oldest meeting first."""
    return [
        {
            "meeting_id": row.meeting.id,
            "started_at": iso(row.meeting.started_at),
            "url": table.url,
            "people": row.people,
            "lines": row.meeting.line_count,
            "actions_opened": row.actions_opened,
            "actions_closed": row.actions_closed,
            "actions_opened_total": table.opened_total,
            "actions_closed_total": table.closed_total,
        }
        for row, table in zip(activity, activity_rows(server_links(urls), activity), strict=True)
    ]
