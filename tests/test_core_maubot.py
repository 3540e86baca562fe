"""maubot-meetings' spellings (!startmeeting, !sm, ^info ...) for Matrix rooms that move from it."""

from __future__ import annotations

from gavel.core import MeetingSettings
from gavel.core.commands import MAUBOT_SPELLINGS, parse, parse_maubot
from gavel.core.meeting import MeetingState
from strategies import Session, says

MAUBOT = MeetingSettings(channel="#meeting:example.org", maubot_spellings=True)


def test_every_spelling_names_a_command() -> None:
    for spelling, name in MAUBOT_SPELLINGS.items():
        parsed = parse_maubot(f"{spelling} some text")
        assert parsed is not None and parsed[0].name == name and parsed[1] == "some text"
    assert parse_maubot("!smx") is None and parse_maubot("^") is None and parse_maubot("!") is None
    assert parse("!sm") is None  # only where the setting asks for them
    assert parse("!sm", maubot=True) is not None and parse("#startmeeting", maubot=True) is not None


def test_a_meeting_run_the_maubot_way() -> None:
    session = Session(MAUBOT)
    session.say("alice", "!sm fedora council")
    assert session.meeting.state is MeetingState.RUNNING and session.meeting.name == "fedora_council"
    session.say("alice", "!t budget")
    assert says(session.say("bob", "^info the numbers are in")) == []  # quiet, as maubot
    session.say("alice", "^action bob to send the numbers")
    session.say("alice", "!em")
    assert session.meeting.ended_at is not None
    assert [(item.kind.value, item.text) for item in session.meeting.items] == [
        ("topic", "budget"),
        ("info", "the numbers are in"),
        ("action", "bob to send the numbers"),
    ]


def test_without_the_setting_they_are_chat() -> None:
    session = Session(MeetingSettings(channel="#c"))
    session.say("alice", "!sm")
    assert session.meeting.state is MeetingState.IDLE
