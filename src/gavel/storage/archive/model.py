"""What the archive returns: plain, frozen, typed rows (the web layer's view of the archive).

Every time is a timezone-aware UTC ``datetime``. Restricted meetings (``#restrictlogs``) appear in
none of these unless the call passes ``include_restricted=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NamedTuple

from gavel.core.errors import GavelError

ActionStatus = Literal["open", "done"]

AGENDUM_KIND = "agendum"
"""The kind of the searchable item each agenda item is stored as too (its title; never part of the minutes' items)."""


class ArchiveError(GavelError):
    """The archive cannot be opened or used (bad URL, unreachable server, ...)."""


class ArchiveBusyError(ArchiveError):
    """The archive could not answer in time (a search ran past its time limit, the database was locked or its
    server unreachable): asking again later may work. ``retry_after``: seconds to wait before asking again."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SchemaTooNewError(ArchiveError):
    """The database was written by a newer gavel (its schema version is above what this code knows).

    Nothing is changed in such a database: upgrade gavel instead.
    """

    def __init__(self, url: str, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            f"archive {url} has schema version {found}, but this gavel only knows versions up to {known}: "
            "upgrade gavel (the database was left untouched)"
        )


@dataclass(frozen=True, slots=True)
class MeetingSummary:
    """One meeting, without its contents. ``id`` is stable: re-storing a meeting keeps it."""

    id: int
    series: str  # the meeting name (``#meetingname``), e.g. "k8s_integration_discussion"
    channel: str
    network: str | None
    title: str | None
    owner: str
    chairs: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None  # None when the log ended without #endmeeting
    unfinished: bool
    restricted: bool
    log_basename: str  # "<name>.<YYYY-MM-DD-HH.MM>": the files are <name>/<YYYY>/<log_basename>.<ext>
    line_count: int
    # the runtime's id of the meeting (16 hex digits, the JSON minutes' ``meeting.id``; ``MeetingRecord.meeting_id``),
    # not the archive's ``id``; None for a meeting stored without one (or before the archive kept it)
    runtime_id: str | None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A minutes item. ``line`` is its log line number (the ``#l-N`` anchor); ``topic`` the topic it falls under."""

    id: int
    kind: str  # an ItemKind value: "topic", "info", "action", "agreed", ...
    text: str
    nick: str
    time: datetime
    line: int
    topic: str | None
    corrected_from: str | None = None  # the text as first said, when a correction (``s/old/new/``) changed it
    timebox_minutes: int | None = None  # a topic's timebox (``#timebox M``) ...
    minutes_spent: float | None = None  # ... and the time until the next topic (or the end), when it had one


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One person: the nick they had last, their lines under every nick, and the other nicks they used."""

    nick: str
    lines: int
    also_known_as: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgendumRow:
    """One agenda item (``#agenda+``): its status ("open", "current", "done" or "skipped") and time spent.

    ``line`` is the log line that added it (0 when not known), ``added_at`` when.
    """

    number: int
    title: str
    proposer: str
    status: str
    taken_at: datetime | None
    closed_at: datetime | None
    minutes_spent: float | None  # None until taken up
    timebox_minutes: int | None
    line: int = 0
    added_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VoteRow:
    question: str
    options: tuple[str, ...]
    results: tuple[tuple[str, tuple[str, ...]], ...]  # (option, voters), in option order
    nick: str
    time: datetime
    ended_at: datetime | None
    line: int


@dataclass(frozen=True, slots=True)
class ActionRow:
    """An ``#action`` item with its owners and status. ``owners`` is empty for an unassigned action."""

    id: int  # the action's id, for mark_action_done / reopen_action
    meeting_id: int
    series: str
    meeting_basename: str
    meeting_started_at: datetime
    text: str
    nick: str  # who recorded it
    time: datetime
    line: int
    owners: tuple[str, ...]
    status: ActionStatus
    done_at: datetime | None
    done_in: int | None  # the meeting (id) it was done in, if one was named


@dataclass(frozen=True, slots=True)
class MeetingDetail(MeetingSummary):
    """A meeting with its minutes: items in meeting order, people (most lines first), votes, actions, agenda and
    attendance.

    A meeting stored before the archive kept agenda and attendance has an empty agenda, ``present`` as its people,
    ``started_by`` as its owner, no other nicks and no corrections.
    """

    items: tuple[ItemRow, ...] = ()
    people: tuple[PersonRow, ...] = ()
    votes: tuple[VoteRow, ...] = ()
    actions: tuple[ActionRow, ...] = ()
    agenda: tuple[AgendumRow, ...] = ()
    present: tuple[str, ...] = ()  # who spoke (as in people), then who was declared present
    regrets: tuple[str, ...] = ()
    attendance_taken: bool = False  # someone used #present+, #here or #regrets+
    started_by: str = ""  # the owner's nick at #startmeeting
    stored_at: datetime | None = None  # when it was stored (again): changes with every store, even of the same log


ActionState = tuple[int, str, datetime | None, int | None]
"""An action's id and what can change of it without its meeting being stored again: status, done_at, done_in."""


@dataclass(frozen=True, slots=True)
class MeetingVersion:
    """What can change of a stored meeting: each store (a re-import, a bot storing it again, a new restriction, a
    correction) gives a new ``stored_at`` (and ``line_count``), marking an action done or open again changes its
    state. Equal versions of a meeting, equal :class:`MeetingDetail` and log (see ``Reading.meeting_version``)."""

    id: int
    stored_at: datetime
    line_count: int
    actions: tuple[ActionState, ...]  # by id

    @classmethod
    def of(cls, meeting: MeetingDetail) -> MeetingVersion:
        """The version of a meeting as read whole (the reference :meth:`Reading.meeting_version` is held equal to)."""
        if meeting.stored_at is None:
            raise ValueError(f"meeting {meeting.id} was not read from an archive (no stored_at)")
        states = sorted((a.id, a.status, a.done_at, a.done_in) for a in meeting.actions)
        return cls(meeting.id, meeting.stored_at, meeting.line_count, tuple(states))


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """A meeting series (all meetings of one name) for an index page."""

    name: str
    meeting_count: int
    first_meeting_at: datetime
    last_meeting_at: datetime
    open_actions: int


@dataclass(frozen=True, slots=True)
class YearMeetings:
    year: int
    meetings: tuple[MeetingSummary, ...]  # newest first


@dataclass(frozen=True, slots=True)
class SeriesDetail:
    name: str
    meeting_count: int
    years: tuple[YearMeetings, ...]  # newest year first
    open_actions: tuple[ActionRow, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class LogRow:
    """One log line. ``kind`` is a LineKind value: "message", "action" (/me), "nick" or "raw".

    ``relation`` (a Relation value: "reply", "thread", "edit", "redaction") and ``refers_to``: how the line relates
    to an earlier one (Matrix replies, threads, edits, redactions), as the ``.log.html`` links them.
    """

    number: int  # 1-based, the #l-N anchor
    time: datetime
    kind: str
    nick: str
    text: str
    relation: str | None = None
    refers_to: int | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A full-text search.

    ``text`` is what a person typed; it is never interpreted as query syntax: words are matched
    case-insensitively (all of them must occur), ``"two words"`` in balanced double quotes is a
    phrase, ``word*`` is a prefix (of at least 3 characters: after a shorter word the ``*`` is
    ignored); every other character (``AND``, ``-``, ``NEAR(``, a lone ``"``) is just text or a
    separator. Text with no letters or digits finds nothing.

    Filters: ``series`` (exact name), ``channel`` and ``nick`` (ASCII-case-insensitive), ``kind``
    ("line" for log lines only, or an item kind such as "action" for minutes items of that kind
    only; None searches both; an unknown kind finds nothing), ``since`` (inclusive) and ``until``
    (exclusive), as aware datetimes (naive ones are UTC) or dates (midnight UTC).
    ``page`` counts from 1; ``per_page`` is clamped to 1..100.
    """

    text: str
    series: str | None = None
    channel: str | None = None
    nick: str | None = None
    kind: str | None = None
    since: datetime | date | None = None
    until: datetime | date | None = None
    page: int = 1
    per_page: int = 20
    include_restricted: bool = False


class SnippetPart(NamedTuple):
    """A piece of a hit's snippet: plain text, or (``highlight``) a matching word.

    The web layer escapes each ``text`` and wraps the highlighted ones in ``<mark>``; no markup is
    ever inside the text.
    """

    text: str
    highlight: bool


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching log line or minutes item. ``kind`` is "line" or the item's kind ("info", "action", ...)."""

    series: str
    meeting_basename: str
    meeting_id: int
    channel: str
    time: datetime
    nick: str
    kind: str
    text: str
    snippet: tuple[SnippetPart, ...]  # the text (shortened around the first match when long), matches marked
    line: int  # the log line number (for an item: the line it came from)
    score: float  # higher is better; only comparable within one result list


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of a search's hits.

    ``total`` counts the hits on all pages, exactly up to ``Archive.search_cap`` (10,000); when more match,
    ``total`` is that cap and ``total_capped`` is true (a lower bound: "10,000+"), and the pages hold the first
    ``total`` hits in rank order (among all the matches).
    """

    total: int  # hits on all pages
    page: int
    per_page: int
    hits: tuple[SearchHit, ...]
    total_capped: bool = False  # more hits match than ``total``: it is a lower bound

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
