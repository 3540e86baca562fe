"""Edits, redactions, replies and threads in the core (Matrix's ``m.replace``, redactions, ``m.in_reply_to``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.core import Effect, Meeting, MeetingSettings, Message
from gavel.core.effects import LineKind, LogLine, Relation, ReplaceLine
from gavel.core.events import Edit, Event, Redaction
from gavel.core.records import ItemKind
from strategies import T0, Session, event_lists, log_lines, says, started, topics

A, B = "@alice:x", "@bob:x"


def said(session: Session, nick: str, text: str, msgid: str, account: str = A, **extra: Any) -> list[Effect]:
    session.now += timedelta(seconds=1)
    return session.meeting.handle(Message(session.now, nick, text, account, msgid, **extra))


def edit(
    session: Session, target: str, text: str, account: str = A, nick: str = "alice", msgid: str | None = None
) -> list[Effect]:
    session.now += timedelta(seconds=1)
    return session.meeting.handle(Edit(session.now, nick, target, text, account, msgid))


def redact(session: Session, target: str, nick: str = "alice", account: str = A) -> list[Effect]:
    session.now += timedelta(seconds=1)
    return session.meeting.handle(Redaction(session.now, nick, target, account, "$red-" + target))


def texts(meeting: Meeting) -> list[tuple[ItemKind, str]]:
    return [(item.kind, item.text) for item in meeting.items]


def test_an_edited_info_changes_its_item_and_is_logged_as_an_edit() -> None:
    session = started(account=A)
    said(session, "alice", "#info the rleease is friday", "$1")
    effects = edit(session, "$1", "#info the release is friday", msgid="$e1")
    [line] = log_lines(effects)
    assert line.kind is LineKind.NICK and line.relation is Relation.EDIT and line.refers_to == 2
    assert line.text == "alice (edited line 2): #info the release is friday"
    [item] = session.meeting.items
    assert (item.kind, item.text, item.corrected_from, item.line) == (
        ItemKind.INFO,
        "the release is friday",
        "the rleease is friday",
        2,
    )
    assert says(effects) == []  # quiet, like the item itself


def test_an_edit_by_someone_else_or_of_an_unknown_line_is_ignored() -> None:
    session = started(account=A)
    said(session, "alice", "#info mine", "$1")
    lines = session.meeting.lines
    assert edit(session, "$1", "#info hijacked", account=B, nick="alice") == []
    assert edit(session, "$nope", "#info what") == []
    assert texts(session.meeting) == [(ItemKind.INFO, "mine")] and session.meeting.lines == lines


def test_edits_turn_items_into_other_items_chat_or_back() -> None:
    session = started(account=A)
    said(session, "alice", "#info bob does it", "$1")
    said(session, "alice", "#ifno typo", "$2")
    said(session, "alice", "#idea later", "$3")
    edit(session, "$1", "#action bob does it")
    assert texts(session.meeting) == [(ItemKind.ACTION, "bob does it"), (ItemKind.IDEA, "later")]
    edit(session, "$2", "#info fixed typo")  # chat (an unknown command) becomes an item, in its place
    assert texts(session.meeting) == [
        (ItemKind.ACTION, "bob does it"),
        (ItemKind.INFO, "fixed typo"),
        (ItemKind.IDEA, "later"),
    ]
    edit(session, "$3", "never mind")  # an item edited into chat leaves the minutes
    assert texts(session.meeting) == [(ItemKind.ACTION, "bob does it"), (ItemKind.INFO, "fixed typo")]
    said(session, "alice", "https://example.org/a", "$4")
    edit(session, "$4", "https://example.org/b")
    assert texts(session.meeting)[-1] == (ItemKind.LINK, "https://example.org/b")


def test_an_edit_never_runs_a_command_that_makes_no_item() -> None:
    session = started(account=A)
    said(session, "alice", "hello", "$1")
    effects = edit(session, "$1", "#endmeeting")
    assert session.meeting.state.value == "running" and says(effects) == []
    said(session, "bob", "#info by bob", "$2", account=B)
    edit(session, "$2", "#agreed bob decides", account=B, nick="bob")  # a chair's item: bob is no chair
    assert texts(session.meeting) == []


def test_an_edited_topic_changes_the_topic_and_its_items_follow() -> None:
    session = started(account=A)
    said(session, "alice", "#topic Relase", "$t")
    said(session, "alice", "#info under it", "$i")
    effects = edit(session, "$t", "#topic Release")
    assert topics(effects) == ["Release"]
    assert [item.topic for item in session.meeting.items] == ["Release", "Release"]
    assert edit(session, "$t", "chat now") and texts(session.meeting)[0] == (ItemKind.TOPIC, "Release")


def test_undo_takes_back_an_edit_and_only_it() -> None:
    session = started(account=A)
    said(session, "alice", "#info one", "$1")
    said(session, "alice", "#info two", "$2")
    before = session.meeting.minutes_state()
    edit(session, "$1", "gone")
    assert texts(session.meeting) == [(ItemKind.INFO, "two")]
    said(session, "alice", "#undo", "$u")
    assert session.meeting.minutes_state() == before
    said(session, "alice", "#undo", "$u2")
    assert texts(session.meeting) == [(ItemKind.INFO, "one")]


def test_a_redaction_blanks_the_line_and_its_edits_and_drops_its_item_for_good() -> None:
    session = started(account=A)
    said(session, "alice", "#topic T", "$t")
    said(session, "alice", "#info secret 1234", "$1")
    edit(session, "$1", "#info secret 12345", msgid="$e")
    said(session, "alice", "#info kept", "$2")
    effects = redact(session, "$1", nick="mod", account=B)
    replaced = [effect.line for effect in effects if isinstance(effect, ReplaceLine)]
    # the edit stays an edit of line 3 (so a replay of the log applies it again), its text gone
    assert [(line.number, line.text, line.refers_to) for line in replaced] == [
        (3, "[redacted]", None),
        (4, "alice (edited line 3): [redacted]", 3),
    ]
    [logged] = log_lines(effects)
    assert logged.text == "mod redacted line 3" and logged.refers_to == 3 and logged.relation is Relation.REDACTION
    assert texts(session.meeting) == [(ItemKind.TOPIC, "T"), (ItemKind.INFO, "kept")]
    for undo in ("$u", "$u2", "$u3"):  # "kept", the edit's change, the topic: nothing brings the secret back
        said(session, "alice", "#undo", undo)
        assert all("secret" not in item.text for item in session.meeting.items)
    assert texts(session.meeting) == []
    assert redact(session, "$1") == []  # twice: nothing more


def test_a_redacted_item_leaves_the_undo_history_too() -> None:
    """A plain item is its own undo record (meeting.UndoRecord): a redaction takes it out of the history with the
    item, so each #undo after it takes back the item before, and then there is nothing left to undo."""
    session = started(account=A)
    said(session, "alice", "#info first", "$1")
    said(session, "alice", "#info secret", "$2")
    said(session, "alice", "#info last", "$3")
    redact(session, "$2")
    assert "last" in says(said(session, "alice", "#undo", "$u1"))[0]
    assert "first" in says(said(session, "alice", "#undo", "$u2"))[0]
    assert texts(session.meeting) == []
    assert says(said(session, "alice", "#undo", "$u3")) == ["alice: there is nothing to undo."]


def test_a_redacted_topic_hands_its_items_to_the_topic_before() -> None:
    session = started(account=A)
    said(session, "alice", "#topic first", "$t1")
    said(session, "alice", "#topic second", "$t2")
    said(session, "alice", "#info under second", "$i")
    redact(session, "$t2")
    assert [(item.text, item.topic) for item in session.meeting.items] == [
        ("first", "first"),
        ("under second", "first"),
    ]
    assert session.meeting.current_topic == "first"


def test_a_redaction_takes_every_line_of_its_message() -> None:
    session = started(account=A)
    said(session, "alice", "#info a", "$m")
    said(session, "alice", "#info b", "$m#2")
    effects = redact(session, "$m")
    assert len([e for e in effects if isinstance(e, ReplaceLine)]) == 2 and texts(session.meeting) == []


def test_replies_and_thread_lines_link_to_the_line_they_answer() -> None:
    session = started(account=A)
    said(session, "alice", "question?", "$q")
    [reply] = log_lines(said(session, "bob", "answer", "$a", account=B, reply_to="$q"))
    [threaded] = log_lines(said(session, "bob", "more", "$b", account=B, thread="$q"))
    [unknown] = log_lines(said(session, "bob", "re old", "$c", account=B, reply_to="$before"))
    assert (reply.relation, reply.refers_to) == (Relation.REPLY, 2)
    assert (threaded.relation, threaded.refers_to) == (Relation.THREAD, 2)
    assert (unknown.relation, unknown.refers_to) == (Relation.REPLY, None)


def test_edits_and_redactions_outside_a_meeting_do_nothing() -> None:
    meeting = Meeting(MeetingSettings(channel="!r:x"))
    assert meeting.handle(Edit(T0, "a", "$x", "#startmeeting")) == []
    assert meeting.handle(Redaction(T0, "a", "$x")) == []


@st.composite
def amended_lists(draw: st.DrawFn) -> list[Event]:
    """Meetings with message ids on their lines, and edits (mostly by the line's sender) and redactions of them (or
    of unknown ids)."""
    events: list[Event] = []
    senders: dict[str, tuple[str, str | None]] = {"$unknown": ("x", None)}
    for number, event in enumerate(draw(event_lists(max_size=25))):
        if isinstance(event, Message):
            event.msgid = f"${number}"
            senders[event.msgid] = (event.nick, event.account)
        events.append(event)
        if draw(st.integers(0, 2)) == 0:
            target = draw(st.sampled_from(sorted(senders)))
            if draw(st.booleans()):
                text = draw(st.sampled_from(["#info edited", "#action bob", "chat", "#topic new", "https://x.org", ""]))
                nick, account = senders[target] if draw(st.integers(0, 4)) else ("mallory", "@m:x")
                events.append(Edit(event.time, nick, target, text, account, f"$e{number}"))
            else:
                events.append(Redaction(event.time, "mod", target))
    return events


@settings(max_examples=200, deadline=None)
@given(amended_lists())
def test_any_sequence_of_edits_and_redactions_never_raises_and_undo_follows(events: list[Event]) -> None:
    meeting = Meeting(MeetingSettings(channel="!r:x", bot_nick="gavelbot"))
    for event in events:
        before = meeting.minutes_state()
        effects = meeting.handle(event)
        for effect in effects:
            if isinstance(effect, ReplaceLine):
                assert effect.line.text.endswith("[redacted]") and effect.line.number <= meeting.lines
                assert "edited" not in effect.line.text or effect.line.relation is Relation.EDIT
            if isinstance(effect, LogLine) and effect.refers_to is not None:
                assert 0 < effect.refers_to < effect.number
        owner, account = meeting.owner, meeting.chair_account(meeting.owner)
        running = meeting.state.value == "running"
        if (
            isinstance(event, Edit)
            and running
            and meeting.minutes_state() != before
            and meeting.is_chair(owner, account)
            and not meeting.is_bot(owner)  # (the owner may have taken the bot's nick: its lines are no commands)
        ):
            meeting.handle(Message(event.time, owner, "#undo", account))
            assert meeting.minutes_state() == before


def test_an_action_with_a_mention_belongs_to_the_person_it_names_by_reference() -> None:
    from gavel.render.view import build_view

    session = started(MeetingSettings(channel="!r:x", bot_nick="gavelbot"), account=A)
    said(session, "alice", "#action fix the build", "$1", mentions=("Bob Jones",))
    said(session, "alice", "#action Carol reviews", "$2", mentions=("gavelbot",))
    [first, second] = session.meeting.items
    assert second.owners == () and first.owners == ("Bob Jones",) and "Bob Jones" in session.meeting.action_nicks()
    view = build_view(session.meeting, log_basename="x")
    owners = {owner.nick: [item.text for item in owner.actions] for owner in view.actions_by_person}
    assert owners["Bob Jones"] == ["fix the build"]


def test_role_chairs_chair_by_account_while_their_role_lasts() -> None:
    from gavel.core.events import RoleChairs

    meeting = Meeting(MeetingSettings(channel="!r:x", bot_nick="gavelbot"))
    meeting.handle(RoleChairs(T0, (B,)))  # told before the meeting: it knows at the start
    meeting.handle(Message(T0, "alice", "#startmeeting", A, "$0"))
    meeting.handle(Message(T0, "bob", "#agreed by power", B, "$1"))
    meeting.handle(Message(T0, "bobby", "#agreed same account, other name", B, "$2"))
    meeting.handle(Message(T0, "bob", "#agreed no account: no power", None, "$3"))
    meeting.handle(RoleChairs(T0, ()))
    says_now = says(meeting.handle(Message(T0, "bob", "#agreed demoted", B, "$4")))
    assert [item.text for item in meeting.items] == ["by power", "same account, other name"]
    assert says_now and "bob" in says_now[0] and meeting.role_chairs() == ()
