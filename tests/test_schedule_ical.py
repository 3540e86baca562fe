"""The .ics calendars: valid iCalendar whose expansion equals the pure occurrence computation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from icalendar import Calendar

from gavel.schedule.ical import calendar, event_uid
from gavel.schedule.model import Entry, Frequency, MeetingSchedule, SkipDate
from gavel.schedule.occurrences import occurrences_between
from schedule_support import DAYS, entries

SINCE = datetime(2027, 1, 1, tzinfo=UTC)


def expand(data: bytes, first: date, until: date) -> dict[str, list[datetime]]:
    cal = Calendar.from_ical(data)
    found: dict[str, list[datetime]] = {}
    event: Any
    for event in recurring_ical_events.of(cal).between(first, until):
        found.setdefault(str(event["UID"]), []).append(event.start)
    return {uid: sorted(moments) for uid, moments in found.items()}


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(entries(adhoc=True), DAYS)
def test_expanding_the_calendar_gives_the_computed_meetings(entry: Entry, since: date) -> None:
    made = datetime.combine(since, time(), UTC)
    meeting = MeetingSchedule("m", "Nova", "gibi", "Compute", (entry,))
    until = since + timedelta(days=366)
    expected = occurrences_between(entry, since, until)
    got = expand(calendar((meeting,), made, "m"), since, until)
    assert got.get(event_uid("m", 0), []) == expected


def test_the_event_fields() -> None:
    entry = Entry(
        "openstack-nova", Frequency.BIWEEKLY_ODD, 1, time(16), 45, date(2027, 1, 10), (SkipDate(date(2027, 2, 2)),)
    )
    monthly = Entry("openstack-nova", Frequency.FIRST_FRIDAY, 4, time(9))
    meeting = MeetingSchedule(
        "nova",
        "Nova",
        "gibi",
        "Compute team",
        (entry, monthly, Entry("x", Frequency.ADHOC, None, None)),
        agenda_url="https://wiki.example.org/Nova",
    )
    cal = Calendar.from_ical(calendar((meeting,), SINCE, "Nova"))
    events: list[Any] = cal.walk("VEVENT")
    first, second = events
    assert first["DTSTART"].dt == datetime(2027, 1, 19, 16, tzinfo=UTC)  # the first odd week on or after the 10th
    assert first["DURATION"].dt == timedelta(minutes=45)
    assert first["RRULE"].to_ical() == b"FREQ=WEEKLY;INTERVAL=2"
    assert [d.dt for d in first["EXDATE"].dts] == [datetime(2027, 2, 2, 16, tzinfo=UTC)]
    assert (first["SUMMARY"], first["LOCATION"]) == ("Nova", "#openstack-nova")
    assert first["DESCRIPTION"] == "Chair: gibi\nAgenda: https://wiki.example.org/Nova\n\nCompute team"
    assert second["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=1FR"
    assert second["DTSTART"].dt == datetime(2027, 1, 1, 9, tzinfo=UTC)
    assert first["UID"] != second["UID"] and first["UID"] == event_uid("nova", 0)


def test_output_is_stable() -> None:
    meeting = MeetingSchedule("nova", "Nova", "gibi", "", (Entry("n", Frequency.WEEKLY, 1, time(16)),))
    assert calendar((meeting,), SINCE, "Nova") == calendar((meeting,), SINCE, "Nova")
