"""The schedule model: one meeting per YAML file, each with one or more entries (day, time, channel, frequency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from gavel.core.naming import normalize_name

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_DURATION = 60  # minutes
MAX_DURATION = 24 * 60


class Frequency(StrEnum):
    """How often an entry meets. Week phases follow ISO week numbers, as OpenStack's yaml2ical did."""

    WEEKLY = "weekly"
    BIWEEKLY_EVEN = "biweekly-even"
    BIWEEKLY_ODD = "biweekly-odd"
    QUADWEEKLY = "quadweekly"
    QUADWEEKLY_WEEK_1 = "quadweekly-week-1"
    QUADWEEKLY_WEEK_2 = "quadweekly-week-2"
    QUADWEEKLY_WEEK_3 = "quadweekly-week-3"
    QUADWEEKLY_ALTERNATE = "quadweekly-alternate"
    FIRST_MONDAY = "first-monday"
    FIRST_TUESDAY = "first-tuesday"
    FIRST_WEDNESDAY = "first-wednesday"
    FIRST_THURSDAY = "first-thursday"
    FIRST_FRIDAY = "first-friday"
    ADHOC = "adhoc"

    @property
    def weeks(self) -> int:
        """Weeks between two meetings: 1, 2 or 4; 0 for monthly and ad hoc meetings."""
        return _WEEK_PHASES[self][0] if self in _WEEK_PHASES else 0

    @property
    def phase(self) -> int:
        """The ISO week number modulo ``weeks`` of the first meeting (0 for weekly, monthly and ad hoc)."""
        return _WEEK_PHASES[self][1] if self in _WEEK_PHASES else 0

    @property
    def monthly_weekday(self) -> int | None:
        """For ``first-<day>``: the weekday (0 = Monday); else None."""
        return _MONTHLY.get(self)


_WEEK_PHASES = {
    Frequency.WEEKLY: (1, 0),
    Frequency.BIWEEKLY_EVEN: (2, 0),
    Frequency.BIWEEKLY_ODD: (2, 1),
    Frequency.QUADWEEKLY: (4, 0),
    Frequency.QUADWEEKLY_WEEK_1: (4, 1),
    Frequency.QUADWEEKLY_WEEK_2: (4, 2),
    Frequency.QUADWEEKLY_WEEK_3: (4, 3),
    Frequency.QUADWEEKLY_ALTERNATE: (4, 2),  # yaml2ical's "alternate" is week 2 of the rotation
}
_MONTHLY = {
    Frequency.FIRST_MONDAY: 0,
    Frequency.FIRST_TUESDAY: 1,
    Frequency.FIRST_WEDNESDAY: 2,
    Frequency.FIRST_THURSDAY: 3,
    Frequency.FIRST_FRIDAY: 4,
}


@dataclass(frozen=True, slots=True)
class SkipDate:
    """A day the entry does not meet (``skip_dates``)."""

    day: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``schedule:`` item. ``weekday`` is 0 (Monday) to 6; ``start`` is the UTC time of day.

    An ad hoc entry may lack a weekday and a time (``None``); every other entry has both.
    """

    channel: str  # without '#'
    frequency: Frequency
    weekday: int | None
    start: time | None
    duration: int = DEFAULT_DURATION  # minutes
    start_date: date | None = None
    skip_dates: tuple[SkipDate, ...] = ()

    @property
    def location(self) -> str:
        return "#" + self.channel


@dataclass(frozen=True, slots=True)
class MeetingSchedule:
    """One YAML file: a meeting and its entries. ``stem`` is the file name without ``.yaml``."""

    stem: str
    project: str
    chair: str
    description: str
    entries: tuple[Entry, ...]
    meeting_id: str | None = None
    agenda_url: str | None = None
    project_url: str | None = None

    @property
    def series(self) -> str:
        """The archive series of this meeting: ``meeting_id``, else the project name, normalized."""
        return normalize_name(self.meeting_id or "") or normalize_name(self.project) or "meeting"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a file, shown as ``file: field: message`` (``field`` may be "")."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}" if self.field else f"{self.file}: {self.message}"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A directory of meetings (sorted by stem), the problems of the files that were left out, and warnings."""

    meetings: tuple[MeetingSchedule, ...]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    def by_stem(self, stem: str) -> MeetingSchedule | None:
        return next((meeting for meeting in self.meetings if meeting.stem == stem), None)

    def of_series(self, series: str) -> tuple[MeetingSchedule, ...]:
        return tuple(meeting for meeting in self.meetings if meeting.series == series)
