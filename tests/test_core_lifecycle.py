"""Meeting lifecycle: IDLE -> RUNNING -> ENDED, the start/end replies, auto-end by Tick, lurk, the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gavel.core import (
    Action,
    AnnounceMinutes,
    Event,
    Join,
    LogLine,
    MeetingEnded,
    MeetingSettings,
    MeetingStarted,
    MeetingState,
    Message,
    NickChange,
    Part,
    Quit,
    RawLine,
    SaveMinutes,
    Say,
    SetTopic,
    Tick,
)
from gavel.core.effects import LineKind
from gavel.core.meeting import asctime
from strategies import T0, Session, log_lines, says, started, topics

START_LINE = (
    "Meeting started Wed Mar 16 14:30:39 2016 UTC and is due to finish in 60 minutes.  "
    "The chair is alice. Information about gavel at https://pypi.org/project/gavel-meetbot/."
)
USEFUL = "Useful Commands: #action #agreed #help #info #idea #link #topic #startvote."


def every_kind_of_event(time: datetime) -> list[Event]:
    return [
        Message(time, "bob", "#topic nothing"),
        Message(time, "bob", "#info nothing"),
        Message(time, "bob", "https://example.org/"),
        Action(time, "bob", "waves"),
        NickChange(time, "bob", "rob"),
        Join(time, "carol", account="c"),
        Part(time, "carol"),
        Quit(time, "carol"),
        RawLine(time, "--- garbage ---"),
        Tick(time + timedelta(days=3)),
    ]


# ---------------------------------------------------------------------------- before the meeting


def test_a_new_meeting_is_idle_and_named_after_its_channel() -> None:
    meeting = Session(MeetingSettings(channel="#openstack-meeting")).meeting
    assert meeting.state is MeetingState.IDLE
    assert meeting.name == "openstack_meeting"
    assert meeting.title is None
    assert meeting.started_at is None
    assert meeting.chairs == []
    assert meeting.people() == []


def test_lines_outside_a_meeting_are_ignored() -> None:
    session = Session()
    for event in every_kind_of_event(T0):
        assert session.feed(event) == []
    assert session.meeting.state is MeetingState.IDLE
    assert session.meeting.lines == 0
    assert session.meeting.items == []
    assert session.meeting.people() == []


@pytest.mark.parametrize("text", ["#endmeeting", "#chair bob", "#startvote q?", "#save", "#lurk", "#commands"])
def test_commands_other_than_startmeeting_do_nothing_before_the_meeting(text: str) -> None:
    session = Session()
    assert session.say("alice", text) == []
    assert session.meeting.state is MeetingState.IDLE


def test_startmeeting_effects_are_exact() -> None:
    effects = Session().begin("alice")
    assert effects == [
        MeetingStarted(T0),
        LogLine(1, T0, LineKind.MESSAGE, "alice", "#startmeeting"),
        Say(START_LINE),
        Say(USEFUL),
    ]


def test_startmeeting_with_a_name_sets_name_and_title() -> None:
    session = Session(MeetingSettings(channel="#openstack-meeting"))
    effects = session.say("apuimedo", "#startmeeting k8s integration discussion")
    assert says(effects) == [
        START_LINE.replace("alice", "apuimedo"),
        USEFUL,
        "The meeting name has been set to 'k8s_integration_discussion'",
    ]
    meeting = session.meeting
    assert meeting.state is MeetingState.RUNNING
    assert meeting.name == "k8s_integration_discussion"
    assert meeting.title == "k8s integration discussion"
    assert meeting.owner == "apuimedo"
    assert meeting.chairs == ["apuimedo"]
    assert meeting.started_at == T0
    assert meeting.people() == [("apuimedo", 1)]


@pytest.mark.parametrize(
    "text", ["#STARTMEETING", "#StartMeeting", "  #startmeeting", "#startmeeting:", "\t#startmeeting  "]
)
def test_startmeeting_spellings(text: str) -> None:
    session = Session()
    effects = session.say("alice", text)
    assert effects[0] == MeetingStarted(T0)
    assert session.meeting.state is MeetingState.RUNNING
    assert session.meeting.title is None


@pytest.mark.parametrize("text", ["#startmeetingx", "#startmeeting-now", "start #startmeeting", "#start meeting"])
def test_not_quite_startmeeting(text: str) -> None:
    session = Session()
    assert session.say("alice", text) == []
    assert session.meeting.state is MeetingState.IDLE


def test_asctime_pads_the_day_like_meetbot() -> None:
    assert asctime(T0) == "Wed Mar 16 14:30:39 2016"
    assert asctime(datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)) == "Sat Feb  3 04:05:06 2024"


def test_start_line_uses_settings() -> None:
    settings = MeetingSettings(channel="#c", length_minutes=45, info_url="https://gavel.example/")
    session = Session(settings, start=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC))
    assert says(session.begin("Zed"))[0] == (
        "Meeting started Sat Feb  3 04:05:06 2024 UTC and is due to finish in 45 minutes.  "
        "The chair is Zed. Information about gavel at https://gavel.example/."
    )


def test_second_startmeeting_is_refused() -> None:
    session = started()
    session.say("bob", "hi")
    effects = session.say("bob", "#startmeeting another one")
    assert effects == [
        LogLine(3, T0 + timedelta(seconds=2), LineKind.MESSAGE, "bob", "#startmeeting another one"),
        Say("bob: a meeting is already in progress here (started 14:30:39 UTC)."),
    ]
    assert session.meeting.owner == "alice"
    assert session.meeting.name == "gavel_test"
    assert session.meeting.started_at == T0
    # The owner gets the same answer.
    assert says(session.say("alice", "#startmeeting")) == [
        "alice: a meeting is already in progress here (started 14:30:39 UTC)."
    ]


def test_the_bot_cannot_start_a_meeting() -> None:
    session = Session(MeetingSettings(channel="#c", bot_nick="GavelBot"))
    assert session.say("gavelbot", "#startmeeting") == []
    assert session.meeting.state is MeetingState.IDLE


# ---------------------------------------------------------------------------- the end


def end_lines(when: str = "Wed Mar 16 14:30:40 2016") -> list[str]:
    """What the core says at the end; the links to the files follow from the runtime (``AnnounceMinutes``)."""
    return [f"Meeting ended {when} UTC.  Information about gavel at https://pypi.org/project/gavel-meetbot/ ."]


def test_endmeeting_effects_are_exact() -> None:
    session = started(MeetingSettings(channel="#openstack-meeting"), name="k8s")
    end = T0 + timedelta(seconds=1)
    effects = session.say("alice", "#endmeeting")
    assert effects == [
        LogLine(2, end, LineKind.MESSAGE, "alice", "#endmeeting"),
        MeetingEnded(end, "endmeeting"),
        *[Say(line) for line in end_lines()],
        AnnounceMinutes(end),
    ]
    meeting = session.meeting
    assert meeting.state is MeetingState.ENDED
    assert meeting.ended_at == end
    assert meeting.end_reason == "endmeeting"


def test_a_lurking_bot_does_not_announce_the_minutes() -> None:
    session = started()
    session.say("alice", "#lurk")
    effects = session.say("alice", "#endmeeting")
    assert [type(effect) for effect in effects] == [LogLine, MeetingEnded]


def test_an_ended_meeting_ignores_everything() -> None:
    session = started()
    session.say("alice", "#endmeeting")
    before = (session.meeting.lines, session.meeting.minutes_state(), session.meeting.people())
    later = T0 + timedelta(minutes=5)
    for event in [*every_kind_of_event(later), Message(later, "alice", "#startmeeting again")]:
        assert session.feed(event) == []
    assert session.meeting.state is MeetingState.ENDED
    assert (session.meeting.lines, session.meeting.minutes_state(), session.meeting.people()) == before


# ---------------------------------------------------------------------------- Tick: forgotten meetings


def test_ticks_never_end_a_meeting_by_default() -> None:
    session = started()
    assert session.tick(at=timedelta(days=30)) == []
    assert session.meeting.state is MeetingState.RUNNING


def test_ticks_before_the_meeting_do_nothing() -> None:
    session = Session(MeetingSettings(channel="#c", idle_end_minutes=1, max_length_minutes=1))
    assert session.tick(at=timedelta(days=1)) == []
    assert session.meeting.state is MeetingState.IDLE


def test_idle_meeting_is_ended_by_tick() -> None:
    session = started(MeetingSettings(channel="#c", idle_end_minutes=30))
    session.say("bob", "still here", at=timedelta(minutes=10))
    assert session.tick(at=timedelta(minutes=39, seconds=59)) == []
    end = T0 + timedelta(minutes=40)
    effects = session.tick(at=timedelta(minutes=40))
    assert effects[0] == MeetingEnded(end, "idle")
    assert says(effects) == [
        "Meeting ended automatically after 30 minutes without activity.",
        *end_lines("Wed Mar 16 15:10:39 2016"),
    ]
    assert effects[-1] == AnnounceMinutes(end)
    assert log_lines(effects) == []
    assert session.meeting.state is MeetingState.ENDED
    assert session.meeting.end_reason == "idle"
    assert session.meeting.ended_at == end


@pytest.mark.parametrize("event", ["action", "nick", "raw", "part", "quit"])
def test_other_activity_keeps_a_meeting_alive(event: str) -> None:
    session = started(MeetingSettings(channel="#c", idle_end_minutes=30))
    at = timedelta(minutes=20)
    if event == "action":
        session.act("bob", "thinks", at=at)
    elif event == "nick":
        session.rename("bob", "rob", at=at)
    elif event == "raw":
        session.raw("???", at=at)
    elif event == "part":
        session.part("bob", at=at)
    else:
        session.quit("bob", at=at)
    assert session.tick(at=timedelta(minutes=49)) == []
    assert session.tick(at=timedelta(minutes=50))[0] == MeetingEnded(T0 + timedelta(minutes=50), "idle")


def test_ticks_are_not_activity() -> None:
    session = started(MeetingSettings(channel="#c", idle_end_minutes=30))
    for minute in range(1, 30):
        assert session.tick(at=timedelta(minutes=minute)) == []
    assert session.tick(at=timedelta(minutes=30))[0] == MeetingEnded(T0 + timedelta(minutes=30), "idle")


def test_overlong_meeting_is_ended_by_tick() -> None:
    session = started(MeetingSettings(channel="#c", max_length_minutes=120, idle_end_minutes=30))
    for minute in range(0, 120, 10):
        session.say("bob", "busy", at=timedelta(minutes=minute, seconds=1))
        assert session.tick(at=timedelta(minutes=minute, seconds=2)) == []
    effects = session.tick(at=timedelta(minutes=120))
    assert effects[0] == MeetingEnded(T0 + timedelta(minutes=120), "overlong")
    assert says(effects)[0] == "Meeting ended automatically after 120 minutes."
    assert session.meeting.end_reason == "overlong"


def test_auto_end_while_lurking_is_silent() -> None:
    session = started(MeetingSettings(channel="#c", idle_end_minutes=5))
    session.say("alice", "#lurk")
    effects = session.tick(at=timedelta(minutes=6))
    assert effects == [MeetingEnded(T0 + timedelta(minutes=6), "idle")]


# ---------------------------------------------------------------------------- lurk, save, restrictlogs


def test_lurk_suppresses_say_and_set_topic_but_keeps_minutes() -> None:
    session = started()
    assert session.say("alice", "#lurk")[1:] == []
    assert session.meeting.lurking
    effects = session.say("alice", "#topic quiet please")
    assert says(effects) == [] and topics(effects) == []
    assert session.meeting.current_topic == "quiet please"
    assert [item.text for item in session.meeting.items] == ["quiet please"]
    # Replies of every kind are suppressed: refusals, usage, votes, #commands, #chair.
    for nick, text in [
        ("bob", "#topic no"),
        ("alice", "#info"),
        ("alice", "#startvote q?"),
        ("bob", "#vote maybe"),
        ("bob", "#showvote"),
        ("alice", "#commands"),
        ("alice", "#chair bob"),
        ("alice", "#undo"),
        ("alice", "#meetingtopic T"),
        ("alice", "#restrictlogs"),
    ]:
        effects = session.say(nick, text)
        assert [type(e) for e in effects] == [LogLine], text
    end = session.say("alice", "#endmeeting")
    assert [type(e) for e in end] == [LogLine, MeetingEnded]


def test_unlurk_talks_again() -> None:
    session = started()
    session.say("alice", "#lurk")
    assert session.say("alice", "#unlurk")[1:] == []
    assert not session.meeting.lurking
    assert topics(session.say("alice", "#topic loud")) == ["loud"]


@pytest.mark.parametrize("text", ["#lurk", "#unlurk", "#save", "#restrictlogs"])
def test_chair_only_switches_refused_for_others(text: str) -> None:
    session = started()
    effects = session.say("bob", text)
    assert len(says(effects)) == 1 and says(effects)[0].startswith("bob: only chairs can ")
    assert not session.meeting.lurking and not session.meeting.restricted
    assert not any(isinstance(e, SaveMinutes) for e in effects)


def test_save_writes_minutes_and_the_meeting_goes_on() -> None:
    session = started()
    effects = session.say("alice", "#save")
    now = T0 + timedelta(seconds=1)
    assert effects == [LogLine(2, now, LineKind.MESSAGE, "alice", "#save"), SaveMinutes(now)]
    assert session.meeting.state is MeetingState.RUNNING
    # Also while lurking (the runtime writes files; nothing is said).
    session.say("alice", "#lurk")
    assert any(isinstance(e, SaveMinutes) for e in session.say("alice", "#save"))


def test_restrictlogs() -> None:
    session = started()
    assert not session.meeting.restricted
    effects = session.say("alice", "#restrictlogs")
    assert says(effects) == ["The logs and minutes of this meeting are restricted: they will not be published."]
    assert session.meeting.restricted


# ---------------------------------------------------------------------------- the log


def test_every_line_kind_is_logged_with_consecutive_numbers() -> None:
    session = started(MeetingSettings(channel="#c", bot_nick="gavelbot"))
    effects = [
        *session.say("bob", "hello"),
        *session.act("bob", "waves"),
        *session.rename("bob", "rob"),
        *session.raw("-!- something odd"),
        *session.join("carol"),
        *session.part("carol"),
        *session.quit("dave"),
        *session.say("gavelbot", "I am the bot"),
        *session.tick(),
        *session.say("alice", "#info x"),
    ]
    got = [(line.number, line.kind, line.nick, line.text) for line in log_lines(effects)]
    assert got == [
        (2, LineKind.MESSAGE, "bob", "hello"),
        (3, LineKind.ACTION, "bob", "waves"),
        (4, LineKind.NICK, "bob", "bob is now known as rob"),
        (5, LineKind.RAW, "", "-!- something odd"),
        (6, LineKind.MESSAGE, "gavelbot", "I am the bot"),
        (7, LineKind.MESSAGE, "alice", "#info x"),
    ]
    assert session.meeting.lines == 7
    # Join/Part/Quit are not logged (MeetBot keeps only what was said).
    assert [line.time for line in log_lines(effects)] == sorted(line.time for line in log_lines(effects))


def test_the_log_line_comes_first_in_a_commands_effects() -> None:
    session = started()
    effects = session.say("alice", "#topic First")
    assert isinstance(effects[0], LogLine)
    assert effects[1:] == [SetTopic("First")]


def test_line_text_is_logged_verbatim() -> None:
    session = started()
    text = "  #INFO:   spaced\tout  \x02bold\x02 "
    effects = session.say("bob", text)
    assert log_lines(effects)[0].text == text
    assert session.meeting.items[-1].text == "spaced\tout  \x02bold\x02"


def test_the_bot_keeps_being_the_bot_after_a_nick_change() -> None:
    from datetime import UTC, datetime

    from gavel.core.events import Message, NickChange
    from gavel.core.meeting import Meeting, MeetingSettings

    meeting = Meeting(MeetingSettings(channel="#c", bot_nick="gavel_"))
    t = datetime(2024, 1, 1, tzinfo=UTC)
    meeting.handle(Message(t, "alice", "#startmeeting"))
    meeting.handle(NickChange(t, "gavel_", "gavel"))
    meeting.handle(Message(t, "gavel", "#topic not a command from the bot"))
    assert meeting.items == [] and [nick for nick, _ in meeting.people()] == ["alice"]


def test_replies_show_times_in_the_configured_zone() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from gavel.core.effects import Say
    from gavel.core.events import Message
    from gavel.core.meeting import Meeting, MeetingSettings

    meeting = Meeting(MeetingSettings(channel="#c", timezone=ZoneInfo("Europe/Berlin")))
    start = datetime(2016, 3, 16, 14, 30, 39, tzinfo=UTC)
    said = [e.text for e in meeting.handle(Message(start, "a", "#startmeeting")) if isinstance(e, Say)]
    assert said[0].startswith("Meeting started Wed Mar 16 15:30:39 2016 CET and is due to finish in 60 minutes.")
    said = [e.text for e in meeting.handle(Message(start, "a", "#endmeeting")) if isinstance(e, Say)]
    assert said[0].startswith("Meeting ended Wed Mar 16 15:30:39 2016 CET.")
    assert meeting.started_at == start  # file names (the runtime's) come from this UTC time
