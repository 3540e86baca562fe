"""#undo: removes the last minutes item and restores what it changed."""

from __future__ import annotations

import pytest

from gavel.core import Say, SetTopic
from gavel.core.records import ItemKind
from strategies import says, started, topics

ITEM_LINES = [
    "#info x",
    "#idea x",
    "#help x",
    "#halp x",
    "#link https://x",
    "https://example.org/auto-link",
    "#action x",
    "#agreed x",
    "#accepted x",
    "#rejected x",
    "#topic x",
]


def test_nothing_to_undo() -> None:
    session = started()
    assert says(session.say("alice", "#undo")) == ["alice: there is nothing to undo."]


@pytest.mark.parametrize("line", ITEM_LINES)
def test_undo_removes_the_last_item(line: str) -> None:
    session = started()
    session.say("alice", "#info keep me")
    before = session.meeting.minutes_state()
    session.say("alice", line)
    assert session.meeting.minutes_state() != before
    item = session.meeting.items[-1]
    effects = session.say("alice", "#UNDO")
    assert says(effects) == [f"Removing item from minutes: {item.kind.label}: {item.text}"]
    assert session.meeting.minutes_state() == before
    assert [i.text for i in session.meeting.items] == ["keep me"]


def test_undo_reply_labels() -> None:
    session = started()
    session.say("alice", "#agreed we ship")
    assert says(session.say("alice", "#undo")) == ["Removing item from minutes: AGREED: we ship"]
    session.say("bob", "#action: bob writes docs")
    assert says(session.say("alice", "#undo")) == ["Removing item from minutes: ACTION: bob writes docs"]


def test_undo_topic_restores_the_previous_topic() -> None:
    session = started()
    session.say("alice", "#meetingtopic Weekly")
    session.say("alice", "#topic One")
    session.say("bob", "#info under one")
    session.say("alice", "#topic Two")
    effects = session.say("alice", "#undo")
    assert says(effects) == ["Removing item from minutes: TOPIC: Two"]
    assert topics(effects) == ["One (Meeting topic: Weekly)"]
    assert session.meeting.current_topic == "One"
    # New items fall under the restored topic.
    session.say("bob", "#info under one again")
    assert session.meeting.items[-1].topic == "One"


def test_undo_everything_back_to_no_topic() -> None:
    session = started()
    session.say("alice", "#topic One")
    session.say("bob", "#idea i")
    session.say("alice", "#undo")
    assert session.meeting.current_topic == "One"
    effects = session.say("alice", "#undo")
    assert effects[1:] == [Say("Removing item from minutes: TOPIC: One"), SetTopic("")]
    assert session.meeting.current_topic is None
    assert session.meeting.items == []
    assert says(session.say("alice", "#undo")) == ["alice: there is nothing to undo."]


def test_undo_a_vote() -> None:
    session = started()
    session.say("alice", "#startvote Ship it?")
    session.say("bob", "#vote yes")
    before = session.meeting.minutes_state()
    session.say("alice", "#endvote")
    assert len(session.meeting.votes) == 1
    assert says(session.say("alice", "#undo")) == [
        "Removing item from minutes: VOTE: Ship it? (yes=1, no=0, abstain=0)"
    ]
    assert session.meeting.votes == []
    assert session.meeting.minutes_state() == before


def test_undo_removes_the_last_of_two_similar_votes() -> None:
    session = started()
    for _ in range(2):
        session.say("alice", "#startvote Same?")
        session.say("alice", "#endvote")
    session.say("alice", "#undo")
    assert len(session.meeting.votes) == 1
    assert session.meeting.votes[0].line == 2


def test_undo_is_for_chairs() -> None:
    session = started()
    session.say("bob", "#info bob's")
    assert says(session.say("bob", "#undo")) == ["bob: only chairs can undo items."]
    assert len(session.meeting.items) == 1


def test_undo_removes_anyones_item() -> None:
    session = started()
    session.say("bob", "#info bob's")
    session.say("alice", "#undo")
    assert session.meeting.items == []


def test_undo_does_not_touch_name_title_or_chairs() -> None:
    session = started(name="Original")
    session.say("alice", "#info x")
    session.say("alice", "#meetingname renamed")
    session.say("alice", "#meetingtopic A title")
    session.say("alice", "#chair bob")
    session.say("alice", "#undo")
    meeting = session.meeting
    assert (meeting.name, meeting.title, meeting.chairs, meeting.items) == ("renamed", "A title", ["alice", "bob"], [])


def test_undo_while_lurking_is_silent_but_works() -> None:
    session = started()
    session.say("alice", "#topic One")
    session.say("alice", "#lurk")
    effects = session.say("alice", "#undo")
    assert says(effects) == [] and topics(effects) == []
    assert session.meeting.items == []
    assert session.meeting.current_topic is None


def test_refused_and_usage_lines_leave_nothing_to_undo() -> None:
    session = started()
    session.say("bob", "#topic no")
    session.say("alice", "#info")
    session.say("bob", "#agreed no")
    assert says(session.say("alice", "#undo")) == ["alice: there is nothing to undo."]


def test_undo_many_in_a_row() -> None:
    session = started()
    states = [session.meeting.minutes_state()]
    for line in ITEM_LINES:
        session.say("alice", line)
        states.append(session.meeting.minutes_state())
    kinds = [item.kind for item in session.meeting.items]
    assert kinds[-1] is ItemKind.TOPIC and kinds.count(ItemKind.LINK) == 2
    for expected in reversed(states[:-1]):
        session.say("alice", "#undo")
        assert session.meeting.minutes_state() == expected
