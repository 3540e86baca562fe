"""The schedule pages: ``/schedule`` (HTML), ``/api/schedule`` (JSON) and the calendars ``/schedule/<stem>.ics``.

They exist when the server was given a schedule directory (``gavel serve --schedule DIR``). "Next meeting"
is computed from the server's clock (``Site.clock``), calendars start on the day they are asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gavel.render.links import iso
from gavel.schedule.ical import calendar
from gavel.schedule.model import WEEKDAYS, Entry, MeetingSchedule, Schedule
from gavel.schedule.occurrences import next_meeting
from gavel.web.data import Urls
from gavel.web.middleware import private
from gavel.web.site import Site

ALL_CALENDAR = "meetings"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def ics_url(urls: Urls, stem: str) -> str:
    return f"{urls.root}/schedule/{quote(stem, safe='')}.ics"


def meeting_next(meeting: MeetingSchedule, now: datetime) -> tuple[datetime, Entry] | None:
    """The meeting's next time over all its entries, and that entry (None when it is only ad hoc)."""
    found = [(moment, entry) for entry in meeting.entries if (moment := next_meeting(entry, now)) is not None]
    return min(found, key=lambda pair: pair[0], default=None)


def entry_json(entry: Entry, now: datetime) -> dict[str, Any]:
    return {
        "channel": entry.location,
        "frequency": entry.frequency.value,
        "day": None if entry.weekday is None else WEEKDAYS[entry.weekday],
        "time": None if entry.start is None else f"{entry.start:%H%M}",
        "duration": entry.duration,
        "start_date": None if entry.start_date is None else entry.start_date.isoformat(),
        "skip_dates": [{"date": skip.day.isoformat(), "reason": skip.reason} for skip in entry.skip_dates],
        "next": _iso(next_meeting(entry, now)),
    }


def meeting_json(urls: Urls, meeting: MeetingSchedule, now: datetime) -> dict[str, Any]:
    upcoming = meeting_next(meeting, now)
    return {
        "file": meeting.stem,
        "project": meeting.project,
        "series": meeting.series,
        "series_url": urls.series(meeting.series),
        "chair": meeting.chair,
        "description": meeting.description,
        "meeting_id": meeting.meeting_id,
        "agenda_url": meeting.agenda_url,
        "project_url": meeting.project_url,
        "ics_url": ics_url(urls, meeting.stem),
        "next": _iso(upcoming[0]) if upcoming else None,
        "next_channel": upcoming[1].location if upcoming else None,
        "entries": [entry_json(entry, now) for entry in meeting.entries],
    }


def describe_entry(entry: Entry) -> str:
    """``Tuesday 1600 UTC, weekly, 60 min`` (ad hoc entries: ``ad hoc``)."""
    if entry.weekday is None or entry.start is None:
        return "ad hoc"
    return f"{WEEKDAYS[entry.weekday]} {entry.start:%H%M} UTC, {entry.frequency.value}, {entry.duration} min"


class SchedulePages:
    """The endpoints of the schedule; a 404 when the server has no schedule."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def _schedule(self) -> Schedule:
        if self.site.schedule is None:
            raise HTTPException(404, "no schedule is configured")
        return self.site.schedule

    def page(self, request: Request) -> Response:
        schedule = self._schedule()
        site = self.site
        now = site.clock()
        urls = site.urls(request)
        rows = [(meeting, meeting_next(meeting, now)) for meeting in schedule.meetings]
        context = site.context(
            request,
            site.viewer(request),
            rows=rows,
            describe=describe_entry,
            ics_url=lambda stem: ics_url(urls, stem),
            all_ics=ics_url(urls, ALL_CALENDAR),
            now=now,
        )
        return site.page("schedule.html", context)

    def api(self, request: Request) -> Response:
        schedule = self._schedule()
        now = self.site.clock()
        urls = self.site.urls(request)
        return private(
            JSONResponse(
                {
                    "now": iso(now),
                    "ics_url": ics_url(urls, ALL_CALENDAR),
                    "meetings": [meeting_json(urls, meeting, now) for meeting in schedule.meetings],
                }
            )
        )

    def ics(self, request: Request) -> Response:
        schedule = self._schedule()
        name: str = request.path_params["name"]
        stem = name.removesuffix(".ics")
        if stem == name:
            raise HTTPException(404, "no such calendar")
        found = schedule.by_stem(stem)
        if found is None and stem != ALL_CALENDAR:
            raise HTTPException(404, "no such calendar")
        meetings = schedule.meetings if found is None else (found,)
        made = self.site.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        body = calendar(meetings, made, "Meetings" if found is None else found.project)
        return Response(body, media_type="text/calendar; charset=utf-8")


def series_schedule(site: Site, urls: Urls, series: str) -> list[dict[str, Any]]:
    """The scheduled meetings of a series, for its page: each with its next time and its calendar's URL."""
    if site.schedule is None:
        return []
    now = site.clock()
    return [meeting_json(urls, meeting, now) for meeting in site.schedule.of_series(series)]
