"""#done: open action items of earlier meetings of the series, listed at the start and marked done."""

from __future__ import annotations

from datetime import timedelta

from gavel.core.events import OpenAction, OpenActions
from gavel.core.records import ItemKind
from gavel.storage.journal import decode_event, encode_event
from strategies import T0, Session, says

OPEN = OpenActions(T0, "weekly", (OpenAction("7", "alice to fix the build"), OpenAction("9", "bob to write docs")))


def started_with_actions(actions: OpenActions = OPEN) -> Session:
    session = Session()
    session.begin("alice")
    session.feed(actions)
    return session


def test_open_actions_are_listed_at_the_start() -> None:
    session = Session()
    session.begin("alice")
    assert says(session.feed(OPEN)) == [
        "Open action items from earlier weekly meetings (#done <number> when one is done):",
        "[1] alice to fix the build",
        "[2] bob to write docs",
    ]


def test_no_open_actions_says_nothing() -> None:
    session = Session()
    session.begin("alice")
    assert session.feed(OpenActions(T0, "weekly", ())) == []


def test_long_lists_are_cut() -> None:
    many = OpenActions(T0, "weekly", tuple(OpenAction(str(n), f"action {n}") for n in range(25)))
    session = Session()
    session.begin("alice")
    lines = says(session.feed(many))
    assert len(lines) == 12 and lines[-1].startswith("... and 15 more")


def test_done_by_number_and_by_text() -> None:
    session = started_with_actions()
    assert says(session.say("carol", "#done 2")) == ["Marked done: [2] bob to write docs"]
    assert says(session.say("carol", "#done FIX THE")) == ["Marked done: [1] alice to fix the build"]
    done = [item for item in session.meeting.items if item.kind is ItemKind.DONE]
    assert [(item.text, item.ref, item.nick) for item in done] == [
        ("bob to write docs", "9", "carol"),
        ("alice to fix the build", "7", "carol"),
    ]
    assert session.meeting.done_refs() == {"7", "9"}


def test_done_refusals() -> None:
    session = started_with_actions()
    assert says(session.say("carol", "#done 3")) == ["carol: no open item matches '3'."]
    assert says(session.say("carol", "#done to")) == [
        "carol: 2 open items match 'to': [1] alice to fix the build, [2] bob to write docs."
    ]
    session.say("carol", "#done 1")
    assert says(session.say("carol", "#done 1")) == ["carol: [1] is already marked done."]
    assert says(session.say("carol", "#done")) == ["carol: usage: #done <number or text>"]
    bare = Session()
    bare.begin("alice")
    assert says(bare.say("carol", "#done 1")) == ["carol: there are no open action items from earlier meetings."]


def test_undo_reopens_the_action() -> None:
    session = started_with_actions()
    session.say("carol", "#done 1")
    session.say("alice", "#undo")
    assert session.meeting.done_refs() == set()
    assert says(session.say("carol", "#done 1")) == ["Marked done: [1] alice to fix the build"]


def test_open_actions_survive_the_journal() -> None:
    event = OpenActions(T0 + timedelta(microseconds=5), "wéekly", (OpenAction("7", 'a "quoted" ✓ \n text'),))
    assert decode_event(encode_event(event)) == event
    assert decode_event(encode_event(OpenActions(T0, "s", ()))) == OpenActions(T0, "s", ())
