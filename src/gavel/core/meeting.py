"""The meeting state machine: ``Meeting.handle(event) -> list[Effect]``.

One ``Meeting`` per channel and meeting. It starts IDLE, becomes RUNNING at ``#startmeeting`` and
ENDED at ``#endmeeting`` (or when a ``Tick`` finds it forgotten). It never reads a clock and never
does I/O: the same events always give the same effects and minutes, which makes replay, live
meetings and crash recovery one path.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from gavel.core import commands
from gavel.core.commands import Command, Permission
from gavel.core.effects import (
    AnnounceMinutes,
    Effect,
    LineKind,
    LogLine,
    LogLines,
    MeetingEnded,
    MeetingStarted,
    SaveMinutes,
    Say,
    SetTopic,
)
from gavel.core.events import (
    AccountChange,
    Action,
    Event,
    Join,
    Message,
    NickChange,
    OpenAction,
    OpenActions,
    Part,
    Quit,
    RawLine,
    Row,
    Tick,
    nick_change_text,
    row_event,
)
from gavel.core.naming import channel_name, normalize_name
from gavel.core.records import Item, ItemKind, fold_nick, starts_with_url
from gavel.core.votes import Vote, parse_startvote


class MeetingState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class MeetingSettings:
    channel: str
    bot_nick: str | None = None
    # "due to finish in N minutes"; past it anyone may #endmeeting when overtime_end_by_anyone.
    length_minutes: int = 60
    overtime_end_by_anyone: bool = True
    # A nick logged in to the same account as a chair is a chair too.
    chairs_by_account: bool = True
    # End a forgotten meeting after this long without a line / this long in all (0 = never).
    idle_end_minutes: int = 0
    max_length_minutes: int = 0
    info_url: str = "https://pypi.org/project/gavel-meetbot/"
    # The zone the bot's replies show times in (as MeetBot's timeZone); files and minutes stay in UTC.
    timezone: tzinfo = UTC


_ITEM_COMMANDS: dict[str, ItemKind] = {
    "info": ItemKind.INFO,
    "idea": ItemKind.IDEA,
    "help": ItemKind.HELP,
    "link": ItemKind.LINK,
    "action": ItemKind.ACTION,
    "agreed": ItemKind.AGREED,
    "accepted": ItemKind.ACCEPTED,
    "rejected": ItemKind.REJECTED,
}


MAX_LISTED_ACTIONS = 10  # open action items listed at the start of a meeting

# First characters of a line that may start with a URL (any space before one is checked too).
_URL_FIRST = frozenset("hHfFiI")
# Every character for which str.isspace() is true (a test checks the list is complete).
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A message starting with one of these may be a command (commands.parse allows spaces before the "#") ...
_COMMAND_FIRST = frozenset("#") | WHITESPACE
# ... or with one of these a command or a link (the rest are plain lines).
_MAYBE_SPECIAL_FIRST = _COMMAND_FIRST | _URL_FIRST


def local_asctime(moment: datetime, zone: tzinfo) -> str:
    """``Wed Mar 16 15:30:39 2016 CET``: MeetBot's reply time, in ``zone``."""
    local = moment.astimezone(zone)
    return f"{asctime(local)} {local.tzname() or 'UTC'}"


def asctime(moment: datetime) -> str:
    """``Wed Mar 16 14:30:39 2016``, as MeetBot prints it."""
    return f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S %Y}"


@dataclass(slots=True)
class _Undo:
    """What an item changed, so ``#undo`` can restore it."""

    item: Item
    previous_topic: str | None
    vote: Vote | None = None


class Meeting:
    """One meeting in one channel. Feed it events; execute the effects it returns."""

    def __init__(self, settings: MeetingSettings) -> None:
        self.settings = settings
        self.state = MeetingState.IDLE
        self.name = channel_name(settings.channel)
        self.title: str | None = None
        self.owner = ""
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
        self._undo: list[_Undo] = []
        self._chairs: dict[str, str] = {}  # folded nick -> nick
        self._chair_accounts: set[str] = set()
        self._chair_account: dict[str, str] = {}  # folded chair nick -> the account that chair is logged in to
        self._accounts: dict[str, str] = {}  # folded nick -> services account
        self._said: dict[str, int] = {}  # folded nick -> lines said
        self._said_as: dict[str, str] = {}  # folded nick -> the nick as first seen
        # Lines said per nick as written (unfolded), not yet in _said: counting is on the per-line path, folding is
        # not; _settle moves them (always before the bot's nick changes, so the bot's own lines stay uncounted).
        self._unsettled: dict[str, int] = {}
        self._folded: dict[str, str] = {}  # nick -> folded nick (a cache: folding is on the per-line path)
        self._known: dict[str, str] = {}  # folded nick -> nick, from #nick and #chair
        self._bot = fold_nick(settings.bot_nick) if settings.bot_nick else None

    # ------------------------------------------------------------------ queries

    @property
    def chairs(self) -> list[str]:
        return sorted(self._chairs.values(), key=lambda n: (n.lower(), n))

    def _settle(self) -> None:
        said, said_as = self._said, self._said_as
        for nick, lines in self._unsettled.items():
            key = self._fold(nick)
            if key != self._bot:
                count = said.get(key)
                if count is None:
                    said[key] = lines
                    said_as[key] = nick
                else:
                    said[key] = count + lines
        self._unsettled.clear()

    def people(self) -> list[tuple[str, int]]:
        """Each nick that spoke with its line count, most lines first (ties by nick)."""
        self._settle()
        rows = [(self._said_as[key], count) for key, count in self._said.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0].lower(), row[0]))

    def action_nicks(self) -> list[str]:
        """Nicks an action item can be assigned to: everyone who spoke or was named by #nick/#chair."""
        self._settle()
        nicks = dict(self._said_as)
        for key, nick in self._known.items():
            nicks.setdefault(key, nick)
        if self._bot is not None:
            nicks.pop(self._bot, None)
        return list(nicks.values())

    def is_bot(self, nick: str) -> bool:
        """Whether ``nick`` is the bot now (it follows the bot's own nick changes)."""
        return self._bot is not None and fold_nick(nick) == self._bot

    def chair_account(self, nick: str) -> str | None:
        """The services account a chair is known to be logged in to (None: not logged in, or not a chair)."""
        return self._chair_account.get(fold_nick(nick)) if self.settings.chairs_by_account else None

    def is_chair(self, nick: str, account: str | None = None) -> bool:
        """A chair's nick is enough, unless that chair was logged in: then the nick must be on the same account
        (so whoever takes a dropped chair's nick is not a chair). Any nick on a chair's account is a chair."""
        key = fold_nick(nick)
        by_account = self.settings.chairs_by_account
        if key in self._chairs:
            expected = self._chair_account.get(key) if by_account else None
            if expected is None or expected == account:
                return True
        return bool(by_account and account and account in self._chair_accounts)

    def would_start(self, event: Event) -> bool:
        """Whether ``event`` starts a meeting (so the runtime can open its journal before the core sees it)."""
        if self.state is not MeetingState.IDLE or type(event) is not Message:
            return False
        assert isinstance(event, Message)
        parsed = commands.parse(event.text)
        return parsed is not None and parsed[0].name == "startmeeting" and fold_nick(event.nick) != self._bot

    def known_accounts(self) -> list[tuple[str, str]]:
        """The services account of each nick present as far as the meeting knows: (folded nick, account), sorted.

        Fed back as ``AccountChange`` events they rebuild exactly this knowledge (folding is idempotent).
        """
        return sorted(self._accounts.items())

    def topic_text(self) -> str:
        """What the channel topic should say now."""
        topic = self.current_topic or ""
        if self.title:
            return f"{topic} (Meeting topic: {self.title})" if topic else f"Meeting topic: {self.title}"
        return topic

    def minutes_state(self) -> tuple[tuple[Item, ...], str | None, int]:
        """A comparable snapshot of what ``#undo`` restores: items, current topic, recorded votes."""
        return tuple(self.items), self.current_topic, len(self.votes)

    # ------------------------------------------------------------------ events

    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return what the runtime must do, in order."""
        if self.state is MeetingState.RUNNING:
            if type(event) is Message:  # the hot path: one per log line
                return self._message(event)
            return self._running(event)
        if self.state is MeetingState.IDLE and isinstance(event, Message):
            return self._idle_message(event)
        if isinstance(event, Join | Part | Quit | NickChange | AccountChange):
            self._track_account(event)
        return []

    def handle_rows(self, rows: Sequence[Row], start: int = 0) -> tuple[list[Effect], int]:
        """Apply ``rows[start:]`` (each as ``row_event(row)``) until a row asks for more than logging.

        Returns the effects and the index after the last row applied; the caller executes the effects,
        then calls again from that index. The effects are those of ``handle`` for each row, except that
        a run of rows that need nothing but logging comes as one ``LogLines`` (the replay hot path; a
        property test checks the two agree).
        """
        if self.state is not MeetingState.RUNNING:
            return self._rows_not_running(rows, start)
        effects: list[Effect] = []
        tally = self._unsettled
        get = tally.get
        message, action, raw = LineKind.MESSAGE, LineKind.ACTION, LineKind.RAW
        maybe_special, url_first = _MAYBE_SPECIAL_FIRST, _URL_FIRST
        run = start
        for index in range(start, len(rows)):
            kind, time, _, nick, text = rows[index]
            if kind is message:
                first = text[:1]
                if first not in maybe_special or (
                    first in url_first and ("://" not in text or not starts_with_url(text))
                ):
                    tally[nick] = get(nick, 0) + 1  # a plain line: counted now, logged with its run
                    continue
            elif kind is action:
                tally[nick] = get(nick, 0) + 1
                continue
            elif kind is raw:
                continue
            # A command, a link or a nick change: through handle, as an event of its own.
            self._log_run(rows, run, index, effects)
            more = self.handle(row_event(rows[index]))
            if self.state is MeetingState.RUNNING and len(more) == 1:
                line = more[0]
                if type(line) is LogLine and (line.kind, line.time, line.nick, line.text) == (kind, time, nick, text):
                    self.lines -= 1  # only logged: the row is logged with the next run instead, as the same number
                    run = index
                    continue
            effects += more
            run = index + 1
            if self.state is not MeetingState.RUNNING or any(type(effect) is not LogLine for effect in more):
                return effects, run
        self._log_run(rows, run, len(rows), effects)
        return effects, len(rows)

    def _log_run(self, rows: Sequence[Row], start: int, stop: int, effects: list[Effect]) -> None:
        """Log ``rows[start:stop]``, plain lines (their people are already counted)."""
        if stop > start:
            effects.append(LogLines(self.lines + 1, list(rows[start:stop])))
            self.lines += stop - start
            self.last_activity = rows[stop - 1][1]

    def _rows_not_running(self, rows: Sequence[Row], start: int) -> tuple[list[Effect], int]:
        """Before a meeting only ``#startmeeting`` lines (and nick changes, for accounts) can matter."""
        idle = self.state is MeetingState.IDLE
        index, stop = start, len(rows)
        while index < stop:
            row = rows[index]
            index += 1
            kind = row[0]
            if (
                idle
                and kind is not LineKind.NICK
                and (kind is not LineKind.MESSAGE or row[4][:1] not in _COMMAND_FIRST)
            ):
                continue
            effects = self.handle(row_event(row))
            if effects or self.state is not MeetingState.IDLE:
                return effects, index
        return [], index

    def _idle_message(self, event: Message) -> list[Effect]:
        parsed = commands.parse(event.text)
        if parsed is None or parsed[0].name != "startmeeting" or fold_nick(event.nick) == self._bot:
            return []
        return self._start(event, parsed[1])

    def _running(self, event: Event) -> list[Effect]:
        kind = type(event)
        if kind is Action:
            assert isinstance(event, Action)
            effects: list[Effect] = [self._log(event.time, LineKind.ACTION, event.nick, event.text)]
            key = self._fold(event.nick)
            if key != self._bot:
                self._count(key, event.nick, event.account)
            return effects
        if kind is NickChange:
            assert isinstance(event, NickChange)
            return self._nick_change(event)
        if kind is RawLine:
            assert isinstance(event, RawLine)
            return [self._log(event.time, LineKind.RAW, "", event.text)]
        if kind is Tick:
            assert isinstance(event, Tick)
            return self._tick(event.time)
        if kind is OpenActions:
            assert isinstance(event, OpenActions)
            return self._open_actions(event)
        if kind is Join or kind is AccountChange:
            assert isinstance(event, Join | AccountChange)
            self._track_account(event)
        if kind in (Part, Quit):
            assert isinstance(event, Part | Quit)
            self._track_account(event)
            self.last_activity = max(self.last_activity or event.time, event.time)
        return []

    def _track_account(self, event: Join | Part | Quit | NickChange | AccountChange) -> None:
        """Know a nick's services account only while that nick is here (a stale one must not be chaired)."""
        if isinstance(event, AccountChange):
            if event.account:
                self._accounts[fold_nick(event.nick)] = event.account
            else:
                self._accounts.pop(fold_nick(event.nick), None)
        elif isinstance(event, NickChange):
            account = self._accounts.pop(fold_nick(event.old), None)
            self._accounts.pop(fold_nick(event.new), None)
            if account:
                self._accounts[fold_nick(event.new)] = account
        elif isinstance(event, Join) and event.account:
            self._accounts[fold_nick(event.nick)] = event.account
        else:  # a Part, a Quit, or a Join by someone not logged in
            self._accounts.pop(fold_nick(event.nick), None)

    def _log(self, time: datetime, kind: LineKind, nick: str, text: str) -> LogLine:
        self.lines += 1
        self.last_activity = time
        return LogLine(self.lines, time, kind, nick, text)

    def _fold(self, nick: str) -> str:
        key = self._folded.get(nick)
        if key is None:
            key = self._folded[nick] = fold_nick(nick)
        return key

    def _count(self, key: str, nick: str, account: str | None) -> None:
        self._unsettled[nick] = self._unsettled.get(nick, 0) + 1
        if account:
            self._accounts[key] = account
            if self.settings.chairs_by_account and key in self._chairs and key not in self._chair_account:
                self._chair_account[key] = account  # learn the account of a chair first seen without one
                self._chair_accounts.add(account)

    def _message(self, event: Message) -> list[Effect]:
        self.lines += 1
        self.last_activity = event.time
        nick, text = event.nick, event.text
        effects: list[Effect] = [LogLine(self.lines, event.time, LineKind.MESSAGE, nick, text)]
        key = self._folded.get(nick) or self._fold(nick)
        if key == self._bot:
            return effects
        self._count(key, nick, event.account)
        first = text[:1]
        if first == "#" or first.isspace():
            parsed = commands.parse(text)
            if parsed is not None:
                self._command(parsed[0], parsed[1], event, effects)
                return effects
        if (first in _URL_FIRST or first.isspace()) and starts_with_url(text.lstrip()):
            self._add_item(ItemKind.LINK, text.strip(), event)
        return effects

    def _nick_change(self, event: NickChange) -> list[Effect]:
        effects: list[Effect] = [
            self._log(event.time, LineKind.NICK, event.old, nick_change_text(event.old, event.new))
        ]
        old, new = fold_nick(event.old), fold_nick(event.new)
        if old == self._bot:  # the bot itself was renamed (e.g. it got its nick back)
            self._settle()
            self._bot = new
        if old in self._chairs:
            del self._chairs[old]
            self._chairs[new] = event.new
            if old in self._chair_account:
                self._chair_account[new] = self._chair_account.pop(old)
        if fold_nick(self.owner) == old:
            self.owner = event.new
        if old in self._known:
            del self._known[old]
            self._known[new] = event.new
        self._track_account(event)
        if self.open_vote is not None:
            self.open_vote.rename(event.old, event.new)
        return effects

    def _tick(self, now: datetime) -> list[Effect]:
        settings = self.settings
        start, last = self.started_at, self.last_activity
        if settings.max_length_minutes and start and now - start >= timedelta(minutes=settings.max_length_minutes):
            notice = f"Meeting ended automatically after {settings.max_length_minutes} minutes."
            return self._end(now, "overlong", notice)
        if settings.idle_end_minutes and last and now - last >= timedelta(minutes=settings.idle_end_minutes):
            notice = f"Meeting ended automatically after {settings.idle_end_minutes} minutes without activity."
            return self._end(now, "idle", notice)
        return []

    # ------------------------------------------------------------------ commands

    def _say(self, effects: list[Effect], text: str) -> None:
        if not self.lurking:
            effects.append(Say(text))

    def _may(self, command: Command, event: Message) -> bool:
        if command.permission is Permission.ANYONE or self.is_chair(event.nick, event.account):
            return True
        if command.permission is Permission.CHAIR_OR_OVERTIME and self.settings.overtime_end_by_anyone:
            length = self.settings.length_minutes
            start = self.started_at
            return bool(length and start and event.time - start >= timedelta(minutes=length))
        return False

    def _command(self, command: Command, arg: str, event: Message, effects: list[Effect]) -> None:
        if not self._may(command, event):
            reason = f"{event.nick}: only chairs can {command.verb}"
            overtime = self.settings.overtime_end_by_anyone and self.settings.length_minutes
            if command.permission is Permission.CHAIR_OR_OVERTIME and overtime:
                reason += f" (anyone can once it has run {self.settings.length_minutes} minutes)"
            self._say(effects, reason + ".")
            return
        kind = _ITEM_COMMANDS.get(command.name)
        if kind is not None:
            if not arg:
                self._say(effects, f"{event.nick}: usage: #{command.name} {command.usage}")
            else:
                self._add_item(kind, arg, event)
            return
        handler = self.handler(command.name)
        assert handler is not None, f"no handler for #{command.name}"
        handler(arg, event, effects)

    def _add_item(self, kind: ItemKind, text: str, event: Message) -> Item:
        item = Item(kind, text, event.nick, event.time, self.lines, self.current_topic)
        self.items.append(item)
        self._undo.append(_Undo(item, self.current_topic))
        return item

    def _start(self, event: Message, arg: str) -> list[Effect]:
        self.state = MeetingState.RUNNING
        self.started_at = event.time
        self.owner = event.nick
        self._chairs[fold_nick(event.nick)] = event.nick
        effects: list[Effect] = [
            MeetingStarted(event.time),
            self._log(event.time, LineKind.MESSAGE, event.nick, event.text),
        ]
        self._count(self._fold(event.nick), event.nick, event.account)
        if event.account and self.settings.chairs_by_account:
            self._chair_account[fold_nick(event.nick)] = event.account
            self._chair_accounts.add(event.account)
        self._say(
            effects,
            f"Meeting started {local_asctime(event.time, self.settings.timezone)} and is due to finish in "
            f"{self.settings.length_minutes} minutes.  The chair is {event.nick}. "
            f"Information about gavel at {self.settings.info_url}.",
        )
        self._say(effects, f"Useful Commands: {commands.useful_commands()}.")
        if arg:
            self.title = arg
            name = normalize_name(arg)
            if name:
                self.name = name
            self._say(effects, f"The meeting name has been set to '{self.name}'")
        return effects

    def _end(self, time: datetime, reason: str, notice: str = "") -> list[Effect]:
        self.state = MeetingState.ENDED
        self.ended_at = time
        self.end_reason = reason
        effects: list[Effect] = [MeetingEnded(time, reason)]
        if notice:
            self._say(effects, notice)
        ended = local_asctime(time, self.settings.timezone)
        self._say(effects, f"Meeting ended {ended}.  Information about gavel at {self.settings.info_url} .")
        if not self.lurking:
            effects.append(AnnounceMinutes(time))
        return effects

    def _cmd_startmeeting(self, arg: str, event: Message, effects: list[Effect]) -> None:
        started = self.started_at.strftime("%H:%M:%S") if self.started_at else "?"
        self._say(effects, f"{event.nick}: a meeting is already in progress here (started {started} UTC).")

    def _cmd_endmeeting(self, arg: str, event: Message, effects: list[Effect]) -> None:
        effects.extend(self._end(event.time, "endmeeting"))

    def _cmd_topic(self, arg: str, event: Message, effects: list[Effect]) -> None:
        if not arg:
            self._say(effects, f"{event.nick}: usage: #topic <topic>")
            return
        previous = self.current_topic
        self.current_topic = arg
        self._add_item(ItemKind.TOPIC, arg, event)
        self._undo[-1].previous_topic = previous
        self._set_topic(effects)

    def _set_topic(self, effects: list[Effect]) -> None:
        if not self.lurking:
            effects.append(SetTopic(self.topic_text()))

    def _cmd_meetingtopic(self, arg: str, event: Message, effects: list[Effect]) -> None:
        self.title = None if arg.lower() in ("", "none", "unset") else arg
        self._set_topic(effects)

    def _cmd_meetingname(self, arg: str, event: Message, effects: list[Effect]) -> None:
        name = normalize_name(arg)
        if not name:
            self._say(effects, f"{event.nick}: a meeting name needs letters or digits; it stays '{self.name}'.")
            return
        self.name = name
        self._say(effects, f"The meeting name has been set to '{name}'")

    def _cmd_nick(self, arg: str, event: Message, effects: list[Effect]) -> None:
        for nick in _nick_list(arg):
            self._known.setdefault(fold_nick(nick), nick)

    def _cmd_chair(self, arg: str, event: Message, effects: list[Effect]) -> None:
        for nick in _nick_list(arg):
            key = fold_nick(nick)
            if key == self._bot:
                continue
            self._chairs.setdefault(key, nick)
            self._known.setdefault(key, nick)
            account = self._accounts.get(key)
            if account and self.settings.chairs_by_account:
                self._chair_account[key] = account
                self._chair_accounts.add(account)
        self._say(effects, "Current chairs: " + " ".join(self.chairs))

    def _cmd_unchair(self, arg: str, event: Message, effects: list[Effect]) -> None:
        owner = fold_nick(self.owner)
        kept_owner = False
        owner_account = self._accounts.get(owner)
        for nick in _nick_list(arg):
            key = fold_nick(nick)
            if key == owner:
                kept_owner = True
                continue
            if self._chairs.pop(key, None) is not None:
                account = self._chair_account.pop(key, None) or self._accounts.get(key)
                if account and account != owner_account:
                    self._chair_accounts.discard(account)
        text = "Current chairs: " + " ".join(self.chairs)
        if kept_owner:
            text += f" (the owner, {self.owner}, cannot be unchaired)"
        self._say(effects, text)

    def _cmd_undo(self, arg: str, event: Message, effects: list[Effect]) -> None:
        if not self._undo:
            self._say(effects, f"{event.nick}: there is nothing to undo.")
            return
        undo = self._undo.pop()
        self.items.pop()
        self._say(effects, f"Removing item from minutes: {undo.item.kind.label}: {undo.item.text}")
        if undo.vote is not None:
            self.votes.remove(undo.vote)
        if undo.item.kind is ItemKind.TOPIC:
            self.current_topic = undo.previous_topic
            self._set_topic(effects)

    def _cmd_save(self, arg: str, event: Message, effects: list[Effect]) -> None:
        effects.append(SaveMinutes(event.time))

    def _cmd_lurk(self, arg: str, event: Message, effects: list[Effect]) -> None:
        self.lurking = True

    def _cmd_unlurk(self, arg: str, event: Message, effects: list[Effect]) -> None:
        self.lurking = False

    def _cmd_restrictlogs(self, arg: str, event: Message, effects: list[Effect]) -> None:
        self.restricted = True
        self._say(effects, "The logs and minutes of this meeting are restricted: they will not be published.")

    def _cmd_startvote(self, arg: str, event: Message, effects: list[Effect]) -> None:
        if self.open_vote is not None:
            self._say(effects, f"{event.nick}: a vote is already open: {self.open_vote.question}")
            return
        question, options = parse_startvote(arg)
        if not question:
            self._say(effects, f"{event.nick}: usage: #startvote <question>? [option, option, ...]")
            return
        self.open_vote = Vote(question, options, event.nick, event.time, self.lines)
        self._say(effects, f"Begin voting on: {question} Valid vote options are {', '.join(options)}.")
        self._say(effects, "Vote using '#vote OPTION'. Only your last vote counts.")

    def _cmd_vote(self, arg: str, event: Message, effects: list[Effect]) -> None:
        vote = self.open_vote
        if vote is None:
            self._say(effects, f"{event.nick}: there is no vote in progress.")
            return
        option = vote.option_for(arg)
        if option is None:
            self._say(
                effects, f"{event.nick}: '{arg}' is not a valid option. Valid options are {', '.join(vote.options)}."
            )
            return
        vote.cast(event.nick, option)

    def _cmd_showvote(self, arg: str, event: Message, effects: list[Effect]) -> None:
        vote = self.open_vote
        if vote is None:
            self._say(effects, f"{event.nick}: there is no vote in progress.")
        else:
            self._say(effects, f"{vote.question} {vote.summary()}")

    def _cmd_endvote(self, arg: str, event: Message, effects: list[Effect]) -> None:
        vote = self.open_vote
        if vote is None:
            self._say(effects, f"{event.nick}: there is no vote in progress.")
            return
        self.open_vote = None
        vote.ended = event.time
        self._say(effects, f'Voted on "{vote.question}" Results are: {vote.summary()}')
        item = self._add_item(ItemKind.VOTE, vote.result_text(), event)
        self.votes.append(vote)
        self._undo[-1].vote = vote
        assert self._undo[-1].item is item

    def _open_actions(self, event: OpenActions) -> list[Effect]:
        self.series_open_actions = event.actions
        effects: list[Effect] = []
        if not event.actions:
            return effects
        self._say(effects, f"Open action items from earlier {event.series} meetings (#done <number> when one is done):")
        for number, action in enumerate(event.actions[:MAX_LISTED_ACTIONS], 1):
            self._say(effects, f"[{number}] {action.text}")
        hidden = len(event.actions) - MAX_LISTED_ACTIONS
        if hidden > 0:
            self._say(effects, f"... and {hidden} more (see the series page of the archive).")
        return effects

    def done_refs(self) -> set[str]:
        """Archive ids of the earlier action items this meeting marked done."""
        return {item.ref for item in self.items if item.kind is ItemKind.DONE and item.ref is not None}

    def _cmd_done(self, arg: str, event: Message, effects: list[Effect]) -> None:
        actions = self.series_open_actions
        if not arg:
            self._say(effects, f"{event.nick}: usage: #done <number or text>")
            return
        if not actions:
            self._say(effects, f"{event.nick}: there are no open action items from earlier meetings.")
            return
        done = self.done_refs()
        if arg.isdigit():
            number = int(arg)
            matches = [number] if 1 <= number <= len(actions) else []
        else:
            wanted = arg.casefold()
            matches = [n for n, a in enumerate(actions, 1) if wanted in a.text.casefold() and a.ref not in done]
        if len(matches) != 1:
            listed = ", ".join(f"[{n}] {actions[n - 1].text}" for n in matches[:3])
            problem = f"{len(matches)} open items match" if matches else "no open item matches"
            self._say(effects, f"{event.nick}: {problem} '{arg}'" + (f": {listed}" if listed else "") + ".")
            return
        action = actions[matches[0] - 1]
        if action.ref in done:
            self._say(effects, f"{event.nick}: [{matches[0]}] is already marked done.")
            return
        item = Item(ItemKind.DONE, action.text, event.nick, event.time, self.lines, self.current_topic, action.ref)
        self.items.append(item)
        self._undo.append(_Undo(item, self.current_topic))
        self._say(effects, f"Marked done: [{matches[0]}] {action.text}")

    def _cmd_commands(self, arg: str, event: Message, effects: list[Effect]) -> None:
        self._say(effects, "Available commands: " + commands.available_commands())

    def handler(self, name: str) -> Callable[[str, Message, list[Effect]], None] | None:
        """The method behind ``#name`` for commands that are not plain minutes items."""
        found: Callable[[str, Message, list[Effect]], None] | None = getattr(self, "_cmd_" + name, None)
        return found


def _nick_list(arg: str) -> list[str]:
    return [nick for nick in arg.replace(",", " ").split() if nick]
