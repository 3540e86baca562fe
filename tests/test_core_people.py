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
    """The plain definition: each logged line counts at once under its folded nick, unless the bot said it."""

    def __init__(self, bot_nick: str | None) -> None:
        self.bot = fold_nick(bot_nick) if bot_nick else None
        self.lines: dict[str, int] = {}
        self.first_seen: dict[str, str] = {}

    def add(self, event: Event, effects: list[object]) -> None:
        logged = any(isinstance(effect, LogLine) for effect in effects)
        if logged and isinstance(event, Message | Action) and fold_nick(event.nick) != self.bot:
            key = fold_nick(event.nick)
            self.lines[key] = self.lines.get(key, 0) + 1
            self.first_seen.setdefault(key, event.nick)
        if logged and isinstance(event, NickChange) and fold_nick(event.old) == self.bot:
            self.bot = fold_nick(event.new)

    def people(self) -> list[tuple[str, int]]:
        rows = [(self.first_seen[key], count) for key, count in self.lines.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0].lower(), row[0]))


@FAST
@given(settings_strategy, event_lists())
def test_people_are_counted_as_if_each_line_were_folded_at_once(
    meeting_settings: MeetingSettings, events: list[Event]
) -> None:
    meeting, plain = Meeting(meeting_settings), FoldedAtOnce(meeting_settings.bot_nick)
    for event in events:
        plain.add(event, list(meeting.handle(event)))
        assert meeting.people() == plain.people()


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
