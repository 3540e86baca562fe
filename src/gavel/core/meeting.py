"""The meeting state machine: ``Meeting.handle(event) -> list[Effect]``.

One ``Meeting`` per channel and meeting. It starts IDLE, becomes RUNNING at ``#startmeeting`` and
ENDED at ``#endmeeting`` (or when a ``Tick`` finds it forgotten). It never reads a clock and never
does I/O: the same events always give the same effects and minutes, which makes replay, live
meetings and crash recovery one path.

The meeting composes its parts: ``Chairs`` (chairs and accounts), ``People`` (who spoke, who was
named), the command handlers (``handlers.py``) and the reply texts (``replies.py``). Replay feeds it
rows (``handle_rows``, the fast path beside ``handle``; its first-character rules are in ``rows.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import assert_never

from gavel.core import amendments, commands, handlers, replies
from gavel.core.agenda import Agenda
from gavel.core.amendments import SaidLine
from gavel.core.attendance import Attendance
from gavel.core.chairs import Chairs
from gavel.core.effects import (
    AnnounceMinutes,
    Effect,
    LineKind,
    LogLine,
    LogLines,
    MeetingEnded,
    MeetingStarted,
    Relation,
    Say,
    SetTopic,
)
from gavel.core.events import (
    AccountChange,
    Action,
    Edit,
    Event,
    Join,
    Message,
    NickChange,
    OpenAction,
    OpenActions,
    Part,
    Quit,
    RawLine,
    Redaction,
    RoleChairs,
    Row,
    Tick,
    log_line_id,
    nick_change_text,
    role_chairs_text,
    row_event,
)
from gavel.core.naming import channel_name, normalize_name
from gavel.core.people import People, Person
from gavel.core.records import Item, ItemKind, fold_nick, starts_with_url
from gavel.core.replies import asctime, local_asctime
from gavel.core.rows import BARE_PREFIXES, COMMAND_FIRST, LETTER_FIRST, MAYBE_SPECIAL_FIRST, WHITESPACE
from gavel.core.settings import MeetingSettings
from gavel.core.speakers import SpeakerQueue
from gavel.core.votes import Vote

__all__ = [
    "MAX_LISTED_ACTIONS",
    "WHITESPACE",
    "Meeting",
    "MeetingSettings",
    "MeetingState",
    "asctime",
    "local_asctime",
]

_ITEM_COMMANDS = handlers.ITEM_COMMANDS  # where callers found it before handlers.py
MAX_LISTED_ACTIONS = 10  # open action items listed at the start of a meeting


class MeetingState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    ENDED = "ended"


@dataclass(slots=True)
class Undo:
    """What one change to the minutes changed, so ``#undo`` can restore it: a new ``item`` (and the topic or
    vote it changed), the ``attendance`` before a change to it, or the ``items`` before a correction; and the
    ``agenda`` before a change to it (a new topic ends the timebox, taking up an agendum is a new topic)."""

    item: Item | None
    previous_topic: str | None
    vote: Vote | None = None
    attendance: Attendance | None = None
    items: list[Item] | None = None
    index: int = -1  # the item a correction changed
    agenda: Agenda | None = None
    edited: bool = False  # ``items`` are the items before an edit changed them


UndoRecord = Undo | Item
"""An entry of the undo history: an ``Undo``, or an item alone, which stands for ``Undo(item, item.topic)``: the
undo of an item that changed neither the topic, a vote nor the agenda (most items: one object less for each)."""

# Read for every item: an enum member read from its class costs ~1,100 instructions, a module constant ~40.
_TOPIC, _ACTION, _VOTE = ItemKind.TOPIC, ItemKind.ACTION, ItemKind.VOTE
_SAID_OR_RENAMED = (Message, NickChange)  # (``Message | NickChange`` would make a union object per command line)


def _goes(item: Item, line: int) -> bool:
    """Whether a redaction of ``line`` takes ``item`` (``amendments.without_line``)."""
    return item.line == line and item.kind is not _VOTE


class Meeting:
    """One meeting in one channel. Feed it events; execute the effects it returns."""

    def __init__(self, settings: MeetingSettings) -> None:
        self.settings = settings
        self.state = MeetingState.IDLE
        self.name = normalize_name(settings.default_name or "") or channel_name(settings.channel)
        self.title: str | None = None
        self.owner = ""  # follows the owner's nick changes
        self.started_by = ""  # the owner's nick at #startmeeting
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.end_reason: str | None = None
        self.current_topic: str | None = None
        self.lines = 0
        self.last_activity: datetime | None = None
        self.lurking = False
        self.restricted = False
        self.items: list[Item] = []
        self.votes: list[Vote] = []
        self.open_vote: Vote | None = None
        self.series_open_actions: tuple[OpenAction, ...] = ()  # from earlier meetings, numbered from 1
        self._undo: list[UndoRecord] = []
        self.attendance = Attendance()
        self.agenda = Agenda()
        self.queue = SpeakerQueue()  # logged, never minuted, never undone
        self._chairs = Chairs(settings.chairs_by_account)
        self._role_nicks_told: tuple[str, ...] = ()  # the chairs by role as last told (RoleChairs.nicks)
        self._people = People()
        self._bot = fold_nick(settings.bot_nick) if settings.bot_nick else None
        self.said: dict[str, SaidLine] = {}  # the running meeting's lines by message id (edits, replies ...)
        # Replay of a log with edits and redactions: the numbers of the lines they name, remembered by number
        # (``log_line_id``) as lines with ids are (set by the runtime; empty: none, and nothing is kept per line).
        self.amended_lines: frozenset[int] = frozenset()

    # ------------------------------------------------------------------ queries (none changes the meeting)

    @property
    def chairs(self) -> list[str]:
        spoke = frozenset(fold_nick(person.nick) for person in self._people.persons(self._bot))
        return self._chairs.nicks(spoke if self._chairs.has_role_nicks() else frozenset())

    def people(self) -> list[tuple[str, int]]:
        """Each nick that spoke with its line count, most lines first (ties by nick)."""
        return self._people.lines_by_person(self._bot)

    def persons(self) -> list[Person]:
        """Each person who spoke (one entry across their nick changes), most lines first (ties by nick)."""
        return self._people.persons(self._bot)

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """The other nicks of each person who changed nick, by the nick they have now."""
        return self._people.aliases(self._bot)

    def action_nicks(self) -> list[str]:
        """Nicks an action item can be assigned to: everyone who spoke or was named by #nick/#chair."""
        return self._people.nicks(self._bot)

    def is_bot(self, nick: str) -> bool:
        """Whether ``nick`` is the bot now (it follows the bot's own nick changes)."""
        return self._bot is not None and fold_nick(nick) == self._bot

    def chair_account(self, nick: str) -> str | None:
        """The services account a chair is known to be logged in to (None: not logged in, or not a chair)."""
        return self._chairs.chair_account(nick)

    def is_chair(self, nick: str, account: str | None = None) -> bool:
        """A chair's nick is enough, unless that chair was logged in: then the nick must be on the same account
        (so whoever takes a dropped chair's nick is not a chair). Any nick on a chair's account is a chair."""
        return self._chairs.is_chair(nick, account)

    def would_start(self, event: Event) -> bool:
        """Whether ``event`` starts a meeting (so the runtime can open its journal before the core sees it)."""
        if self.state is not MeetingState.IDLE or type(event) is not Message:
            return False
        assert isinstance(event, Message)
        parsed = commands.parse(event.text, maubot=self.settings.maubot_spellings)
        return parsed is not None and parsed[0].name == "startmeeting" and not self.is_bot(event.nick)

    def known_accounts(self) -> list[tuple[str, str]]:
        """The services account of each nick present as far as the meeting knows: (folded nick, account), sorted.

        Fed back as ``AccountChange`` events they rebuild exactly this knowledge (folding is idempotent).
        """
        return self._chairs.known_accounts()

    def role_chairs(self) -> tuple[str, ...]:
        """The accounts that chair by their role (``RoleChairs``), sorted: fed back as one event they rebuild it."""
        return tuple(sorted(self._chairs.by_role))

    def role_chair_nicks(self) -> tuple[str, ...]:
        """What the chairs by role were called when last told (``RoleChairs.nicks``)."""
        return self._role_nicks_told

    def topic_text(self) -> str:
        """What the channel topic should say now."""
        topic = self.current_topic or ""
        if self.title:
            return f"{topic} (Meeting topic: {self.title})" if topic else f"Meeting topic: {self.title}"
        return topic

    def minutes_state(
        self,
    ) -> tuple[tuple[Item, ...], str | None, int, tuple[tuple[str, ...], tuple[str, ...]], tuple[object, ...]]:
        """A comparable snapshot of what ``#undo`` restores: items, current topic, recorded votes, attendance,
        agenda (with the timebox)."""
        return (
            tuple(self.items),
            self.current_topic,
            len(self.votes),
            self.attendance.snapshot(),
            self.agenda.snapshot(),
        )

    def present(self) -> list[str]:
        """Everyone present: who spoke (as in ``people()``), then who was declared present and did not speak."""
        persons = self.persons()
        spoke = {fold_nick(name) for person in persons for name in (person.nick, *person.names)}
        declared = [nick for key, nick in self.attendance.declared.items() if key not in spoke and key != self._bot]
        return [person.nick for person in persons] + sorted(declared, key=lambda nick: (nick.lower(), nick))

    def regrets(self) -> list[str]:
        """Who sent regrets, as given."""
        return list(self.attendance.regrets.values())

    def nicks_of(self, nick: str) -> set[str]:
        """Every nick (folded) of the person who holds ``nick`` now."""
        return self._people.nicks_of(nick)

    def done_refs(self) -> set[str]:
        """Archive ids of the earlier action items this meeting marked done."""
        return {item.ref for item in self.items if item.kind is ItemKind.DONE and item.ref is not None}

    def handler(self, name: str) -> Callable[[str, Message, list[Effect]], None] | None:
        """What ``#name`` does, for commands that are not plain minutes items."""
        found = handlers.HANDLERS.get(name)
        return None if found is None else partial(found, self)

    # ------------------------------------------------------------------ events, one at a time (the reference path)

    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return what the runtime must do, in order."""
        if self.state is MeetingState.RUNNING:
            return self._running(event)
        if self.state is MeetingState.IDLE and isinstance(event, Message):
            return self._idle_message(event)
        if isinstance(event, Join | Part | Quit | NickChange | AccountChange):
            self._chairs.track_account(event)
        elif isinstance(event, RoleChairs):
            self._set_roles(event)
        return []

    def _set_roles(self, event: RoleChairs) -> None:
        self._chairs.set_roles(event.accounts, event.nicks)
        self._role_nicks_told = event.nicks

    def _idle_message(self, event: Message) -> list[Effect]:
        parsed = commands.parse(event.text, maubot=self.settings.maubot_spellings)
        if parsed is None or parsed[0].name != "startmeeting" or self.is_bot(event.nick):
            return []
        return self._start(event, parsed[1])

    def _running(self, event: Event) -> list[Effect]:
        match event:
            case Message():
                return self._message(event)
            case Action():
                line = self._log(event.time, LineKind.ACTION, event.nick, event.text)
                self._remember(event.msgid, line, event.account)
                if event.msgid is None and self.amended_lines:
                    self._remember_number(line, event.account)
                effects: list[Effect] = [line]
                if self._people.fold(event.nick) != self._bot:
                    self._count(event.nick, event.account)
                return effects
            case NickChange():
                text = nick_change_text(event.old, event.new)
                effects = [self._log(event.time, LineKind.NICK, event.old, text)]
                self._renamed(event)
                return effects
            case RawLine():
                return [self._log(event.time, LineKind.RAW, "", event.text)]
            case Tick():
                return self._tick(event.time)
            case OpenActions():
                return self._open_actions(event)
            case Edit():
                return amendments.edit(self, event)
            case Redaction():
                return amendments.redact(self, event)
            case RoleChairs():
                self._set_roles(event)
                return [self._log(event.time, LineKind.NICK, "", role_chairs_text(event.nicks))]
            case Join() | AccountChange():
                self._chairs.track_account(event)
            case Part() | Quit():
                self._chairs.track_account(event)
                self.last_activity = max(self.last_activity or event.time, event.time)
            case _:
                assert_never(event)
        return []

    def _message(self, event: Message) -> list[Effect]:
        effects: list[Effect] = [self._said_line(event)]
        self._said(event, effects)
        return effects

    def _said_line(self, event: Message) -> LogLine:
        """The log line of a message, linked to the line it answers or the thread it is in (when they have ids)."""
        line = self._log(event.time, LineKind.MESSAGE, event.nick, event.text)
        if event.msgid is not None:
            self._remember(event.msgid, line, event.account)
        elif self.amended_lines:
            self._remember_number(line, event.account)
        if event.reply_to is not None or event.thread is not None:
            target = event.reply_to if event.reply_to is not None else event.thread
            said = self.said.get(target) if target is not None else None
            line.relation = Relation.THREAD if event.thread is not None else Relation.REPLY
            line.refers_to = said.number if said is not None else None
        return line

    def _remember(self, msgid: str | None, line: LogLine, account: str | None) -> None:
        if msgid is not None:
            self.said[msgid] = SaidLine(line.number, line.time, line.kind, line.nick, account)

    def _remember_number(self, line: LogLine, account: str | None) -> None:
        """A replayed log's line that an edit or redaction later names by its number."""
        if line.number in self.amended_lines:
            self._remember(log_line_id(line.number), line, account)

    def _said(self, event: Message, effects: list[Effect]) -> None:
        """What a logged message means: a line of a person (never the bot's), perhaps a command or a link."""
        if self._people.fold(event.nick) == self._bot:
            return
        self._count(event.nick, event.account)
        text = event.text
        parsed = commands.parse(text, maubot=self.settings.maubot_spellings)
        if parsed is not None:
            handlers.run(self, parsed[0], parsed[1], event, effects)
        elif text.startswith(BARE_PREFIXES):
            handlers.run_bare(self, text, event, effects)
        elif starts_with_url(text.lstrip()):
            self.add_item(ItemKind.LINK, text.strip(), event)

    def _renamed(self, event: NickChange) -> None:
        """What a logged nick change means: the bot, chairs, the owner, named nicks, accounts and votes follow it."""
        old = fold_nick(event.old)
        # The person follows the nick; the bot's lines under its old nick stay uncounted.
        self._people.rename(event.old, event.new, self._bot)
        if old == self._bot:  # the bot itself was renamed (e.g. it got its nick back)
            self._bot = fold_nick(event.new)
        self._chairs.rename(event.old, event.new)
        self.attendance.rename(event.old, event.new)
        self.queue.rename(event.old, event.new)
        if fold_nick(self.owner) == old:
            self.owner = event.new
        self._chairs.track_account(event)
        if self.open_vote is not None:
            self.open_vote.rename(event.old, event.new)

    def _count(self, nick: str, account: str | None) -> None:
        """``nick`` (not the bot) said a line; logged in, that tells its account."""
        self._people.count(nick)
        if account:
            self._chairs.saw_logged_in(nick, account)

    def _log(self, time: datetime, kind: LineKind, nick: str, text: str) -> LogLine:
        self.lines += 1
        self.last_activity = time
        return LogLine(self.lines, time, kind, nick, text)

    def log_line(
        self, time: datetime, kind: LineKind, nick: str, text: str, relation: Relation | None, refers_to: int | None
    ) -> LogLine:
        """The next log line, related to an earlier one (an edit, a redaction)."""
        line = self._log(time, kind, nick, text)
        line.relation, line.refers_to = relation, refers_to
        return line

    def _start(self, event: Message, arg: str) -> list[Effect]:
        self.state = MeetingState.RUNNING
        self.started_at = event.time
        self.owner = self.started_by = event.nick
        self._chairs.chair(event.nick, event.account)
        effects: list[Effect] = [MeetingStarted(event.time), self._said_line(event)]
        self._count(event.nick, event.account)
        self.say(effects, replies.started(event.time, event.nick, self.settings))
        self.say(effects, replies.useful_commands())
        if arg:
            self.title = arg
            name = normalize_name(arg)
            if name:
                self.name = name
            self.say(effects, replies.name_set(self.name))
        if self._role_nicks_told:  # who chairs by role, in the log (a replay of it knows them so)
            effects.append(self._log(event.time, LineKind.NICK, "", role_chairs_text(self._role_nicks_told)))
        return effects

    def _tick(self, now: datetime) -> list[Effect]:
        effects = self._timebox(now)
        settings = self.settings
        start, last = self.started_at, self.last_activity
        if settings.max_length_minutes and start and now - start >= timedelta(minutes=settings.max_length_minutes):
            return effects + self.end(now, "overlong", replies.ended_overlong(settings.max_length_minutes))
        if settings.idle_end_minutes and last and now - last >= timedelta(minutes=settings.idle_end_minutes):
            return effects + self.end(now, "idle", replies.ended_idle(settings.idle_end_minutes))
        return effects

    def _timebox(self, now: datetime) -> list[Effect]:
        """Once at 80% of the current topic's timebox, once at its end (one Tick past both: only the end)."""
        effects: list[Effect] = []
        box = self.agenda.timebox
        if box is None or box.expired:
            return effects
        if now >= box.deadline:
            self.agenda.timebox = replace(box, warned=True, expired=True)
            self.say(effects, replies.time_is_up(box.topic))
        elif now >= box.warning_time and not box.warned:
            self.agenda.timebox = replace(box, warned=True)
            self.say(effects, replies.minutes_left(box.minutes_left(now), box.topic))
        return effects

    def _open_actions(self, event: OpenActions) -> list[Effect]:
        self.series_open_actions = event.actions
        effects: list[Effect] = []
        if not event.actions:
            return effects
        self.say(effects, replies.open_actions(event.series))
        for number, action in enumerate(event.actions[:MAX_LISTED_ACTIONS], 1):
            self.say(effects, replies.open_action(number, action))
        hidden = len(event.actions) - MAX_LISTED_ACTIONS
        if hidden > 0:
            self.say(effects, replies.more_open_actions(hidden))
        return effects

    # ------------------------------------------------------------------ rows, in batches (replay's fast path)

    def handle_rows(self, rows: Sequence[Row], start: int = 0) -> tuple[list[Effect], int]:
        """Apply ``rows[start:]`` (each as ``row_event(row)``) until a row asks for more than logging.

        The fast path of ``handle``: returns the effects and the index after the last row applied; the
        caller executes the effects, then calls again from that index. The effects are those of
        ``handle`` for each row, except that a run of rows that need nothing but logging comes as one
        ``LogLines``. ``test_handle_rows_does_what_handle_does_row_by_row`` (tests/test_core_rows.py)
        holds effects and state equal to ``handle`` fed one event per row, and
        ``test_a_message_row_means_what_the_message_means`` (tests/test_core_plain_lines.py) holds the
        inline first-character rule (``rows.py``) to what ``_said`` looks for.

        A plain line is only counted here and logged with its run. A message that may be a command or
        a link, or a nick change, gets its meaning from the methods ``handle`` uses once it has logged a
        line (``_said``, ``_renamed``). A row whose meaning needs no effect (an item, a vote, a nick
        change) is only logged, in the run; any other ends the run and the call with its ``LogLine`` and
        those effects. While the meeting runs every row is one log line, so ``rows[i]`` is line
        ``base + i``.
        """
        if self.state is not MeetingState.RUNNING:
            return self._rows_not_running(rows, start)
        effects: list[Effect] = []
        tally = self._people.lines_as_written
        get = tally.get
        message, action, raw = LineKind.MESSAGE, LineKind.ACTION, LineKind.RAW
        maybe_special, letter_first, bare = MAYBE_SPECIAL_FIRST, LETTER_FIRST, BARE_PREFIXES
        if self.settings.maubot_spellings:
            maybe_special = maybe_special | commands.MAUBOT_FIRST
        base = self.lines + 1 - start
        run = start  # rows[run:index] wait to be logged as one LogLines
        for index in range(start, len(rows)):
            kind, time, _, nick, text = rows[index]
            if kind is message:
                # Plain when its first character can start neither a command, a bare command nor a link (rows.py),
                # or it starts with a letter but neither like a bare command nor with a URL: what _said looks for,
                # decided mostly in one look.
                first = text[:1]
                if first not in maybe_special or (
                    first in letter_first
                    and ("://" not in text or not starts_with_url(text))
                    and not text.startswith(bare)
                ):
                    tally[nick] = get(nick, 0) + 1  # counted now, logged with its run
                    continue
            elif kind is action:
                tally[nick] = get(nick, 0) + 1
                continue
            elif kind is raw:
                continue
            event = row_event(rows[index])
            if not isinstance(event, _SAID_OR_RENAMED):  # a raw line, or a replayed edit or redaction
                self._log_run(rows, run, index, base, effects)
                effects += self.handle(event)
                run = index + 1
                continue
            self.lines, self.last_activity = base + index, time
            meaning: list[Effect] = []
            if isinstance(event, Message):
                self._said(event, meaning)
            else:
                assert isinstance(event, NickChange)
                self._renamed(event)
            if not meaning:  # only logged: the row stays in the run (an item, a vote, a nick change)
                continue
            if index > run:
                effects.append(LogLines(base + run, list(rows[run:index])))
            effects.append(LogLine(self.lines, time, kind, nick, text))
            return effects + meaning, index + 1
        self._log_run(rows, run, len(rows), base, effects)
        return effects, len(rows)

    def _log_run(self, rows: Sequence[Row], start: int, stop: int, base: int, effects: list[Effect]) -> None:
        """Log ``rows[start:stop]``, lines ``base + start`` on (their people are counted already)."""
        if stop > start:
            effects.append(LogLines(base + start, list(rows[start:stop])))
            self.lines = base + stop - 1
            self.last_activity = rows[stop - 1][1]

    def _rows_not_running(self, rows: Sequence[Row], start: int) -> tuple[list[Effect], int]:
        """Before a meeting only ``#startmeeting`` lines (and nick changes, for accounts) can matter."""
        idle = self.state is MeetingState.IDLE
        command_first = COMMAND_FIRST | commands.MAUBOT_FIRST if self.settings.maubot_spellings else COMMAND_FIRST
        index, stop = start, len(rows)
        while index < stop:
            row = rows[index]
            index += 1
            kind = row[0]
            # Only a message whose first character may start a command (commands.parse) can start a meeting.
            if idle and kind is not LineKind.NICK and (kind is not LineKind.MESSAGE or row[4][:1] not in command_first):
                continue
            effects = self.handle(row_event(row))
            if effects or self.state is not MeetingState.IDLE:
                return effects, index
        return [], index

    # ------------------------------------------------------------------ what commands do to the meeting

    def say(self, effects: list[Effect], text: str) -> None:
        """Reply ``text``, unless the bot lurks."""
        if not self.lurking:
            effects.append(Say(text))

    def show_topic(self, effects: list[Effect]) -> None:
        """Set the channel topic to ``topic_text()``, unless the bot lurks."""
        if not self.lurking:
            effects.append(SetTopic(self.topic_text()))

    def add_item(
        self,
        kind: ItemKind,
        text: str,
        event: Message,
        *,
        ref: str | None = None,
        vote: Vote | None = None,
        agenda: Agenda | None = None,
    ) -> Item:
        """Add an item that ``#undo`` can take back; a TOPIC item starts a topic (ending the timebox), a VOTE item
        records ``vote``. ``agenda``: the agenda before a change made with this item (``take_up``)."""
        previous_topic = self.current_topic
        if kind is _TOPIC:
            self.current_topic = text
            agenda = agenda or self.agenda.copy()
            self.agenda.start_topic(text, event.time, self.lines)
        owners = self.owners_of(kind, event.mentions) if event.mentions else ()
        if owners:
            self.name_owners(owners)
        item = Item(kind, text, event.nick, event.time, self.lines, self.current_topic, ref, owners=owners)
        self.items.append(item)
        if vote is not None:
            self.votes.append(vote)
        if vote is None and agenda is None and previous_topic == item.topic:
            self._undo.append(item)  # (an UndoRecord: it stands for Undo(item, item.topic))
        else:
            self._undo.append(Undo(item, previous_topic, vote, agenda=agenda))
        return item

    def owners_of(self, kind: ItemKind, mentions: tuple[str, ...]) -> tuple[str, ...]:
        """The owners by reference of an item of ``kind`` said naming ``mentions``: an action's, never the bot."""
        if kind is not _ACTION or not mentions:
            return ()
        return tuple(nick for nick in mentions if not self.is_bot(nick))

    def name_owners(self, owners: tuple[str, ...]) -> None:
        """``owners`` were named as an action's owners: an action may be assigned to them (``action_nicks``)."""
        for nick in owners:
            self._people.name(nick)

    def change_agenda(self) -> Agenda:
        """The agenda, to change now (without a new topic); ``#undo`` takes the change back."""
        self._undo.append(Undo(None, self.current_topic, agenda=self.agenda.copy()))
        return self.agenda

    def take_up(self, number: int, event: Message) -> Item:
        """Close the current agendum and take up agendum ``number`` as the new topic (one ``#undo`` step); the
        speaker queue starts empty."""
        before = self.agenda.copy()
        agendum = self.agenda.take(number, event.time)
        self.queue.clear()
        item = self.add_item(ItemKind.TOPIC, agendum.title, event, agenda=before)
        self.agenda.topic_is_agendum = True
        return item

    def change_attendance(self) -> Attendance:
        """The attendance, to change now; ``#undo`` takes the change back."""
        self._undo.append(Undo(None, self.current_topic, attendance=self.attendance.copy()))
        return self.attendance

    def correct_item(self, index: int, text: str) -> Item:
        """Give ``items[index]`` the text ``text`` (a topic's items and the current topic follow); ``#undo`` takes
        it back."""
        self._undo.append(Undo(None, self.current_topic, items=list(self.items), index=index))
        item = self.items[index]
        corrected = replace(item, text=text, corrected_from=item.corrected_from or item.text)
        self.items[index] = corrected
        if item.kind is ItemKind.TOPIC:  # the items under it, up to the next topic, fall under the new text
            later = index
            while later < len(self.items) and (later == index or self.items[later].kind is not ItemKind.TOPIC):
                self.items[later] = replace(self.items[later], topic=text)
                later += 1
        self.current_topic = self.items[-1].topic  # (every item falls under the topic current when it came)
        return corrected

    def rewrite_items(self, items: list[Item]) -> None:
        """The minutes' items are now ``items`` (an edit changed them); ``#undo`` takes it back."""
        self._undo.append(Undo(None, self.current_topic, items=list(self.items), edited=True))
        self.items = items
        self.current_topic = items[-1].topic if items else None

    def forget_items(self, line: int) -> None:
        """Take the items of log line ``line`` out of the minutes for good (a redaction): no ``#undo`` brings them
        back, so the undo history drops them too."""
        self.items = amendments.without_line(self.items, line)
        self.current_topic = self.items[-1].topic if self.items else None
        kept: list[UndoRecord] = []
        for undo in self._undo:
            if isinstance(undo, Item):
                if not _goes(undo, line):
                    kept.append(undo)
                continue
            if undo.item is not None and _goes(undo.item, line):
                continue
            if undo.items is not None:
                if not undo.edited:  # a correction: of an item that goes (forget it), or of one that moves up
                    if 0 <= undo.index < len(undo.items) and undo.items[undo.index].line == line:
                        continue
                    undo.index -= sum(1 for item in undo.items[: undo.index] if _goes(item, line))
                undo.items = amendments.without_line(undo.items, line)
                undo.previous_topic = undo.items[-1].topic if undo.items else None
            kept.append(undo)
        self._undo = kept

    def undo_last(self) -> Undo | None:
        """Take back the last change to the minutes (an item, attendance, a correction); None: nothing to undo."""
        if not self._undo:
            return None
        record = self._undo.pop()
        undo = Undo(record, record.topic) if isinstance(record, Item) else record
        if undo.agenda is not None:
            self._restore_agenda(undo.agenda)
        if undo.attendance is not None:
            self.attendance = undo.attendance
        elif undo.items is not None:
            self.items = undo.items
            self.current_topic = undo.previous_topic
        elif undo.item is not None:
            self.items.pop()
            if undo.vote is not None:
                self.votes.remove(undo.vote)
            if undo.item.kind is _TOPIC:  # the topic of the item before, which a correction may have changed
                self.current_topic = self.items[-1].topic if self.items else undo.previous_topic
        return undo

    def _restore_agenda(self, agenda: Agenda) -> None:
        """Restore ``agenda``; a timebox that is still the same keeps what the bot said of it (said once)."""
        now = self.agenda.timebox
        then = agenda.timebox
        if (
            now is not None
            and then is not None
            and (now.topic, now.started, now.minutes)
            == (
                then.topic,
                then.started,
                then.minutes,
            )
        ):
            agenda.timebox = replace(then, warned=now.warned, expired=now.expired)
        self.agenda = agenda

    def add_nick(self, nick: str) -> None:
        """Make ``nick`` someone actions can be assigned to, though it may never speak."""
        self._people.name(nick)

    def add_chair(self, nick: str) -> None:
        """Make ``nick`` a chair, bound to its account when it is known to be logged in; never the bot."""
        if not self.is_bot(nick):
            self._chairs.chair(nick, self._chairs.account(nick))
            self._people.name(nick)

    def remove_chair(self, nick: str) -> None:
        """``nick`` is no chair any more (call it for the owner's nick and the owner loses the chair too)."""
        self._chairs.unchair(nick, self.owner)

    def end(self, time: datetime, reason: str, notice: str = "") -> list[Effect]:
        self.state = MeetingState.ENDED
        self.agenda.close(time)
        self.ended_at = time
        self.end_reason = reason
        effects: list[Effect] = [MeetingEnded(time, reason)]
        if notice:
            self.say(effects, notice)
        self.say(effects, replies.ended(time, self.settings))
        if not self.lurking:
            effects.append(AnnounceMinutes(time))
        return effects
