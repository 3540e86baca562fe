"""Property tests of the meeting core: it never raises, it is deterministic, #undo really undoes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gavel.core import (
    Event,
    LogLine,
    Meeting,
    MeetingEnded,
    MeetingSettings,
    MeetingStarted,
    MeetingState,
    Message,
    Say,
    SetTopic,
)
from gavel.core.commands import COMMANDS, Command, Permission, parse
from gavel.core.naming import MAX_NAME_LENGTH, basename, normalize_name
from gavel.core.records import ItemKind, actions_by_person
from strategies import T0, event_lists, nicks, run, settings_strategy, texts

OWNER = "owner"
SAFE = re.compile(r"^[a-z0-9_]*\Z")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ITEM_COMMANDS = st.one_of(
    st.builds(
        "#{}{} {}".format,
        st.sampled_from(
            ["info", "IDEA", "help", "halp", "link", "Action", "agreed", "agree", "accepted", "reject", "topic"]
        ),
        st.sampled_from(["", ":"]),
        st.text(min_size=1, max_size=30).filter(lambda s: s.strip() and "\n" not in s),
    ),
    st.builds("https://example.org/{}".format, st.text(max_size=20)),
)


def check_effects(meeting: Meeting, events: list[Event]) -> None:
    """Run ``events`` and check the invariants every effect stream must keep."""
    numbers: list[int] = []
    started = ended = 0
    for event in events:
        lurking = meeting.lurking
        effects = meeting.handle(event)
        if ended:
            assert effects == []
        if lurking:
            assert not any(isinstance(effect, Say | SetTopic) for effect in effects)
        for effect in effects:
            if isinstance(effect, LogLine):
                numbers.append(effect.number)
                assert effect.time == event.time
            elif isinstance(effect, MeetingStarted):
                started += 1
            elif isinstance(effect, MeetingEnded):
                assert started == 1
                ended += 1
        assert SAFE.match(meeting.name) and meeting.name
        assert started <= 1 and ended <= 1
    assert numbers == list(range(1, len(numbers) + 1))
    assert numbers == [] or meeting.lines == numbers[-1]
    assert (meeting.state is MeetingState.IDLE) == (started == 0)
    assert (meeting.state is MeetingState.ENDED) == (ended == 1)
    # The derived views never raise either.
    meeting.people()
    meeting.chairs  # noqa: B018
    meeting.topic_text()
    if meeting.started_at is not None:
        path = basename(meeting.name, meeting.started_at)
        assert path.count("/") == 2 and ".." not in path.split("/")
    actions = [item for item in meeting.items if item.kind is ItemKind.ACTION]
    owners, unassigned = actions_by_person(actions, meeting.action_nicks())
    owned = {id(item) for items in owners.values() for item in items}
    assert owned.isdisjoint(id(item) for item in unassigned)
    assert len(owned) + len(unassigned) == len(actions)


@FAST
@given(settings_strategy, event_lists())
def test_any_events_never_raise(meeting_settings: MeetingSettings, events: list[Event]) -> None:
    check_effects(Meeting(meeting_settings), events)


@QUICK
@given(settings_strategy, event_lists(min_size=20, max_size=80))
def test_long_meetings_never_raise(meeting_settings: MeetingSettings, events: list[Event]) -> None:
    check_effects(Meeting(meeting_settings), events)


@QUICK
@given(settings_strategy, event_lists(max_size=30))
def test_the_same_events_give_the_same_effects(meeting_settings: MeetingSettings, events: list[Event]) -> None:
    first, second = Meeting(meeting_settings), Meeting(meeting_settings)
    assert run(first, events) == run(second, events)
    for meeting in (first, second):
        assert meeting.state is first.state
    assert first.minutes_state() == second.minutes_state()
    assert first.people() == second.people()
    assert first.chairs == second.chairs
    assert (first.name, first.title, first.owner, first.lines) == (
        second.name,
        second.title,
        second.owner,
        second.lines,
    )


def chair_of(meeting: Meeting) -> str | None:
    """A chair who can still issue commands (not the bot)."""
    for nick in meeting.chairs:
        if not meeting.is_bot(nick):
            return nick
    return None


def started_meeting(meeting_settings: MeetingSettings, events: list[Event]) -> Meeting:
    meeting = Meeting(meeting_settings)
    meeting.handle(Message(T0, OWNER, "#startmeeting"))
    run(meeting, events)
    return meeting


@FAST
@given(settings_strategy, event_lists(owner=OWNER, max_size=25), ITEM_COMMANDS)
def test_undo_restores_the_minutes(meeting_settings: MeetingSettings, events: list[Event], line: str) -> None:
    meeting = started_meeting(meeting_settings, events)
    assume(meeting.state is MeetingState.RUNNING)
    chair = chair_of(meeting)
    assume(chair is not None)
    assert chair is not None
    now = (events[-1].time if events else T0) + timedelta(seconds=1)
    before = meeting.minutes_state()
    meeting.handle(Message(now, chair, line, meeting.chair_account(chair)))
    assert len(meeting.items) == len(before[0]) + 1
    meeting.handle(Message(now, chair, "#undo", meeting.chair_account(chair)))
    assert meeting.minutes_state() == before


@QUICK
@given(settings_strategy, event_lists(owner=OWNER, max_size=15), st.lists(ITEM_COMMANDS, max_size=6))
def test_undo_all_restores_the_minutes(
    meeting_settings: MeetingSettings, events: list[Event], lines: list[str]
) -> None:
    meeting = started_meeting(meeting_settings, events)
    assume(meeting.state is MeetingState.RUNNING)
    chair = chair_of(meeting)
    assume(chair is not None)
    assert chair is not None
    now = (events[-1].time if events else T0) + timedelta(seconds=1)
    states = []
    for line in lines:
        states.append(meeting.minutes_state())
        meeting.handle(Message(now, chair, line, meeting.chair_account(chair)))
    for state in reversed(states):
        meeting.handle(Message(now, chair, "#undo", meeting.chair_account(chair)))
        assert meeting.minutes_state() == state


@FAST
@given(settings_strategy, event_lists(owner=OWNER, max_size=25), st.lists(nicks, max_size=4))
def test_undo_restores_an_ended_vote(meeting_settings: MeetingSettings, events: list[Event], voters: list[str]) -> None:
    meeting = started_meeting(meeting_settings, events)
    assume(meeting.state is MeetingState.RUNNING and meeting.open_vote is None)
    chair = chair_of(meeting)
    assume(chair is not None)
    assert chair is not None
    now = (events[-1].time if events else T0) + timedelta(seconds=1)
    meeting.handle(Message(now, chair, "#startvote Ship it? yes, no", meeting.chair_account(chair)))
    for voter in voters:
        meeting.handle(Message(now, voter, "#vote yes"))
    before = meeting.minutes_state()
    meeting.handle(Message(now, chair, "#endvote", meeting.chair_account(chair)))
    assert meeting.minutes_state()[2] == before[2] + 1
    meeting.handle(Message(now, chair, "#undo", meeting.chair_account(chair)))
    assert meeting.minutes_state() == before


@FAST
@given(st.text(max_size=300) | texts)
def test_normalized_names_are_safe(raw: str) -> None:
    name = normalize_name(raw)
    assert SAFE.match(name)
    assert len(name) <= MAX_NAME_LENGTH
    assert normalize_name(name) == name
    path = basename(raw, datetime(2024, 1, 2, 3, 4, tzinfo=UTC))
    directory, year, file = path.split("/")
    assert SAFE.match(directory) and directory and year == "2024" and file.startswith(directory + ".")


@FAST
@given(texts)
def test_parse_never_raises_and_finds_only_hash_words(text: str) -> None:
    parsed = parse(text)
    if parsed is not None:
        command, arg = parsed
        assert text.lstrip().startswith("#")
        assert arg == arg.strip()
        word = text.lstrip()[1:].split(None, 1)[0].rstrip(":").lower()
        assert word in (command.name, *command.aliases)


@FAST
@given(texts, st.sampled_from(["", ":"]), st.sampled_from(["info", "topic", "halp", "agree", "vote"]))
def test_command_words_are_case_insensitive(arg: str, colon: str, word: str) -> None:
    lower = parse(f"#{word}{colon} {arg}")
    upper = parse(f"#{word.upper()}{colon} {arg}")
    assert lower == upper
    assert lower is not None


CHAIR_ONLY = [c for c in COMMANDS if c.permission is not Permission.ANYONE]


@FAST
@given(
    settings_strategy,
    event_lists(owner=OWNER, max_size=25),
    st.sampled_from(CHAIR_ONLY),
    st.sampled_from(["", "x", "bob alice", "Ship it? yes, no", "../../x"]),
)
def test_refused_commands_change_nothing(
    meeting_settings: MeetingSettings, events: list[Event], command: Command, arg: str
) -> None:
    meeting = started_meeting(meeting_settings, events)
    assume(meeting.state is MeetingState.RUNNING)
    outsider = "zz-outsider"
    assume(not meeting.is_chair(outsider))
    now = (events[-1].time if events else T0) + timedelta(seconds=1)
    assume(command.permission is Permission.CHAIR or now - T0 < timedelta(minutes=meeting_settings.length_minutes))

    def snapshot() -> object:
        vote = meeting.open_vote
        return (
            meeting.minutes_state(),
            meeting.chairs,
            meeting.name,
            meeting.title,
            meeting.lurking,
            meeting.restricted,
            meeting.state,
            None if vote is None else (vote.question, dict(vote.ballots)),
        )

    before = snapshot()
    effects = meeting.handle(Message(now, outsider, f"#{command.name} {arg}"))
    assert snapshot() == before
    assert all(isinstance(effect, LogLine | Say) for effect in effects)
