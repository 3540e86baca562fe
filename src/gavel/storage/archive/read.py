"""Reading the archive: series, meetings with their minutes, and a meeting's log lines page by page."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from gavel.storage.archive.actions import ACTIONS, Actions
from gavel.storage.archive.database import Row, utc
from gavel.storage.archive.model import (
    AGENDUM_KIND,
    AgendumRow,
    ItemRow,
    LogRow,
    MeetingDetail,
    MeetingSummary,
    MeetingVersion,
    PersonRow,
    SeriesDetail,
    SeriesSummary,
    VoteRow,
    YearMeetings,
)

LINE_PAGE = 2000  # rows per query when log_lines() pages through a meeting
StampedRow = tuple[int, str, str, str, str, str | None, int | None]
"""A log line as a page shows it: number, time of day (``HH:MM:SS``, UTC), kind, nick, text, and how it relates to
an earlier line (relation, refers_to: ``None, None`` for most)."""

MEETING_COLUMNS = (
    "m.id, s.name, m.channel, m.network, m.title, m.owner, m.chairs, m.started_at, m.ended_at, m.unfinished, "
    "m.restricted, m.log_basename, m.line_count, m.runtime_id"
)
MEETINGS = f"SELECT {MEETING_COLUMNS} FROM meetings m JOIN series s ON s.id = m.series_id"  # noqa: S608


def meeting_number(basename_or_id: str | int) -> int | None:
    """The meeting id a reference names (an int, or a string of at most 18 ASCII digits: a database integer), else
    None (a log basename; "²" or 30 digits name no id, and are looked up as basenames rather than failing)."""
    if isinstance(basename_or_id, int):
        return basename_or_id if -(1 << 63) <= basename_or_id < 1 << 63 else None
    if basename_or_id.isascii() and basename_or_id.isdigit() and len(basename_or_id) <= 18:
        return int(basename_or_id)
    return None


class Reading(Actions):
    """Series and meetings (with their actions) and log lines, for the web pages and the export."""

    @abstractmethod
    def _line_page(self, meeting_id: int, after: int, count: int) -> list[Row]:
        """Up to ``count`` ``(number, time, kind, nick, text)`` rows numbered above ``after``, in order."""

    def has_meeting(self, series: str, started_at: datetime, channel: str) -> bool:
        """True when a meeting of ``series`` in ``channel`` started in the same minute as ``started_at``.

        Minute precision is what MeetBot file names carry, so an import can skip a file by its name.
        Restricted meetings count too.
        """
        start = utc(started_at).replace(second=0, microsecond=0)
        with self._connection():
            return bool(
                self._query(
                    "SELECT 1 FROM meetings m JOIN series s ON s.id = m.series_id "
                    "WHERE s.name = ? AND m.channel = ? AND m.started_at >= ? AND m.started_at < ?",
                    (series, channel, self._to_db_time(start), self._to_db_time(start + timedelta(minutes=1))),
                )
            )

    def list_series(self, *, include_restricted: bool = False) -> list[SeriesSummary]:
        """Every series with at least one (visible) meeting, by name."""
        with self._connection():
            rows = self._query(
                "SELECT s.name, count(m.id), min(m.started_at), max(m.started_at), "
                "(SELECT count(*) FROM actions a JOIN meetings am ON am.id = a.meeting_id "
                "WHERE am.series_id = s.id AND a.status = 'open' AND (? OR NOT am.restricted)) "
                "FROM series s JOIN meetings m ON m.series_id = s.id WHERE (? OR NOT m.restricted) "
                "GROUP BY s.id, s.name ORDER BY s.name",
                (include_restricted, include_restricted),
            )
        f = self._from_db_time
        return [SeriesSummary(name, count, f(first), f(last), actions) for name, count, first, last, actions in rows]

    def series(self, name: str, *, include_restricted: bool = False) -> SeriesDetail | None:
        """A series' meetings by year (newest first) and its open actions; None if it has no visible meeting."""
        with self._connection():
            rows = self._query(
                f"{MEETINGS} WHERE s.name = ? AND (? OR NOT m.restricted) ORDER BY m.started_at DESC, m.id DESC",
                (name, include_restricted),
            )
            if not rows:
                return None
            actions = self.open_actions(name, include_restricted=include_restricted)
        meetings = [self._meeting_summary(row) for row in rows]
        years: list[YearMeetings] = []
        for meeting in meetings:
            if years and years[-1].year == meeting.started_at.year:
                years[-1] = YearMeetings(meeting.started_at.year, (*years[-1].meetings, meeting))
            else:
                years.append(YearMeetings(meeting.started_at.year, (meeting,)))
        return SeriesDetail(name, len(meetings), tuple(years), tuple(actions))

    def shared_basenames(self, *, include_restricted: bool = False) -> frozenset[tuple[str, str]]:
        """The ``(series, log basename)`` pairs that name more than one (visible) meeting: the meetings started
        in the same minute, which a link must name by id."""
        with self._connection():
            rows = self._query(
                "SELECT s.name, m.log_basename FROM meetings m JOIN series s ON s.id = m.series_id "
                "WHERE (? OR NOT m.restricted) GROUP BY s.name, m.log_basename HAVING COUNT(*) > 1",
                (include_restricted,),
            )
        return frozenset((series, basename) for series, basename in rows)

    def meeting(
        self, series: str | None, basename_or_id: str | int, *, include_restricted: bool = False
    ) -> MeetingDetail | None:
        """A meeting with its minutes, by id (an int or a string of digits) or by its log basename within
        ``series`` (``"<name>.<YYYY-MM-DD-HH.MM>"``); None if there is none (or it is restricted).

        With an id, ``series`` may be None; when given it must match.
        """
        with self._reading():  # (one snapshot: a meeting stored again meanwhile is read whole, before or after)
            meeting_id = meeting_number(basename_or_id)
            if meeting_id is not None:
                rows = self._query(f"{MEETINGS} WHERE m.id = ?", (meeting_id,))
                if rows and series is not None and rows[0][1] != series:
                    rows = []
            elif isinstance(basename_or_id, int):  # no database integer
                rows = []
            else:  # the first one the viewer may see
                rows = self._query(
                    f"{MEETINGS} WHERE s.name = ? AND m.log_basename = ? AND (? OR NOT m.restricted) "
                    "ORDER BY m.started_at, m.id",
                    (series, basename_or_id, include_restricted),
                )
            if not rows:
                return None
            summary = self._meeting_summary(rows[0])
            if summary.restricted and not include_restricted:
                return None
            meeting_id = summary.id
            f = self._from_db_time
            items = tuple(
                ItemRow(row[0], row[1], row[2], row[3], f(row[4]), row[5], row[6], *row[7:])
                for row in self._query(
                    "SELECT id, kind, text, nick, time, line, topic, corrected_from, timebox_minutes, minutes_spent "
                    "FROM items "
                    "WHERE meeting_id = ? AND kind <> ? ORDER BY position",
                    (meeting_id, AGENDUM_KIND),
                )
            )
            people = tuple(
                PersonRow(nick, lines, tuple(json.loads(aka)))
                for nick, lines, aka in self._query(
                    "SELECT nick, lines, also_known_as FROM people WHERE meeting_id = ? ORDER BY position",
                    (meeting_id,),
                )
            )
            votes = tuple(
                VoteRow(
                    question,
                    tuple(json.loads(options)),
                    tuple((option, tuple(nicks)) for option, nicks in json.loads(results)),
                    nick,
                    f(when),
                    None if ended is None else f(ended),
                    line,
                )
                for question, options, results, nick, when, ended, line in self._query(
                    "SELECT question, options, results, nick, time, ended_at, line FROM votes "
                    "WHERE meeting_id = ? ORDER BY position",
                    (meeting_id,),
                )
            )
            actions = self._action_rows(f"{ACTIONS} WHERE a.meeting_id = ? ORDER BY i.position", (meeting_id,))
            agenda = self._agenda(meeting_id)
            attendance: dict[str, list[str]] = {"present": [], "regrets": []}
            for status, nick in self._query(
                "SELECT status, nick FROM attendance WHERE meeting_id = ? ORDER BY status, position", (meeting_id,)
            ):
                attendance[status].append(nick)
            started_by, taken, stored = self._query(
                "SELECT started_by, attendance_taken, stored_at FROM meetings WHERE id = ?", (meeting_id,)
            )[0]
        return MeetingDetail(
            **{field.name: getattr(summary, field.name) for field in fields(MeetingSummary)},
            items=items,
            people=people,
            votes=votes,
            actions=actions,
            agenda=agenda,
            # stored before the archive kept attendance: who spoke was present
            present=tuple(attendance["present"] or (person.nick for person in people)),
            regrets=tuple(attendance["regrets"]),
            attendance_taken=bool(taken),
            started_by=started_by or summary.owner,
            stored_at=f(stored),
        )

    def meeting_version(self, series: str, basename_or_id: str | int) -> MeetingVersion | None:
        """The version of the meeting :meth:`meeting` finds for anyone (restricted meetings left out), in one
        statement; None when it finds none. Equal to ``MeetingVersion.of`` of that meeting (a property test holds
        them equal): the web's kept public pages of a meeting are found by it, without reading its minutes."""
        params: tuple[Any, ...]
        number = meeting_number(basename_or_id)
        if number is not None:
            which, params = "m.id = ? AND s.name = ?", (number, series)
        elif isinstance(basename_or_id, int):  # no database integer
            return None
        else:
            which, params = "s.name = ? AND m.log_basename = ?", (series, basename_or_id)
        with self._connection():
            rows = self._query(
                "SELECT v.id, v.stored_at, v.line_count, a.id, a.status, a.done_at, a.done_in FROM ("  # noqa: S608
                "SELECT m.id, m.stored_at, m.line_count FROM meetings m JOIN series s ON s.id = m.series_id "
                f"WHERE {which} AND NOT m.restricted ORDER BY m.started_at, m.id LIMIT 1) v "
                "LEFT JOIN actions a ON a.meeting_id = v.id ORDER BY a.id",
                params,
            )
        if not rows:
            return None
        f = self._from_db_time
        states = tuple(
            (action, status, None if done_at is None else f(done_at), done_in)
            for _, _, _, action, status, done_at, done_in in rows
            if action is not None
        )
        meeting_id, stored_at, line_count = rows[0][:3]
        return MeetingVersion(meeting_id, f(stored_at), line_count, states)

    def _agenda(self, meeting_id: int) -> tuple[AgendumRow, ...]:
        f = self._from_db_time
        return tuple(
            AgendumRow(
                number,
                title,
                proposer,
                status,
                None if taken is None else f(taken),
                None if closed is None else f(closed),
                spent,
                timebox,
                line,
                None if added is None else f(added),
            )
            for number, title, proposer, status, taken, closed, spent, timebox, line, added in self._query(
                "SELECT number, title, proposer, status, taken_at, closed_at, minutes_spent, timebox_minutes, line, "
                "added_at FROM agenda WHERE meeting_id = ? ORDER BY number",
                (meeting_id,),
            )
        )

    def log_lines(
        self, meeting_id: int, offset: int = 0, limit: int | None = None, *, include_restricted: bool = False
    ) -> Iterator[LogRow]:
        """A meeting's log lines numbered above ``offset``, in order, at most ``limit`` of them.

        Read in pages (a million-line meeting streams); nothing for an unknown or restricted meeting.
        """
        f = self._from_db_time
        for number, when, kind, nick, text, relation, refers_to in self._line_rows(
            meeting_id, offset, limit, include_restricted
        ):
            yield LogRow(number, f(when), kind, nick, text, relation, refers_to)

    def log_rows(
        self, meeting_id: int, offset: int = 0, limit: int | None = None, *, include_restricted: bool = False
    ) -> Iterator[StampedRow]:
        """:meth:`log_lines` as plain tuples ``(number, "HH:MM:SS", kind, nick, text, relation, refers_to)``, the
        time of day in UTC:
        what a page of the log shows, without a datetime per line (the web's meeting page; a property test holds
        it equal to :meth:`log_lines`)."""
        stamp = self._time_of_day
        for number, when, kind, nick, text, relation, refers_to in self._line_rows(
            meeting_id, offset, limit, include_restricted
        ):
            yield number, stamp(when), kind, nick, text, relation, refers_to

    def _time_of_day(self, value: Any) -> str:
        """``HH:MM:SS`` (UTC) of a stored time (a backend may do it without making a datetime)."""
        moment = self._from_db_time(value)
        return f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"

    def _line_rows(self, meeting_id: int, offset: int, limit: int | None, include_restricted: bool) -> Iterator[Row]:
        with self._connection():
            visible = self._query("SELECT restricted FROM meetings WHERE id = ?", (meeting_id,))
        if not visible or (visible[0][0] and not include_restricted):
            return
        after, left = offset, limit
        while left is None or left > 0:
            count = LINE_PAGE if left is None else min(left, LINE_PAGE)
            with self._connection():
                rows = self._line_page(meeting_id, after, count)
                related = self._relations(meeting_id, after, rows[-1][0]) if rows else {}
            for number, when, kind, nick, text in rows:
                relation = related.get(number)
                if relation is None:
                    yield number, when, kind, nick, text, None, None
                else:
                    yield number, when, kind, nick, text, *relation
            if len(rows) < count:
                return
            after = rows[-1][0]
            if left is not None:
                left -= len(rows)

    def _relations(self, meeting_id: int, after: int, last: int) -> dict[int, tuple[str, int | None]]:
        """How the lines numbered above ``after`` up to ``last`` relate to earlier lines (only those that do)."""
        rows = self._query(
            "SELECT number, relation, refers_to FROM line_relations WHERE meeting_id = ? AND number > ? "
            "AND number <= ?",
            (meeting_id, after, last),
        )
        return {number: (relation, refers_to) for number, relation, refers_to in rows}

    def _meeting_summary(self, row: Row) -> MeetingSummary:
        f = self._from_db_time
        return MeetingSummary(
            id=row[0],
            series=row[1],
            channel=row[2],
            network=row[3],
            title=row[4],
            owner=row[5],
            chairs=tuple(json.loads(row[6])),
            started_at=f(row[7]),
            ended_at=None if row[8] is None else f(row[8]),
            unfinished=bool(row[9]),
            restricted=bool(row[10]),
            log_basename=row[11],
            line_count=row[12],
            runtime_id=row[13],
        )
