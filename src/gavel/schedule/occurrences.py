"""When an entry meets: pure functions of the entry and a first day, no clock.

The series is anchored like yaml2ical's calendars: the first meeting is the first day on or after
``max(since, start_date)`` on the entry's weekday whose ISO week number has the entry's phase (even or odd
for biweekly, modulo 4 for quadweekly); from there it repeats every 1, 2 or 4 weeks, or on the first
<weekday> of every month. Skip dates are left out. Ad hoc entries never meet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from gavel.schedule.model import Entry, Frequency

WEEK = timedelta(weeks=1)


def first_meeting(entry: Entry, since: date) -> datetime | None:
    """The series' first meeting (skipped or not) on or after ``since`` and the entry's start date."""
    return next(_series(entry, since), None)


def occurrences(entry: Entry, since: date) -> Iterator[datetime]:
    """Every meeting of ``entry`` from the first on or after ``since``, in order, skip dates left out (endless)."""
    skipped = {skip.day for skip in entry.skip_dates}
    return (moment for moment in _series(entry, since) if moment.date() not in skipped)


def occurrences_between(entry: Entry, since: date, until: date) -> list[datetime]:
    """The meetings from ``since`` up to, not including, ``until``."""
    found: list[datetime] = []
    for moment in occurrences(entry, since):
        if moment.date() >= until:
            break
        found.append(moment)
    return found


def next_meeting(entry: Entry, now: datetime) -> datetime | None:
    """The first meeting of ``entry`` that has not ended at ``now`` (a meeting under way counts, also one that began
    the day before: from 23:00 for 61 minutes is still on at midnight)."""
    for moment in occurrences(entry, (now - timedelta(minutes=entry.duration)).date()):
        if moment + timedelta(minutes=entry.duration) > now:
            return moment
    return None  # pragma: no cover - only ad hoc entries have no meetings, and they yield nothing


def _series(entry: Entry, since: date) -> Iterator[datetime]:
    if entry.frequency is Frequency.ADHOC or entry.weekday is None or entry.start is None:
        return
    first = max(since, entry.start_date) if entry.start_date is not None else since
    if entry.frequency.monthly_weekday is not None:
        yield from _monthly(entry, first)
        return
    day = first + timedelta(days=(entry.weekday - first.weekday()) % 7)
    weeks = entry.frequency.weeks
    while day.isocalendar().week % weeks != entry.frequency.phase:
        day += WEEK
    moment = datetime.combine(day, entry.start, UTC)
    step = WEEK * weeks
    while True:
        yield moment
        moment += step


def _monthly(entry: Entry, first: date) -> Iterator[datetime]:
    assert entry.weekday is not None and entry.start is not None
    year, month = first.year, first.month
    while True:
        start = date(year, month, 1)
        day = start + timedelta(days=(entry.weekday - start.weekday()) % 7)
        if day >= first:
            yield datetime.combine(day, entry.start, UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
