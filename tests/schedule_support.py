"""Test helpers for schedules: entries drawn by hypothesis and YAML text for one meeting."""

from __future__ import annotations

from datetime import date, time

from hypothesis import strategies as st

from gavel.schedule.model import Entry, Frequency, SkipDate

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@st.composite
def entries(draw: st.DrawFn, *, adhoc: bool = False) -> Entry:
    kinds = list(Frequency) if adhoc else [f for f in Frequency if f is not Frequency.ADHOC]
    frequency = draw(st.sampled_from(kinds))
    weekday = frequency.monthly_weekday
    if weekday is None:
        weekday = draw(st.integers(0, 6))
    start = time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    skips = tuple(SkipDate(day) for day in draw(st.lists(DAYS, max_size=5)))
    return Entry(
        channel=draw(st.sampled_from(["openstack-meeting", "openstack-meeting-3"])),
        frequency=frequency,
        weekday=weekday,
        start=start,
        duration=draw(st.integers(1, 240)),
        start_date=draw(st.none() | DAYS),
        skip_dates=skips,
    )


def meeting_yaml(*entries: str, head: str = "project: Nova\nchair: gibi\ndescription: Compute\n") -> str:
    """A schedule file with ``entries`` (each the YAML of one list item, without the dash)."""
    items = "".join("  - " + entry.strip().replace("\n", "\n    ") + "\n" for entry in entries)
    return head + "schedule:\n" + items
