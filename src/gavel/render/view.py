"""The minutes view-model: everything the minutes writers need, derived once from a ``Meeting``.

Writers only format what is here; they never look at the meeting or re-derive its logic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import quote

import gavel
from gavel.core.meeting import Meeting
from gavel.core.records import Item, ItemKind, actions_by_person, starts_with_url
from gavel.core.votes import Vote
from gavel.render.links import iso

UNASSIGNED = "UNASSIGNED"

# Kinds shown without a label in front of their text (MeetBot shows INFO items bare; a TOPIC is a heading).
_BARE_KINDS = (ItemKind.INFO, ItemKind.TOPIC)
# Each kind's (value, label), looked up once: an enum member's attributes are slow to read once per item.
_KIND_NAMES = {kind: (kind.value, "" if kind in _BARE_KINDS else kind.label) for kind in ItemKind}
_ACTION, _TOPIC = ItemKind.ACTION.value, ItemKind.TOPIC.value


@dataclass(slots=True)
class ItemView:
    """One minutes item. ``href`` points at its line in the HTML log.

    Treat as immutable (``dataclasses.replace`` makes a changed copy); not ``frozen``, as one is made per item of
    the minutes and a frozen dataclass of these eleven fields costs ~5x more to construct (~17,700 against ~3,100
    instructions), and slotted: a busy million-line meeting holds over 100,000 of them while its minutes are
    written.
    """

    kind: str  # ItemKind value: "info", "action", "topic", ...
    label: str  # "ACTION", "LINK", ...; "" for info and topic items
    text: str
    nick: str
    time: datetime
    line: int
    topic: str | None
    href: str
    corrected_from: str | None = None  # the text as first said, when corrected
    timebox_minutes: int | None = None  # a topic's timebox (``#timebox M``) ...
    minutes_spent: float | None = None  # ... and the time until the next topic (or the end), when it had one
    iso_time: str = field(init=False, compare=False, repr=False)  # ``iso(time)``, made once: every format shows it

    def __post_init__(self) -> None:
        # The HTML and JSON minutes show the whole of it, the text and Markdown its time of day (``iso_time[11:19]``,
        # ``hms(time)``): made here, ``iso`` runs once per item instead of once per format.
        self.iso_time = iso(self.time)

    @property
    def marked_text(self) -> str:
        """The text, with " (corrected)" after it when a correction changed it, and a timeboxed topic's
        " (timebox: 6.4 of 5 minutes, over)"."""
        text = f"{self.text} (corrected)" if self.corrected_from is not None else self.text
        return f"{text} ({self.timebox_text})" if self.timebox_text else text

    @property
    def timebox_text(self) -> str:
        """``timebox: 6.4 of 5 minutes, over`` for a timeboxed topic; "" for any other item."""
        if self.timebox_minutes is None or self.minutes_spent is None:
            return ""
        over = ", over" if self.minutes_spent > self.timebox_minutes else ""
        return f"timebox: {self.minutes_spent:g} of {self.timebox_minutes} minutes{over}"


@dataclass(frozen=True)
class SummaryGroup:
    """A topic and the items under it; ``topic`` is None for the items before the first topic."""

    topic: ItemView | None
    items: tuple[ItemView, ...]


@dataclass(frozen=True)
class Owner:
    """A person's action items; ``nick`` is ``UNASSIGNED`` for actions that name nobody."""

    nick: str
    actions: tuple[ItemView, ...]


@dataclass(frozen=True)
class Person:
    """One person: the nick they had last, their lines under every nick, and their other nicks."""

    nick: str
    lines: int
    also_known_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class VoteView:
    question: str
    options: tuple[str, ...]
    results: tuple[tuple[str, tuple[str, ...]], ...]  # (option, voters) in option order
    nick: str
    time: datetime
    ended_at: datetime | None
    line: int
    href: str


@dataclass(frozen=True)
class AgendumView:
    """One agenda item; ``minutes_spent`` (None until taken up) is the time it was current, in minutes."""

    number: int
    title: str
    proposer: str
    status: str  # "open", "current", "done", "skipped"
    taken_at: datetime | None
    closed_at: datetime | None
    minutes_spent: float | None
    timebox_minutes: int | None
    line: int = 0  # the log line that added it (0: not known)
    added_at: datetime | None = None

    @property
    def time_text(self) -> str:
        """``done, 7.5 of 5 minutes (over)``: the status, and the time spent against the timebox if any."""
        if self.minutes_spent is None:
            return self.status
        spent = f"{self.minutes_spent:g}"
        if self.timebox_minutes is None:
            return f"{self.status}, {spent} minutes"
        over = " (over)" if self.minutes_spent > self.timebox_minutes else ""
        return f"{self.status}, {spent} of {self.timebox_minutes} minutes{over}"


@dataclass(frozen=True)
class MinutesView:
    name: str
    channel: str
    title: str | None
    page_title: str  # "#channel: title", or "#channel Meeting" without a title
    owner: str  # the owner's nick now (it follows nick changes)
    started_by: str  # the owner's nick at #startmeeting: the minutes' "Meeting started by"
    chairs: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None
    unfinished_at: datetime | None
    restricted: bool
    log_basename: str
    log_href: str  # the HTML log, relative to the minutes
    log_url: str  # the HTML log, absolute when the meeting has a URL base
    items: tuple[ItemView, ...]
    topics: tuple[ItemView, ...]
    summary: tuple[SummaryGroup, ...]
    actions: tuple[ItemView, ...]
    actions_by_person: tuple[Owner, ...]  # people first (by nick), then UNASSIGNED if any
    unassigned_actions: tuple[ItemView, ...]
    people: tuple[Person, ...]
    votes: tuple[VoteView, ...]
    version: str
    info_url: str  # "" unless it is a safe (http, https, ...) URL
    present: tuple[str, ...] = ()  # who spoke (as in people) then who was declared present
    regrets: tuple[str, ...] = ()
    attendance_taken: bool = False  # someone used #present+, #here or #regrets+: the minutes show Attendance
    agenda: tuple[AgendumView, ...] = ()  # the minutes show Agenda when there is one
    meeting_id: str | None = None  # the runtime's id of the meeting (journal, JSON minutes, file ownership)

    @property
    def unfinished(self) -> bool:
        return self.ended_at is None

    @property
    def generator(self) -> str:
        return f"gavel {self.version}"


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive time is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def build_view(
    meeting: Meeting,
    *,
    log_basename: str,
    log_url: str | None = None,
    meeting_id: str | None = None,
    unfinished_at: datetime | None = None,
) -> MinutesView:
    """The minutes of ``meeting``, ready to render.

    ``log_basename`` is the log's file name without directory and extension; items link to
    ``<log_basename>.log.html#l-<line>``. ``log_url`` is the log's absolute URL where the runtime
    knows one (the file names are the runtime's: see ``gavel.app.output_tree``), else the relative
    link. ``unfinished_at`` is when the log ended, for a meeting that never saw ``#endmeeting``.
    """
    if meeting.started_at is None:
        raise ValueError("a meeting that never started has no minutes")
    log_href = quote(f"{log_basename}.log.html")

    def view_of(item: Item) -> ItemView:
        kind, label = _KIND_NAMES[item.kind]
        time = item.time
        return ItemView(
            kind,
            label,
            item.text,
            item.nick,
            time if time.tzinfo is UTC else utc(time),  # (in UTC already, as utc() would leave it: without the call)
            item.line,
            item.topic,
            f"{log_href}#l-{item.line}",
            item.corrected_from,
        )

    ended_at = utc(meeting.ended_at) if meeting.ended_at is not None else None
    if ended_at is None and unfinished_at is None:
        unfinished_at = meeting.last_activity or meeting.started_at
    end = ended_at or utc(unfinished_at or meeting.started_at)
    items = timeboxed(tuple(view_of(item) for item in meeting.items), meeting.agenda.boxes, end)
    actions = tuple(view for view in items if view.kind == _ACTION)
    # Each action item's view (only actions have owners; a busy meeting's items are mostly other kinds).
    by_item = {id(item): view for item, view in zip(meeting.items, items, strict=True) if view.kind == _ACTION}
    action_items = [item for item in meeting.items if item.kind is ItemKind.ACTION]
    owned, unassigned = actions_by_person(action_items, meeting.action_nicks(), meeting.aliases())
    owners = [Owner(nick, tuple(by_item[id(item)] for item in owned_items)) for nick, owned_items in owned.items()]
    unassigned_views = tuple(by_item[id(item)] for item in unassigned)
    if unassigned_views:
        owners.append(Owner(UNASSIGNED, unassigned_views))
    return MinutesView(
        name=meeting.name,
        channel=meeting.settings.channel,
        title=meeting.title,
        page_title=_page_title(meeting.settings.channel, meeting.title),
        owner=meeting.owner,
        started_by=meeting.started_by,
        chairs=tuple(meeting.chairs),
        started_at=utc(meeting.started_at),
        ended_at=ended_at,
        unfinished_at=None if ended_at is not None or unfinished_at is None else utc(unfinished_at),
        restricted=meeting.restricted,
        log_basename=log_basename,
        log_href=log_href,
        log_url=log_url or log_href,
        items=items,
        topics=tuple(view for view in items if view.kind == _TOPIC),
        summary=summary_groups(items),
        actions=actions,
        actions_by_person=tuple(owners),
        unassigned_actions=unassigned_views,
        people=tuple(Person(p.nick, p.lines, p.also_known_as()) for p in meeting.persons()),
        votes=tuple(_vote_view(vote, log_href) for vote in meeting.votes),
        version=gavel.__version__,
        info_url=meeting.settings.info_url if starts_with_url(meeting.settings.info_url) else "",
        meeting_id=meeting_id,
        present=tuple(meeting.present()),
        regrets=tuple(meeting.regrets()),
        attendance_taken=bool(meeting.attendance.declared or meeting.attendance.regrets),
        agenda=_agenda_view(meeting, ended_at or unfinished_at or meeting.started_at),
    )


def timeboxed(items: tuple[ItemView, ...], boxes: dict[int, int], end: datetime) -> tuple[ItemView, ...]:
    """``items`` with each timeboxed topic's minutes (``boxes``: by the topic's line) and its time spent: up to
    the next topic, or ``end`` for the last one."""
    if not boxes:
        return items
    topics = [index for index, item in enumerate(items) if item.kind == ItemKind.TOPIC.value]
    result = list(items)
    for place, index in enumerate(topics):
        topic = items[index]
        minutes = boxes.get(topic.line)
        if minutes is not None:
            until = items[topics[place + 1]].time if place + 1 < len(topics) else end
            spent = round(max(0.0, (until - topic.time).total_seconds()) / 60, 1)
            result[index] = replace(topic, timebox_minutes=minutes, minutes_spent=spent)
    return tuple(result)


def _agenda_view(meeting: Meeting, now: datetime) -> tuple[AgendumView, ...]:
    """The agenda, with the current item's time counted up to ``now`` (the end of the log)."""
    agenda = meeting.agenda
    return tuple(
        AgendumView(
            agendum.number,
            agendum.title,
            agendum.proposer,
            agendum.status.value,
            None if agendum.taken_at is None else utc(agendum.taken_at),
            None if agendum.closed_at is None else utc(agendum.closed_at),
            None if agendum.taken_at is None else round(agenda.spent(agendum, now).total_seconds() / 60, 1),
            agendum.timebox_minutes,
            agendum.line,
            None if agendum.added_at is None else utc(agendum.added_at),
        )
        for agendum in agenda.items
    )


def _page_title(channel: str, title: str | None) -> str:
    return f"{channel}: {title}" if title else f"{channel} Meeting"


def summary_groups(items: Iterable[ItemView]) -> tuple[SummaryGroup, ...]:
    """Items grouped in meeting order: each topic starts a group; items before the first topic come first."""
    groups: list[SummaryGroup] = []
    topic: ItemView | None = None
    current: list[ItemView] = []
    for item in items:
        if item.kind == _TOPIC:
            if topic is not None or current:
                groups.append(SummaryGroup(topic, tuple(current)))
            topic, current = item, []
        else:
            current.append(item)
    if topic is not None or current:
        groups.append(SummaryGroup(topic, tuple(current)))
    return tuple(groups)


def _vote_view(vote: Vote, log_href: str) -> VoteView:
    results = tuple((option, tuple(nicks)) for option, nicks in vote.tally())
    ended = utc(vote.ended) if vote.ended is not None else None
    return VoteView(
        vote.question, vote.options, results, vote.nick, utc(vote.time), ended, vote.line, f"{log_href}#l-{vote.line}"
    )
