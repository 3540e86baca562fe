"""What the charts of a series and a person's page read: a series' activity meeting by meeting, and one person's
meetings and open actions.

A nick is matched as the core matches it (``fold_nick``: Unicode lower case and the rfc1459 pairs). SQLite's
``lower()`` folds only ASCII and PostgreSQL's depends on the database's locale, so the folding is done in
Python, over the distinct nicks of the archive, and the rows are then read by the exact spellings found.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from gavel.core.records import fold_nick
from gavel.storage.archive.actions import ACTIONS
from gavel.storage.archive.model import ActionRow, MeetingSummary
from gavel.storage.archive.read import MEETINGS, Reading

MAX_NICK_CHARS = 200  # a longer nick is nobody's (IRC allows 30 or so, Matrix display names 256 bytes)


@dataclass(frozen=True, slots=True)
class MeetingActivity:
    """One meeting of a series, as its charts count it. ``actions_closed``: the series' actions marked done
    from this meeting's start until the next meeting's (the first meeting also takes any closed earlier)."""

    meeting: MeetingSummary
    people: int
    actions_opened: int
    actions_closed: int


@dataclass(frozen=True, slots=True)
class Attendance:
    """A meeting a person was present at, and the lines they said there (under the nick they had)."""

    meeting: MeetingSummary
    nick: str
    lines: int


@dataclass(frozen=True, slots=True)
class PersonDetail:
    """A person (a nick, folded as IRC folds it): the meetings they were present at (newest first) and the open
    actions that name them (oldest first)."""

    nick: str
    meetings: tuple[Attendance, ...]
    open_actions: tuple[ActionRow, ...]


class Activity(Reading):
    """Series activity and people."""

    def series_activity(self, name: str, *, include_restricted: bool = False) -> list[MeetingActivity]:
        """The series' (visible) meetings, oldest first, with their counts; empty for an unknown series."""
        with self._connection():
            rows = self._query(
                f"SELECT {_PEOPLE_COUNT}, {_OPENED}, x.* FROM ({MEETINGS} "  # noqa: S608 -- constants only
                "WHERE s.name = ? AND (? OR NOT m.restricted)) x ORDER BY x.started_at, x.id",
                (name, include_restricted),
            )
            closed = self._query(
                "SELECT a.done_at FROM actions a JOIN meetings m ON m.id = a.meeting_id "
                "JOIN series s ON s.id = m.series_id "
                "WHERE s.name = ? AND a.status = 'done' AND a.done_at IS NOT NULL AND (? OR NOT m.restricted)",
                (name, include_restricted),
            )
        meetings = [self._meeting_summary(row[2:]) for row in rows]
        starts = [meeting.started_at for meeting in meetings]
        closed_per_meeting = [0] * len(meetings)
        for (done_at,) in closed:
            index = bisect.bisect_right(starts, self._from_db_time(done_at)) - 1
            closed_per_meeting[max(index, 0)] += 1
        return [
            MeetingActivity(meeting, people, opened, closed_count)
            for meeting, (people, opened, *_), closed_count in zip(meetings, rows, closed_per_meeting, strict=True)
        ]

    def person(self, nick: str, *, include_restricted: bool = False) -> PersonDetail | None:
        """The meetings ``nick`` was present at and their open actions; None when they have neither (or the nick
        is empty or longer than ``MAX_NICK_CHARS``)."""
        if not nick or len(nick) > MAX_NICK_CHARS:
            return None
        folded = fold_nick(nick)
        with self._connection():
            every = self._query("SELECT DISTINCT nick FROM people UNION SELECT DISTINCT nick FROM action_owners")
            spellings = [spelling for (spelling,) in every if fold_nick(spelling) == folded][:_MAX_SPELLINGS]
            if not spellings:
                return None
            marks = ", ".join("?" * len(spellings))
            rows = self._query(
                f"SELECT p.nick, p.lines, x.* FROM people p JOIN ({MEETINGS} WHERE (? OR NOT m.restricted)) x "  # noqa: S608
                f"ON x.id = p.meeting_id WHERE p.nick IN ({marks}) ORDER BY x.started_at DESC, x.id DESC",
                (include_restricted, *spellings),
            )
            owned = self._query(
                f"SELECT DISTINCT action_id FROM action_owners WHERE nick IN ({marks})",  # noqa: S608 -- only ?s
                spellings,
            )
            action_ids = sorted(action_id for (action_id,) in owned)
            actions: list[ActionRow] = []
            for start in range(0, len(action_ids), 500):
                chunk = action_ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                actions.extend(
                    self._action_rows(
                        f"{ACTIONS} WHERE a.id IN ({marks}) AND a.status = 'open' AND (? OR NOT m.restricted)",
                        (*chunk, include_restricted),
                    )
                )
        meetings = tuple(Attendance(self._meeting_summary(row[2:]), row[0], row[1]) for row in rows)
        if not meetings and not actions:
            return None
        actions.sort(key=lambda action: (action.meeting_started_at, action.meeting_id, action.line, action.id))
        return PersonDetail(nick, meetings, tuple(actions))


_MAX_SPELLINGS = 200  # spellings of one folded nick read at once (``Alice``, ``ALICE``, ...): far more than occur
_PEOPLE_COUNT = "(SELECT count(*) FROM people p WHERE p.meeting_id = x.id)"
_OPENED = "(SELECT count(*) FROM actions a WHERE a.meeting_id = x.id)"
