"""iCalendar (RFC 5545) for schedules: one VEVENT per entry, its rule matching :mod:`occurrences` exactly.

DTSTART is the entry's first meeting on or after ``max(start_date, since)`` (``since``: the day the
calendar is made, as yaml2ical did), DURATION its length, RRULE ``FREQ=WEEKLY`` with ``INTERVAL`` 1, 2 or 4,
or ``FREQ=MONTHLY;BYDAY=1MO`` for ``first-monday``; EXDATE the skip dates. UIDs depend only on the file's
stem and the entry's position, so a regenerated calendar updates the same events.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from gavel.schedule.model import Entry, MeetingSchedule
from gavel.schedule.occurrences import first_meeting

PRODID = "-//gavel//meeting schedule//EN"
_UID_NAMESPACE = uuid.UUID("9d3b8a52-7d1e-4f0e-9a47-3f1c2b6a8e11")
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def event_uid(stem: str, index: int) -> str:
    return f"{uuid.uuid5(_UID_NAMESPACE, f'{stem}/{index}')}@gavel"


def calendar(meetings: tuple[MeetingSchedule, ...], since: datetime, name: str) -> bytes:
    """The calendar of ``meetings`` (ad hoc entries have no event), made on ``since`` (UTC)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for meeting in meetings:
        for index, entry in enumerate(meeting.entries):
            event = entry_event(meeting, index, entry, since)
            if event is not None:
                cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def entry_event(meeting: MeetingSchedule, index: int, entry: Entry, since: datetime) -> Event | None:
    start = first_meeting(entry, since.date())
    rule = recurrence_rule(entry)
    if start is None or rule is None:
        return None
    event = Event()
    event.add("uid", event_uid(meeting.stem, index))
    event.add("dtstamp", since.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", start)
    event.add("duration", timedelta(minutes=entry.duration))
    event.add("rrule", rule)
    skipped = [datetime.combine(skip.day, start.timetz()) for skip in entry.skip_dates]
    if skipped:
        event.add("exdate", skipped)
    event.add("summary", meeting.project)
    event.add("location", entry.location)
    event.add("description", description(meeting))
    if meeting.agenda_url:
        event.add("url", meeting.agenda_url)
    return event


def recurrence_rule(entry: Entry) -> dict[str, Any] | None:
    monthly = entry.frequency.monthly_weekday
    if monthly is not None:
        return {"freq": "monthly", "byday": f"1{_BYDAY[monthly]}"}
    if entry.frequency.weeks == 0:
        return None
    rule: dict[str, Any] = {"freq": "weekly"}
    if entry.frequency.weeks > 1:
        rule["interval"] = entry.frequency.weeks
    return rule


def description(meeting: MeetingSchedule) -> str:
    lines = [f"Chair: {meeting.chair}"]
    if meeting.agenda_url:
        lines.append(f"Agenda: {meeting.agenda_url}")
    if meeting.project_url:
        lines.append(f"Project: {meeting.project_url}")
    if meeting.description:
        lines.extend(["", meeting.description])
    return "\n".join(lines)
