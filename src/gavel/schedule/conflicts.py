"""Conflicts: two entries in one channel whose meetings overlap in some week.

Each entry is laid on a four-week clock (ISO week number modulo 4, then minutes from Monday 00:00 UTC):
weekly entries take all four weeks, biweekly two, quadweekly one; a monthly ``first-<day>`` entry may fall
in any week, so it takes all four. Two entries conflict when their stretches of that clock overlap, so
biweekly-even and biweekly-odd in one slot do not. A meeting running past Sunday midnight goes on into the
next week of the cycle. Ad hoc entries have no slot and never conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from gavel.schedule.model import WEEKDAYS, Entry, Frequency, MeetingSchedule

WEEK_MINUTES = 7 * 24 * 60
CYCLE_WEEKS = 4
CYCLE_MINUTES = CYCLE_WEEKS * WEEK_MINUTES


@dataclass(frozen=True, slots=True)
class Slot:
    """One entry of one meeting, named for messages: ``file`` and ``schedule[index]``."""

    file: str
    index: int
    entry: Entry

    @property
    def field(self) -> str:
        return f"schedule[{self.index}]"

    def describe(self) -> str:
        entry = self.entry
        assert entry.weekday is not None and entry.start is not None
        return f"{WEEKDAYS[entry.weekday]} {entry.start:%H%M} UTC, {entry.frequency.value}, {entry.duration} min"


@dataclass(frozen=True, slots=True)
class Conflict:
    first: Slot
    second: Slot

    def __str__(self) -> str:
        first, second = self.first, self.second
        return (
            f"{first.file}: {first.field}: overlaps {second.file} {second.field} in {first.entry.location}"
            f" ({first.describe()} / {second.describe()})"
        )


def stretches(entry: Entry) -> list[tuple[int, int]]:
    """The minutes of the four-week clock ``entry`` occupies, as half-open ``(start, end)`` pairs."""
    if entry.frequency is Frequency.ADHOC or entry.weekday is None or entry.start is None:
        return []
    weeks = entry.frequency.weeks or 1  # monthly: any week
    offset = entry.weekday * 24 * 60 + entry.start.hour * 60 + entry.start.minute
    found: list[tuple[int, int]] = []
    for week in range(CYCLE_WEEKS):
        if week % weeks != entry.frequency.phase % weeks:
            continue
        start = week * WEEK_MINUTES + offset
        end = start + entry.duration
        if end <= CYCLE_MINUTES:
            found.append((start, end))
        else:
            found.extend([(start, CYCLE_MINUTES), (0, end - CYCLE_MINUTES)])
    return found


def overlap(first: Entry, second: Entry) -> bool:
    """True when the two entries' meetings overlap in some week (channels not considered)."""
    theirs = stretches(second)
    return any(
        start < other_end and other_start < end for start, end in stretches(first) for other_start, other_end in theirs
    )


def find_conflicts(meetings: tuple[MeetingSchedule, ...], files: dict[str, str]) -> list[Conflict]:
    """Every pair of entries in one channel (compared ignoring case) that overlap; ``files`` maps stem to file name."""
    slots = [
        Slot(files.get(meeting.stem, meeting.stem), index, entry)
        for meeting in meetings
        for index, entry in enumerate(meeting.entries)
        if stretches(entry)
    ]
    by_channel: dict[str, list[Slot]] = {}
    for slot in slots:
        by_channel.setdefault(slot.entry.channel.lower(), []).append(slot)
    return [
        Conflict(first, second)
        for group in by_channel.values()
        for first, second in combinations(group, 2)
        if overlap(first.entry, second.entry)
    ]
