"""Shared helpers for the core tests: a small meeting driver and hypothesis strategies for events."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from gavel.core import (
    AccountChange,
    Action,
    Effect,
    Event,
    Join,
    LogLine,
    Meeting,
    MeetingSettings,
    Message,
    NickChange,
    Part,
    Quit,
    RawLine,
    Say,
    SetTopic,
    Tick,
)
from gavel.core.commands import COMMANDS

# The start of the meeting in tests/data: "Meeting started Wed Mar 16 14:30:39 2016 UTC".
T0 = datetime(2016, 3, 16, 14, 30, 39, tzinfo=UTC)


def says(effects: Iterable[Effect]) -> list[str]:
    """The texts of the Say effects, in order."""
    return [effect.text for effect in effects if isinstance(effect, Say)]


def topics(effects: Iterable[Effect]) -> list[str]:
    """The texts of the SetTopic effects, in order."""
    return [effect.text for effect in effects if isinstance(effect, SetTopic)]


def log_lines(effects: Iterable[Effect]) -> list[LogLine]:
    return [effect for effect in effects if isinstance(effect, LogLine)]


class Logged(enum.Enum):
    STICKY = "sticky"  # the nick's current login, as a network with account-tag sends it
    LOGGED_OUT = "logged-out"


STICKY = Logged.STICKY
LOGGED_OUT = Logged.LOGGED_OUT


class Session:
    """Drives a Meeting with events one second apart (or at explicit times)."""

    def __init__(self, settings: MeetingSettings | None = None, *, start: datetime = T0) -> None:
        self.meeting = Meeting(settings or MeetingSettings(channel="#gavel-test"))
        self.start = start
        self.now = start
        self._first = True
        self.logins: dict[str, str] = {}  # nick -> the account its messages carry

    def _time(self, at: timedelta | None) -> datetime:
        if at is not None:
            self.now = self.start + at
        elif self._first:
            self._first = False
        else:
            self.now += timedelta(seconds=1)
        return self.now

    def feed(self, event: Event) -> list[Effect]:
        return self.meeting.handle(event)

    def _account(self, nick: str, account: str | Logged | None) -> str | None:
        """Like a network with account-tag: a nick's messages carry its login until it changes (``LOGGED_OUT``)."""
        if account is STICKY:
            return self.logins.get(nick)
        if account is LOGGED_OUT:
            self.logins.pop(nick, None)
            return None
        assert isinstance(account, str) or account is None
        if account is None:
            return self.logins.get(nick)
        self.logins[nick] = account
        return account

    def say(
        self, nick: str, text: str, *, account: str | Logged | None = STICKY, at: timedelta | None = None
    ) -> list[Effect]:
        return self.feed(Message(self._time(at), nick, text, account=self._account(nick, account)))

    def act(
        self, nick: str, text: str, *, account: str | Logged | None = STICKY, at: timedelta | None = None
    ) -> list[Effect]:
        return self.feed(Action(self._time(at), nick, text, account=self._account(nick, account)))

    def rename(self, old: str, new: str, *, at: timedelta | None = None) -> list[Effect]:
        return self.feed(NickChange(self._time(at), old, new))

    def join(self, nick: str, *, account: str | None = None, at: timedelta | None = None) -> list[Effect]:
        if account is None:
            self.logins.pop(nick, None)
        else:
            self.logins[nick] = account
        return self.feed(Join(self._time(at), nick, account=account))

    def part(self, nick: str, *, at: timedelta | None = None) -> list[Effect]:
        self.logins.pop(nick, None)
        return self.feed(Part(self._time(at), nick))

    def quit(self, nick: str, *, at: timedelta | None = None) -> list[Effect]:
        self.logins.pop(nick, None)
        return self.feed(Quit(self._time(at), nick))

    def raw(self, text: str, *, at: timedelta | None = None) -> list[Effect]:
        return self.feed(RawLine(self._time(at), text))

    def tick(self, *, at: timedelta | None = None) -> list[Effect]:
        return self.feed(Tick(self._time(at)))

    def begin(self, nick: str = "alice", name: str = "", *, account: str | None = None) -> list[Effect]:
        """``#startmeeting [name]`` by ``nick`` (the owner)."""
        return self.say(nick, f"#startmeeting {name}".rstrip(), account=account)


def started(
    settings: MeetingSettings | None = None, owner: str = "alice", name: str = "", *, account: str | None = None
) -> Session:
    """A Session whose meeting has been started by ``owner``."""
    session = Session(settings)
    session.begin(owner, name, account=account)
    return session


# ---------------------------------------------------------------------------- hypothesis strategies

NICKS = ("alice", "Bob", "carol", "dave", "[m]", "Alice_", "gavelbot", "ch{air}")
BOT = "gavelbot"
COMMAND_WORDS = tuple(sorted({name for c in COMMANDS for name in (c.name, *c.aliases)}))

nicks = st.one_of(st.sampled_from(NICKS), st.text(min_size=0, max_size=12))
accounts = st.one_of(st.none(), st.sampled_from(("acct-a", "acct-b", "")), st.text(max_size=6))

# Text with unicode (control characters included) and the occasional huge run.
_weird = st.text(max_size=40)
_huge = st.builds(
    lambda a, n, b: a + b * n,
    st.sampled_from(("#info x", "#topic ", "#startvote q? ", "http://x ", "", "#meetingname ")),
    st.integers(min_value=1_000, max_value=20_000),
    st.sampled_from((" ", "a", "é", "\t", ", ", "\x00", "#")),
)
_command_case = st.sampled_from((str.lower, str.upper, str.title))


@st.composite
def command_lines(draw: st.DrawFn, pool: Sequence[str] = NICKS) -> str:
    """``#command args`` with random case, optional colon, random arguments (often nicks from ``pool``)."""
    word = draw(_command_case)(draw(st.sampled_from(COMMAND_WORDS)))
    colon = draw(st.sampled_from(("", ":")))
    args = draw(
        st.one_of(
            st.just(""),
            st.sampled_from(("yes", "no", "a", "B", "q? a, b, c", "none", "../../etc", "alice bob", "Bob")),
            st.lists(st.sampled_from((*pool, *NICKS)), max_size=3).map(" ".join),
            _weird,
        )
    )
    lead = draw(st.sampled_from(("", " ", "\t")))
    return f"{lead}#{word}{colon} {args}" if args or draw(st.booleans()) else f"{lead}#{word}{colon}"


def texts_for(pool: Sequence[str] = NICKS) -> st.SearchStrategy[str]:
    """Lines people say: mostly commands, some plain or odd text, links, and the occasional huge line."""
    return st.one_of(
        command_lines(pool),
        command_lines(pool),
        command_lines(pool),
        _weird,
        st.sampled_from(("https://example.org/a b", "see http://x", "ftp://f", "#info-ish x", "hello", "")),
        st.sampled_from(("s/a/b/", "s///", "s/x/y", "s/ /", "S/a/b/", "s/a/b/c/", "#fix 1 s/a/b/", "#fix 99 s/x/y/")),
        st.sampled_from(
            (
                "!sm weekly",
                "!startmeeting",
                "!EM",
                "!t a topic",
                "!topic",
                "^info said the maubot way",
                "^halp",
                "^link https://example.org",
                "!smx not a command",
                "^",
                "q+",
                "q+ a note",
                "q-",
                "q?",
                "q+1",
                "Q+",
                "ack next",
                "ack bob",
                "ack, ok",
                "agenda+ Budget",
                "agenda+",
                "take up agendum 1",
                "take up item 2",
                "take up the slack",
                "#agenda",
                "#next",
                "#take 1",
                "#timebox 1",
                "#agenda- 1",
            )
        ),
        _huge,
    )


texts = texts_for()

settings_strategy = st.builds(
    MeetingSettings,
    channel=st.sampled_from(("#gavel-test", "#", "##日本", "&x")),
    bot_nick=st.sampled_from((None, BOT, "GavelBot")),
    length_minutes=st.sampled_from((0, 1, 60)),
    overtime_end_by_anyone=st.booleans(),
    chairs_by_account=st.booleans(),
    idle_end_minutes=st.sampled_from((0, 0, 1, 30)),
    max_length_minutes=st.sampled_from((0, 0, 5, 120)),
    maubot_spellings=st.booleans(),
    default_name=st.sampled_from((None, "Weekly Sync")),
)


@st.composite
def event_lists(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 40, owner: str | None = None) -> list[Event]:
    """Events with non-decreasing times, mostly lines said by a small pool of nicks.

    Without ``owner`` the list usually begins with a ``#startmeeting`` by the first nick of the pool;
    with it, the events continue a meeting ``owner`` started (so the owner speaks often).
    """
    pool = draw(st.lists(nicks, min_size=1, max_size=4))
    if owner is not None:
        pool = [owner, *pool]
    speakers = st.one_of(st.sampled_from(pool), st.just(pool[0]), nicks)
    lines = texts_for(pool)
    time = T0
    events: list[Event] = []
    if owner is None and draw(st.integers(0, 4)):
        events.append(Message(time, pool[0], "#startmeeting " + draw(_weird), account=draw(accounts)))
    count = draw(st.integers(min_value=min_size, max_value=max_size))
    for _ in range(count):
        time += timedelta(seconds=draw(st.sampled_from((1, 0, 1, 2, 7, 1, 59, 1, 600, 3700))))
        kind = draw(st.integers(min_value=0, max_value=11))
        event: Event
        if kind <= 6:
            event = Message(time, draw(speakers), draw(lines), account=draw(accounts))
        elif kind == 7:
            event = Action(time, draw(speakers), draw(lines), account=draw(accounts))
        elif kind == 8:
            event = NickChange(time, draw(speakers), draw(st.one_of(speakers, nicks)))
        elif kind == 9:
            which = draw(st.sampled_from((Join, Part, Quit, AccountChange)))
            nick = draw(speakers)
            event = which(time, nick, draw(accounts)) if which in (Join, AccountChange) else which(time, nick)
        elif kind == 10:
            event = RawLine(time, draw(lines))
        else:
            event = Tick(time)
        events.append(event)
    return events


def run(meeting: Meeting, events: Sequence[Event]) -> list[Effect]:
    """Feed every event; all the effects, in order."""
    effects: list[Effect] = []
    for event in events:
        effects.extend(meeting.handle(event))
    return effects
