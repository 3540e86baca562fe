"""People are counted per nick as written and folded when read: the same counts as folding each line at once, and
reading them (or asking the meeting anything else) changes nothing."""

from __future__ import annotations

import pickle

from hypothesis import HealthCheck, given, settings

from gavel.core import Action, Event, LogLine, Meeting, MeetingSettings, Message, NickChange
from gavel.core.records import fold_nick
from strategies import BOT, NICKS, T0, event_lists, settings_strategy

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FoldedAtOnce:
    """The plain definition: each logged line counts at once for the person holding its folded nick (a nick change
    hands the person on to the new nick), unless the bot said it."""

    def __init__(self, bot_nick: str | None) -> None:
        self.bot = fold_nick(bot_nick) if bot_nick else None
        self.holder: dict[str, int] = {}  # folded nick -> person number
        self.lines: dict[int, int] = {}
        self.nick: dict[int, str] = {}  # person -> listed nick
        self.names: dict[int, list[str]] = {}

    def add(self, event: Event, effects: list[object]) -> None:
        logged = any(isinstance(effect, LogLine) for effect in effects)
        if logged and isinstance(event, Message | Action) and fold_nick(event.nick) != self.bot:
            person = self.holder.setdefault(fold_nick(event.nick), len(self.nick))
            self.nick.setdefault(person, event.nick)
            self.names.setdefault(person, [event.nick])
            self.lines[person] = self.lines.get(person, 0) + 1
        if logged and isinstance(event, NickChange):
            old, new = fold_nick(event.old), fold_nick(event.new)
            if old == self.bot:
                self.bot = new
                return
            person = self.holder.pop(old, len(self.nick))
            self.holder[new] = person
            self.nick[person] = event.new
            names = self.names.setdefault(person, [event.old])
            if new not in {fold_nick(name) for name in names}:
                names.append(event.new)

    def people(self) -> list[tuple[str, int]]:
        rows = [(self.nick[person], count) for person, count in self.lines.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0].lower(), row[0]))

    def aliases(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        order = sorted(self.lines, key=lambda p: (-self.lines[p], self.nick[p].lower(), self.nick[p]))
        for person in order:
            nick = self.nick[person]
            others = tuple(name for name in self.names[person] if fold_nick(name) != fold_nick(nick))
            if others:
                known = found.get(nick)
                found[nick] = (
                    others if known is None else tuple(sorted(known + others, key=lambda n: (fold_nick(n), n)))
                )
        return found


@FAST
@given(settings_strategy, event_lists())
def test_people_are_counted_as_if_each_line_were_folded_at_once(
    meeting_settings: MeetingSettings, events: list[Event]
) -> None:
    meeting, plain = Meeting(meeting_settings), FoldedAtOnce(meeting_settings.bot_nick)
    for event in events:
        plain.add(event, list(meeting.handle(event)))
        assert meeting.people() == plain.people()
        assert meeting.aliases() == plain.aliases()


def test_the_bots_lines_stay_uncounted_under_every_nick_it_had() -> None:
    meeting, plain = Meeting(MeetingSettings(channel="#x", bot_nick=BOT)), FoldedAtOnce(BOT)
    t = T0
    events: list[Event] = [
        Message(t, "alice", "#startmeeting"),
        Message(t, BOT, "Meeting started"),
        NickChange(t, BOT, "gavel2"),
        Message(t, BOT, "I am someone else now"),
        Message(t, "gavel2", "I am the bot"),
        NickChange(t, "gavel2", BOT),
        Message(t, BOT.upper(), "the bot again"),
    ]
    for event in events:
        plain.add(event, list(meeting.handle(event)))
    assert meeting.people() == plain.people() == [("alice", 1), (BOT, 1)]


@FAST
@given(settings_strategy, event_lists())
def test_queries_change_nothing(meeting_settings: MeetingSettings, events: list[Event]) -> None:
    meeting = Meeting(meeting_settings)
    for event in events:
        meeting.handle(event)
        before = pickle.dumps(meeting)
        meeting.people()
        meeting.persons()
        meeting.aliases()
        meeting.action_nicks()
        meeting.chairs  # noqa: B018
        meeting.known_accounts()
        meeting.topic_text()
        meeting.minutes_state()
        meeting.done_refs()
        for nick in NICKS:
            meeting.is_bot(nick)
            meeting.is_chair(nick, "acct-a")
            meeting.chair_account(nick)
        meeting.would_start(event)
        assert pickle.dumps(meeting) == before


def test_two_people_ending_with_one_nick_have_their_other_nicks_in_alphabetical_order() -> None:
    """Found by hypothesis: the order of two people with the same nick and line count was no order."""
    meeting = Meeting(MeetingSettings(channel="#x"))
    at = T0
    events: list[Event] = [
        Message(at, "alice", "#startmeeting"),
        NickChange(at, "Zed", "alice"),
        Message(at, "carol", "hello"),
        Message(at, "alice", "#accept"),
        Message(at, "alice", ""),
        Message(at, "carol", "#info x"),
        NickChange(at, "carol", "alice"),
    ]
    for event in events:
        meeting.handle(event)
    assert meeting.aliases() == {"alice": ("carol", "Zed")}
