"""Which scheduled meetings are about to start: the live bot's reminders, decided without a clock of its own."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from gavel.schedule.model import MeetingSchedule, Schedule
from gavel.schedule.occurrences import next_meeting


@dataclass(frozen=True, slots=True)
class Reminder:
    channel: str  # with its '#'
    start: datetime
    text: str

    @property
    def key(self) -> tuple[str, datetime]:
        """One reminder per channel and meeting start."""
        return self.channel.lower(), self.start


def due_reminders(schedule: Schedule, now: datetime, minutes: int) -> list[Reminder]:
    """The meetings that start after ``now`` and within ``minutes`` of it, one reminder each (0: none)."""
    if minutes <= 0:
        return []
    horizon = now + timedelta(minutes=minutes)
    due: list[Reminder] = []
    for meeting in schedule.meetings:
        for entry in meeting.entries:
            start = next_meeting(entry, now)
            if start is None or not now < start <= horizon:
                continue
            due.append(Reminder(f"#{entry.channel}", start, reminder_text(meeting, start - now)))
    return due


def reminder_text(meeting: MeetingSchedule, left: timedelta) -> str:
    """``nova meeting in 10 minutes; agenda: URL; chair: gibi``."""
    count = max(1, math.ceil(left.total_seconds() / 60))
    text = f"{meeting.series} meeting in {count} minute{'' if count == 1 else 's'}"
    if meeting.agenda_url:
        text += f"; agenda: {meeting.agenda_url}"
    if meeting.chair:
        text += f"; chair: {meeting.chair}"
    return text


EARLY = timedelta(minutes=15)  # a meeting started this early still counts as the scheduled one


def scheduled_series(schedule: Schedule, channel: str, now: datetime) -> str | None:
    """The series of the meeting scheduled in ``channel`` at ``now`` (from ``EARLY`` before its start to its end):
    what ``#startmeeting`` without a name is called then. None when nothing is scheduled."""
    wanted = channel.lstrip("#").lower()
    for meeting in schedule.meetings:
        for entry in meeting.entries:
            if entry.channel.lower() != wanted:
                continue
            start = next_meeting(entry, now)
            if start is not None and start - now <= EARLY:
                return meeting.series
    return None
