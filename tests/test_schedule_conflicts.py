"""Conflicts: two entries in one channel whose meetings overlap in some week, week phases considered."""

from __future__ import annotations

from datetime import date, time, timedelta

from hypothesis import given

from gavel.schedule.conflicts import find_conflicts, overlap
from gavel.schedule.model import Entry, Frequency, MeetingSchedule
from gavel.schedule.occurrences import occurrences_between
from schedule_support import entries


def meeting(stem: str, *entries: Entry) -> MeetingSchedule:
    return MeetingSchedule(stem, stem.title(), "chair", "", entries)


def at(frequency: Frequency, weekday: int, hour: int, minute: int = 0, duration: int = 60, channel: str = "m") -> Entry:
    return Entry(channel, frequency, weekday, time(hour, minute), duration)


def test_the_same_slot_conflicts() -> None:
    a, b = meeting("a", at(Frequency.WEEKLY, 0, 14)), meeting("b", at(Frequency.BIWEEKLY_ODD, 0, 14, 30))
    [conflict] = find_conflicts((a, b), {"a": "a.yaml", "b": "b.yaml"})
    assert str(conflict) == (
        "a.yaml: schedule[0]: overlaps b.yaml schedule[0] in #m"
        " (Monday 1400 UTC, weekly, 60 min / Monday 1430 UTC, biweekly-odd, 60 min)"
    )


def test_even_and_odd_weeks_share_a_slot() -> None:
    assert not overlap(at(Frequency.BIWEEKLY_EVEN, 0, 14), at(Frequency.BIWEEKLY_ODD, 0, 14))
    assert not overlap(at(Frequency.QUADWEEKLY, 0, 14), at(Frequency.QUADWEEKLY_WEEK_1, 0, 14))
    assert overlap(at(Frequency.QUADWEEKLY_ALTERNATE, 0, 14), at(Frequency.BIWEEKLY_EVEN, 0, 14))
    assert overlap(at(Frequency.QUADWEEKLY_ALTERNATE, 0, 14), at(Frequency.QUADWEEKLY_WEEK_2, 0, 14))
    assert not overlap(at(Frequency.QUADWEEKLY_WEEK_3, 0, 14), at(Frequency.BIWEEKLY_EVEN, 0, 14))


def test_back_to_back_is_fine_and_other_channels_never_conflict() -> None:
    assert not overlap(at(Frequency.WEEKLY, 0, 14), at(Frequency.WEEKLY, 0, 15))
    a, b = meeting("a", at(Frequency.WEEKLY, 0, 14)), meeting("b", at(Frequency.WEEKLY, 0, 14, channel="other"))
    assert find_conflicts((a, b), {}) == []


def test_channels_compare_ignoring_case() -> None:
    a, b = (
        meeting("a", at(Frequency.WEEKLY, 0, 14, channel="Ops")),
        meeting("b", at(Frequency.WEEKLY, 0, 14, channel="ops")),
    )
    assert len(find_conflicts((a, b), {})) == 1


def test_past_sunday_midnight_into_the_next_week() -> None:
    late = at(Frequency.BIWEEKLY_ODD, 6, 23, 30, duration=60)  # Sunday 23:30 of an odd week, until 00:30
    assert overlap(late, at(Frequency.BIWEEKLY_EVEN, 0, 0))  # ... Monday of the even week after
    assert not overlap(late, at(Frequency.BIWEEKLY_ODD, 0, 0))
    assert overlap(at(Frequency.QUADWEEKLY_WEEK_3, 6, 23, 30), at(Frequency.QUADWEEKLY, 0, 0, 15))


def test_monthly_may_meet_in_any_week_and_adhoc_never_conflicts() -> None:
    assert overlap(at(Frequency.FIRST_MONDAY, 0, 14), at(Frequency.QUADWEEKLY_WEEK_3, 0, 14))
    assert not overlap(at(Frequency.FIRST_MONDAY, 0, 14), at(Frequency.FIRST_TUESDAY, 1, 14))
    adhoc = Entry("m", Frequency.ADHOC, None, None)
    assert find_conflicts((meeting("a", adhoc), meeting("b", adhoc, at(Frequency.WEEKLY, 0, 1))), {}) == []


def test_two_entries_of_one_meeting_conflict_too() -> None:
    [conflict] = find_conflicts((meeting("a", at(Frequency.WEEKLY, 2, 9), at(Frequency.WEEKLY, 2, 9, 59)),), {})
    assert (conflict.first.index, conflict.second.index) == (0, 1)


@given(entries(), entries())
def test_entries_that_never_conflict_never_meet_at_once(first: Entry, second: Entry) -> None:
    """Meetings a year from one shared start (before any week 53) overlap only when ``overlap`` says so."""
    since, until = date(2027, 1, 4), date(2028, 1, 1)
    first = Entry("m", first.frequency, first.weekday, first.start, first.duration)
    second = Entry("m", second.frequency, second.weekday, second.start, second.duration)
    spans = [(m, m + timedelta(minutes=first.duration)) for m in occurrences_between(first, since, until)]
    others = [(m, m + timedelta(minutes=second.duration)) for m in occurrences_between(second, since, until)]
    meets = any(start < other_end and other_start < end for start, end in spans for other_start, other_end in others)
    if meets:
        assert overlap(first, second) and overlap(second, first)
