"""What the charts of a series and a person's page read: a series' activity meeting by meeting, and one person's
meetings and open actions.

A nick is matched as the core matches it (``fold_nick``: Unicode lower case and the rfc1459 pairs). SQLite's
``lower()`` folds only ASCII and PostgreSQL's depends on the database's locale, so the folding is done in
Python, over the distinct nicks of the archive, and the rows are then read by the exact spellings found.
"""

from __future__ import annotations

import bisect
import json
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
    """A meeting a person was present at, and the lines they said there (under the nick they had), or 0 when they
    were only declared present."""

    meeting: MeetingSummary
    nick: str
    lines: int
    spoke: bool = True  # False: declared present (#present+, #here) and said nothing


@dataclass(frozen=True, slots=True)
class PersonDetail:
    """A person (a nick, folded as IRC folds it): the meetings they were present at (newest first) and the open
    actions that name them (oldest first)."""

    nick: str
    meetings: tuple[Attendance, ...]
    open_actions: tuple[ActionRow, ...]


@dataclass(frozen=True, slots=True)
class NickIndex:
    """Folded nick -> its spellings in the archive, and -> the stored lists of other nicks (JSON) that hold it."""

    spellings: dict[str, tuple[str, ...]]
    aliases: dict[str, tuple[str, ...]]


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

    def nick_index(self) -> NickIndex:
        """Every nick of the archive by its folded form (one pass over the distinct nicks and lists of other nicks):
        what :meth:`person` looks a nick up in. Build it once to read many people (the static export)."""
        spellings: dict[str, list[str]] = {}
        aliases: dict[str, list[str]] = {}
        with self._connection():
            every = self._query(
                "SELECT DISTINCT nick FROM people UNION SELECT DISTINCT nick FROM action_owners "
                "UNION SELECT DISTINCT nick FROM attendance WHERE status = 'present'"
            )
            lists = self._query(_ALIAS_LISTS)
        for (spelling,) in every:
            spellings.setdefault(fold_nick(spelling), []).append(spelling)
        for (text,) in lists:
            for folded in _folded_aliases(text):
                aliases.setdefault(folded, []).append(text)
        return NickIndex(
            {folded: tuple(found[:_MAX_SPELLINGS]) for folded, found in spellings.items()},
            {folded: tuple(found[:_MAX_SPELLINGS]) for folded, found in aliases.items()},
        )

    def person(
        self, nick: str, *, include_restricted: bool = False, index: NickIndex | None = None
    ) -> PersonDetail | None:
        """The meetings ``nick`` was present at (spoke, under this nick or one they changed from, or was declared
        present) and their open actions; None when they have neither (or the nick is empty or longer than
        ``MAX_NICK_CHARS``). ``index``: a :meth:`nick_index` made before (else one is made now)."""
        if not nick or len(nick) > MAX_NICK_CHARS:
            return None
        folded = fold_nick(nick)
        index = index or self.nick_index()
        spellings = list(index.spellings.get(folded, ()))
        aliases = list(index.aliases.get(folded, ()))
        if not spellings and not aliases:
            return None
        with self._connection():
            meetings = self._person_meetings(spellings, aliases, include_restricted)
            actions = self._open_actions_of(spellings, include_restricted)
        if not meetings and not actions:
            return None
        return PersonDetail(nick, meetings, tuple(actions))

    def _person_meetings(
        self, spellings: list[str], aliases: list[str], include_restricted: bool
    ) -> tuple[Attendance, ...]:
        """Newest first: the meetings where one of ``spellings`` spoke, or a speaker whose other nicks are one of
        the JSON lists ``aliases``; then those where one of ``spellings`` was declared present without speaking."""
        nicks = ", ".join("?" * len(spellings)) or "NULL"
        lists = ", ".join("?" * len(aliases)) or "NULL"
        visible = f"({MEETINGS} WHERE (? OR NOT m.restricted)) x"
        spoke = self._query(
            f"SELECT p.nick, p.lines, x.* FROM people p JOIN {visible} ON x.id = p.meeting_id "  # noqa: S608 -- ?s
            f"WHERE p.nick IN ({nicks}) OR p.also_known_as IN ({lists})",
            (include_restricted, *spellings, *aliases),
        )
        declared = self._query(
            f"SELECT a.nick, 0, x.* FROM attendance a JOIN {visible} ON x.id = a.meeting_id "  # noqa: S608 -- ?s
            f"WHERE a.status = 'present' AND a.nick IN ({nicks})",
            (include_restricted, *spellings),
        )
        found: dict[int, Attendance] = {}
        for rows, said in ((spoke, True), (declared, False)):
            for row in rows:  # a speaker's row first: the nick they spoke under and their lines
                if row[2] not in found:
                    found[row[2]] = Attendance(self._meeting_summary(row[2:]), row[0], row[1], spoke=said)
        return tuple(sorted(found.values(), key=lambda seen: (seen.meeting.started_at, seen.meeting.id), reverse=True))

    def _open_actions_of(self, spellings: list[str], include_restricted: bool) -> list[ActionRow]:
        if not spellings:
            return []
        marks = ", ".join("?" * len(spellings))
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
        actions.sort(key=lambda action: (action.meeting_started_at, action.meeting_id, action.line, action.id))
        return actions


def _folded_aliases(text: str) -> set[str]:
    """The folded nicks of one stored ``also_known_as`` list (JSON); none for anything else."""
    try:
        names = json.loads(text)
    except ValueError:
        return set()
    return {fold_nick(name) for name in names if isinstance(name, str)} if isinstance(names, list) else set()


_ALIAS_LISTS = "SELECT DISTINCT also_known_as FROM people WHERE also_known_as <> '[]'"


_MAX_SPELLINGS = 200  # spellings of one folded nick read at once (``Alice``, ``ALICE``, ...): far more than occur
_PEOPLE_COUNT = "(SELECT count(*) FROM people p WHERE p.meeting_id = x.id)"
_OPENED = "(SELECT count(*) FROM actions a WHERE a.meeting_id = x.id)"
