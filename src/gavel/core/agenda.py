"""The agenda (``#agenda+``, ``#next``, ``#take N`` ...) and the current topic's timebox (``#timebox M``).

Agenda numbers never change: ``#agenda- N`` marks agendum N skipped rather than renumbering the rest, so a
number said earlier in the meeting still means the same agendum. Time is only what events carry.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


def is_number(text: str) -> bool:
    """Whether ``text`` is a whole number in ASCII digits (``int`` takes "٣" too, and ``isdigit`` "²")."""
    return text.isascii() and text.isdigit()


class Status(enum.Enum):
    OPEN = "open"
    CURRENT = "current"
    DONE = "done"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Agendum:
    """One agenda item. ``spent`` is the time it was current, summed over each time it was taken up."""

    number: int
    title: str
    proposer: str
    status: Status = Status.OPEN
    taken_at: datetime | None = None  # when it was first taken up
    closed_at: datetime | None = None  # when it was last closed
    spent: timedelta = timedelta(0)
    timebox_minutes: int | None = None
    line: int = 0  # the log line that added it (0: not known)
    added_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Timebox:
    """``minutes`` for the topic started at ``started``; ``warned`` and ``expired`` say what the bot said."""

    topic: str
    minutes: int
    started: datetime
    warned: bool = False
    expired: bool = False

    @property
    def deadline(self) -> datetime:
        return self.started + timedelta(minutes=self.minutes)

    @property
    def warning_time(self) -> datetime:
        return self.started + timedelta(seconds=self.minutes * 48)  # 80% of the minutes

    def minutes_left(self, now: datetime) -> int:
        """Whole minutes left at ``now``, rounded up (0 once the time is up)."""
        return max(0, math.ceil((self.deadline - now).total_seconds() / 60))


class Agenda:
    """The agenda items in the order added, which one is current, and the current topic's timebox."""

    def __init__(self) -> None:
        self.items: list[Agendum] = []
        self.current: int | None = None  # index into items
        self.timebox: Timebox | None = None
        self.topic_started: datetime | None = None  # when the current topic started (for #timebox)
        self.taken_last: datetime | None = None  # when the current agendum was last taken up
        self.topic_line: int | None = None  # the log line of the current topic's item
        self.topic_is_agendum = False  # the current topic is the current agendum's (not a #topic under it)
        self.boxes: dict[int, int] = {}  # the minutes of each timeboxed topic, by its item's log line (the minutes)

    def copy(self) -> Agenda:
        other = Agenda()
        other.items, other.current = list(self.items), self.current
        other.timebox, other.topic_started, other.taken_last = self.timebox, self.topic_started, self.taken_last
        other.topic_line, other.boxes, other.topic_is_agendum = self.topic_line, dict(self.boxes), self.topic_is_agendum
        return other

    def snapshot(self) -> tuple[object, ...]:
        """A comparable picture of everything ``#undo`` restores."""
        boxes = tuple(sorted(self.boxes.items()))
        return (
            tuple(self.items),
            self.current,
            self.timebox,
            self.taken_last,
            boxes,
            self.topic_line,
            self.topic_is_agendum,
        )

    def get(self, number: int) -> Agendum | None:
        return self.items[number - 1] if 1 <= number <= len(self.items) else None

    def add(self, title: str, proposer: str, line: int = 0, added_at: datetime | None = None) -> Agendum:
        agendum = Agendum(len(self.items) + 1, title, proposer, line=line, added_at=added_at)
        self.items.append(agendum)
        return agendum

    def retitle(self, number: int, title: str) -> Agendum:
        agendum = self.items[number - 1] = replace(self.items[number - 1], title=title)
        return agendum

    def skip(self, number: int, now: datetime) -> Agendum:
        """Mark agendum ``number`` skipped (closing it if it was current)."""
        if self.current == number - 1:
            self.close(now, Status.SKIPPED)
        agendum = self.items[number - 1] = replace(self.items[number - 1], status=Status.SKIPPED)
        return agendum

    def next_open(self) -> Agendum | None:
        """The first open agendum after the current one, else the first open one."""
        after = 0 if self.current is None else self.current + 1
        ordered = self.items[after:] + self.items[:after]
        return next((agendum for agendum in ordered if agendum.status is Status.OPEN), None)

    def close(self, now: datetime, status: Status = Status.DONE) -> Agendum | None:
        """Close the current agendum (as ``status``); None when none is current."""
        if self.current is None:
            return None
        index, self.current = self.current, None
        agendum = self.items[index]
        closed = self.items[index] = replace(agendum, status=status, closed_at=now, spent=self.spent(agendum, now))
        self.taken_last = None
        return closed

    def take(self, number: int, now: datetime) -> Agendum:
        """Close the current agendum and make agendum ``number`` current."""
        self.close(now)
        agendum = self.items[number - 1]
        taken = self.items[number - 1] = replace(
            agendum, status=Status.CURRENT, taken_at=agendum.taken_at or now, closed_at=None
        )
        self.current = number - 1
        self.taken_last = now
        return taken

    def spent(self, agendum: Agendum, now: datetime) -> timedelta:
        """The time ``agendum`` has been current, up to ``now`` if it is current."""
        if agendum.status is not Status.CURRENT or self.taken_last is None:
            return agendum.spent
        return agendum.spent + max(timedelta(0), now - self.taken_last)

    def start_topic(self, topic: str | None, now: datetime, line: int | None = None) -> None:
        """A new topic started (its item on log ``line``): the timebox of the one before ends."""
        self.timebox = None
        self.topic_started = now if topic is not None else None
        self.topic_line = line if topic is not None else None
        self.topic_is_agendum = False  # (taking up an agendum sets it after)

    def set_timebox(self, topic: str, minutes: int) -> Timebox:
        started = self.topic_started
        assert started is not None
        self.timebox = Timebox(topic, minutes, started)
        if self.topic_line is not None:
            self.boxes[self.topic_line] = minutes
        if self.current is not None and self.topic_is_agendum:  # a #topic under the agendum has its own
            self.items[self.current] = replace(self.items[self.current], timebox_minutes=minutes)
        return self.timebox
