"""An edit carries the mentions of its new text: an edited ``#action`` belongs to whom the new text names, exactly as
if the line had been said that way (the core, the journal and the Matrix protocol)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.core import Meeting, MeetingSettings, Message
from gavel.core.events import Edit, Join
from gavel.core.records import Item
from gavel.render.view import build_view
from gavel.storage.journal_codec import decode_event, encode_event
from gavel.transports.matrix.protocol import MatrixClient
from strategies import T0
from test_matrix_protocol import events, member, message, sync

A = "@alice:x"
SETTINGS = MeetingSettings(channel="!r:x", bot_nick="gavelbot")


def meeting_with(first: str, mentions: tuple[str, ...] = ()) -> Meeting:
    """alice starts a meeting; bob and Carol Ann are in the room; alice says ``first`` (id ``$1``)."""
    meeting = Meeting(SETTINGS)
    meeting.handle(Message(T0, "alice", "#startmeeting", A, "$0"))
    meeting.handle(Join(T0, "bob", "@bob:x"))
    meeting.handle(Join(T0, "Carol Ann", "@carol:x"))
    meeting.handle(Message(T0 + timedelta(seconds=1), "alice", first, A, "$1", mentions=mentions))
    return meeting


def edited(meeting: Meeting, text: str, mentions: tuple[str, ...] = ()) -> Meeting:
    meeting.handle(Edit(T0 + timedelta(seconds=2), "alice", "$1", text, A, "$e", mentions))
    return meeting


def owners(meeting: Meeting) -> dict[str, list[str]]:
    view = build_view(meeting, log_basename="x")
    return {owner.nick: [item.text for item in owner.actions] for owner in view.actions_by_person}


def test_an_action_edited_to_name_an_owner_by_reference_is_theirs() -> None:
    meeting = edited(meeting_with("#action fix the build"), "#action fix the build today", ("Carol Ann",))
    [item] = meeting.items
    assert item.owners == ("Carol Ann",) and item.corrected_from == "fix the build"
    assert owners(meeting) == {"Carol Ann": ["fix the build today"]}
    assert "Carol Ann" in meeting.action_nicks()


def test_an_edit_that_only_adds_a_mention_changes_the_owner_and_not_the_text() -> None:
    meeting = edited(meeting_with("#action fix the build"), "#action fix the build", ("Carol Ann",))
    [item] = meeting.items
    assert (item.text, item.owners, item.corrected_from) == ("fix the build", ("Carol Ann",), None)


def test_an_edit_without_the_mention_drops_the_owner_and_never_gives_the_bot() -> None:
    meeting = edited(meeting_with("#action fix the build", ("Carol Ann",)), "#action fix the build", ("gavelbot",))
    [item] = meeting.items
    assert item.owners == ()


def test_chat_edited_into_an_action_with_a_mention_and_info_into_action() -> None:
    meeting = edited(meeting_with("#acton fix it"), "#action fix it", ("bob",))
    assert [(item.kind.value, item.text, item.owners) for item in meeting.items] == [("action", "fix it", ("bob",))]
    meeting = edited(meeting_with("#info fix it"), "#action fix it", ("bob",))
    assert [(item.kind.value, item.owners) for item in meeting.items] == [("action", ("bob",))]


def test_an_edit_with_mentions_undoes_in_one_step() -> None:
    meeting = edited(meeting_with("#action fix the build"), "#action fix the build", ("bob",))
    meeting.handle(Message(T0 + timedelta(seconds=3), "alice", "#undo", A, "$u"))
    [item] = meeting.items
    assert item.owners == ()


def _comparable(items: list[Item]) -> list[tuple[object, ...]]:
    return [(i.kind, i.text, i.nick, i.time, i.line, i.topic, i.owners) for i in items]


LINES = st.sampled_from(
    (
        "#action fix the build",
        "#action bob fixes the build",
        "#info fix the build",
        "#agreed ship it",
        "#idea a new idea",
        "#link https://example.org/x",
        "https://example.org/y",
        "just chat",
        "#acton typo",
    )
)
MENTIONS = st.lists(st.sampled_from(("bob", "Carol Ann", "gavelbot", "dave")), max_size=3, unique=True).map(tuple)


@settings(max_examples=150, deadline=None)
@given(first=LINES, second=LINES, mentions=MENTIONS)
def test_an_edit_makes_the_items_and_owners_the_new_line_would_have_made(
    first: str, second: str, mentions: tuple[str, ...]
) -> None:
    """Said as ``first`` then edited into ``second`` with ``mentions`` == said as ``second`` with them (but for the
    mark of a correction, and the edit's own log line)."""
    after_edit = edited(meeting_with(first), second, mentions)
    said_so = meeting_with(second, mentions)
    assert _comparable(after_edit.items) == _comparable(said_so.items)
    assert owners(after_edit) == owners(said_so)


def test_the_journal_keeps_an_edits_mentions() -> None:
    event = Edit(T0, "alice", "$1", "#action x", A, "$e", ("Carol Ann", "bob"))
    assert decode_event(encode_event(event)) == event
    assert b'"m":["Carol Ann","bob"]' in encode_event(event)


def test_a_matrix_edit_carries_the_mentions_and_pills_of_its_new_content() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:x", "A"), member("@b:x", "Bee"), member("@c:x", "Cee")]))
    new = {
        "body": "#action Cee and Bee fix it",
        "format": "org.matrix.custom.html",
        "formatted_body": '#action <a href="https://matrix.to/#/@c:x">Cee</a> and Bee fix it',
        "m.mentions": {"user_ids": ["@b:x"]},
    }
    relates = {"rel_type": "m.replace", "event_id": "$old"}
    # The outer content's mentions are the edit's notification only: they are not the new text's.
    edit = message("@a:x", "* x", **{"m.relates_to": relates, "m.new_content": new, "m.mentions": {"user_ids": []}})
    edit["event_id"] = "$ed"
    [event] = events(client.receive_sync(sync(timeline=[edit])))
    assert event == Edit(event.time, "A", "$old", "#action Cee and Bee fix it", "@a:x", "$ed", ("Bee", "Cee"))
