"""What the archive stores for a meeting: plain, frozen records, built by the layer above (from its minutes).

Times are timezone-aware (a naive time is taken to be UTC). Texts are stored as they are, except that
NUL (which PostgreSQL cannot store) becomes U+FFFD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from gavel.storage.archive.model import AgendumRow, PersonRow, VoteRow


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A minutes item. ``line`` is its log line number; ``topic`` the topic it falls under.

    ``owners`` are, for an action item (``kind`` "action"), the people it is assigned to, in order; empty for
    an unassigned action and ignored for every other kind.
    """

    kind: str  # an ItemKind value: "topic", "info", "action", "agreed", ...
    text: str
    nick: str
    time: datetime
    line: int
    topic: str | None
    owners: tuple[str, ...]
    corrected_from: str | None = None  # the text as first said, when a correction changed it
    timebox_minutes: int | None = None  # a topic's timebox (``#timebox M``) ...
    minutes_spent: float | None = None  # ... and the time until the next topic (or the end), when it had one

    def __reduce__(self) -> tuple[type[ItemRecord], tuple[Any, ...]]:
        """Pickled as its fields, loaded by calling the class (a frozen slotted dataclass is otherwise loaded
        through a Python ``__setstate__`` setting each field: ~2x the instructions; ``gavel import``'s parsing
        processes send the writer every item)."""
        return (
            ItemRecord,
            (
                self.kind,
                self.text,
                self.nick,
                self.time,
                self.line,
                self.topic,
                self.owners,
                self.corrected_from,
                self.timebox_minutes,
                self.minutes_spent,
            ),
        )


class LineRelation(NamedTuple):
    """Log line ``number`` relates to line ``refers_to`` (None: to a line the meeting does not hold) as
    ``relation`` (a Relation value: "reply", "thread", "edit", "redaction")."""

    number: int
    relation: str
    refers_to: int | None


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """A meeting's minutes as the archive stores them. A meeting is known by ``series``, ``started_at`` and
    ``channel``: storing one again replaces it."""

    series: str  # the meeting name (``#meetingname``)
    meeting_id: str | None  # the runtime's id of the meeting (16 hex digits, as in the JSON minutes), if it has one
    channel: str
    network: str | None
    title: str | None
    owner: str
    chairs: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None  # None when the log ended without #endmeeting
    restricted: bool
    log_basename: str  # "<name>.<YYYY-MM-DD-HH.MM>"
    items: tuple[ItemRecord, ...]  # in meeting order
    people: tuple[PersonRow, ...]  # in the minutes' order (the same rows the archive reads back)
    votes: tuple[VoteRow, ...]
    agenda: tuple[AgendumRow, ...] = ()
    present: tuple[str, ...] = ()  # who spoke (as in people), then who was declared present
    regrets: tuple[str, ...] = ()
    attendance_taken: bool = False  # someone used #present+, #here or #regrets+
    started_by: str | None = None  # the owner's nick at #startmeeting (None: the owner's)
    relations: tuple[LineRelation, ...] = ()  # the log lines that relate to others (Matrix), by line number

    @property
    def unfinished(self) -> bool:
        return self.ended_at is None
