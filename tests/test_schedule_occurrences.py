"""When entries meet: weekday and time, ISO week phase, skip dates, period, start dates (property tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from gavel.schedule.model import Entry, Frequency, SkipDate
from gavel.schedule.occurrences import first_meeting, next_meeting, occurrences, occurrences_between
from schedule_support import DAYS, entries


def _weeks_53_between(first: date, last: date) -> bool:
    """True when an ISO year with a week 53 ends between the two days (the phase of an interval then flips).

    ISO years, not calendar years: 2033-01-01 lies in week 53 of ISO year 2032."""
    years = range(first.isocalendar().year, last.isocalendar().year + 1)
    return any(date(year, 12, 28).isocalendar().week == 53 for year in years)


@given(entries(), DAYS)
def test_every_meeting_is_on_the_weekday_and_time_after_the_start(entry: Entry, since: date) -> None:
    found = occurrences_between(entry, since, since + timedelta(days=400))
    floor = max(since, entry.start_date or since)
    for moment in found:
        assert moment.weekday() == entry.weekday
        assert entry.start is not None and moment.timetz() == entry.start.replace(tzinfo=UTC)
        assert moment.date() >= floor
    assert found == sorted(found)


@given(entries(), DAYS, st.data())
def test_skip_dates_never_meet(entry: Entry, since: date, data: st.DataObject) -> None:
    until = since + timedelta(days=800)
    planned = [moment.date() for moment in occurrences_between(replace(entry, skip_dates=()), since, until)]
    chosen = data.draw(st.lists(st.sampled_from(planned), max_size=5)) if planned else []
    entry = replace(entry, skip_dates=entry.skip_dates + tuple(SkipDate(day) for day in chosen))
    skipped = {skip.day for skip in entry.skip_dates}
    found = {moment.date() for moment in occurrences_between(entry, since, until)}
    assert not found & skipped
    assert found == set(planned) - skipped


@given(entries(), DAYS)
def test_no_two_meetings_closer_than_the_period(entry: Entry, since: date) -> None:
    found = occurrences_between(entry, since, since + timedelta(days=800))
    period = timedelta(weeks=entry.frequency.weeks or 4)  # monthly: at least four weeks apart
    assert all(later - earlier >= period for earlier, later in pairwise(found))
    if entry.frequency.weeks:  # and exactly the period apart when nothing is skipped
        series = list(islice(occurrences(replace(entry, skip_dates=()), since), 20))
        assert all(later - earlier == period for earlier, later in pairwise(series))


@given(entries(), DAYS)
@example(  # the first meeting falls in week 53 of ISO year 2032, on 2033-01-01 (found by hypothesis)
    Entry("openstack-meeting", Frequency.QUADWEEKLY_WEEK_1, 5, time(0, 0), 1, None, ()), date(2032, 12, 5)
)
def test_week_phase_follows_iso_week_numbers(entry: Entry, since: date) -> None:
    weeks = entry.frequency.weeks
    found = occurrences_between(entry, since, since + timedelta(days=366))
    for moment in found:
        if _weeks_53_between(found[0].date(), moment.date() - timedelta(days=7)):
            break  # past a week 53 an every-N-weeks series is out of step with ISO numbering (docs/schedule.md)
        if weeks:
            assert moment.isocalendar().week % weeks == entry.frequency.phase
        else:
            assert moment.day <= 7  # first <weekday> of the month


@given(entries(), DAYS)
@example(  # week 52 of 2082 is even, 53 and 1 odd: the next even week after Monday of week 52 is 2083's week 2
    Entry("c", Frequency.BIWEEKLY_EVEN, 0, time(16), start_date=None), date(2082, 12, 22)
)
def test_the_first_meeting_is_the_first_in_phase(entry: Entry, since: date) -> None:
    first = first_meeting(entry, since)
    assert first is not None
    floor = max(since, entry.start_date or since)
    assert first.date() >= floor
    weeks = entry.frequency.weeks or 5
    if entry.frequency.weeks and _weeks_53_between(floor, first.date()):
        weeks += 1  # a week 53 puts two weeks of one phase side by side
    assert first.date() - floor < timedelta(weeks=weeks)


def test_biweekly_even_and_odd_alternate() -> None:
    even = Entry("c", Frequency.BIWEEKLY_EVEN, 1, time(16), start_date=None)
    odd = Entry("c", Frequency.BIWEEKLY_ODD, 1, time(16), start_date=None)
    since = date(2027, 1, 1)  # 2027-W01 starts on Monday 4 January
    assert occurrences_between(even, since, date(2027, 2, 1)) == [
        datetime(2027, 1, 12, 16, tzinfo=UTC),
        datetime(2027, 1, 26, 16, tzinfo=UTC),
    ]
    assert occurrences_between(odd, since, date(2027, 2, 1)) == [
        datetime(2027, 1, 5, 16, tzinfo=UTC),
        datetime(2027, 1, 19, 16, tzinfo=UTC),
    ]


def test_quadweekly_alternate_is_week_two() -> None:
    entry = Entry("c", Frequency.QUADWEEKLY_ALTERNATE, 0, time(9))
    assert [m.isocalendar().week for m in occurrences_between(entry, date(2027, 1, 1), date(2027, 4, 1))] == [2, 6, 10]


def test_first_thursday_of_each_month() -> None:
    entry = Entry("c", Frequency.FIRST_THURSDAY, 3, time(15), skip_dates=(SkipDate(date(2027, 2, 4)),))
    found = occurrences_between(entry, date(2027, 1, 8), date(2027, 5, 1))
    assert [m.date() for m in found] == [date(2027, 3, 4), date(2027, 4, 1)]
    assert first_meeting(entry, date(2027, 1, 8)) == datetime(2027, 2, 4, 15, tzinfo=UTC)


def test_adhoc_never_meets() -> None:
    entry = Entry("c", Frequency.ADHOC, None, None)
    assert first_meeting(entry, date(2027, 1, 1)) is None
    assert occurrences_between(entry, date(2027, 1, 1), date(2028, 1, 1)) == []


@given(entries(), st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_next_meeting_has_not_ended(entry: Entry, now: datetime) -> None:
    found = next_meeting(entry, now)
    assert found is not None
    assert found + timedelta(minutes=entry.duration) > now
    earlier = [m for m in occurrences_between(entry, now.date() - timedelta(days=1), found.date()) if m < found]
    assert all(m + timedelta(minutes=entry.duration) <= now for m in earlier)


def test_a_meeting_that_began_yesterday_and_is_still_on_is_the_next() -> None:
    """Found by hypothesis: a Thursday 23:00 meeting of 61 minutes is under way at Friday 00:00."""
    entry = Entry("late", Frequency.WEEKLY, 3, time(23, 0), duration=61)
    thursday = datetime(2027, 1, 7, 23, 0, tzinfo=UTC)
    assert thursday.weekday() == 3
    assert next_meeting(entry, thursday + timedelta(hours=1)) == thursday
    assert next_meeting(entry, thursday + timedelta(minutes=61)) == thursday + timedelta(days=7)
