"""Attendance (#present+, #here, #present-, #regrets+) and corrections (s/old/new/, #fix N), with #undo."""

from __future__ import annotations

import time
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core import Meeting, MeetingSettings, Message
from strategies import T0, says, started

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_present_lists_speakers_then_declared_nicks() -> None:
    session = started()
    session.say("bob", "hello")
    session.say("carol", "#present+ dave Erin")
    assert says(session.say("zed", "#here")) == ["Present: alice, bob, carol, zed, dave, Erin"]
    session.say("carol", "#regrets+ frank, gina")
    assert session.meeting.present() == ["carol", "alice", "bob", "zed", "dave", "Erin"]  # most lines first
    assert session.meeting.regrets() == ["frank", "gina"]


def test_present_minus_takes_back_a_declaration_only() -> None:
    session = started()
    session.say("carol", "#present+ dave")
    assert says(session.say("carol", "#present- dave nobody")) == [
        "carol: nobody had not been declared present.",
        "Present: carol, alice",
    ]
    assert says(session.say("carol", "#present-")) == ["carol: usage: #present- <nick> [nick ...]"]
    assert says(session.say("carol", "#regrets+")) == ["carol: usage: #regrets+ <nick> [nick ...]"]


def test_a_declared_nick_follows_its_nick_change() -> None:
    session = started()
    session.say("alice", "#present+ dave")
    session.rename("dave", "dave_")
    session.say("dave_", "hi")
    assert session.meeting.present() == ["alice", "dave_"]


def test_a_correction_changes_the_speakers_latest_matching_item() -> None:
    session = started()
    session.say("bob", "#info the relase is friday")
    session.say("bob", "#info the relase notes are long")
    session.say("carol", "#info relase? carol's item")
    assert says(session.say("bob", "s/relase is/release is/")) == ["Corrected item 1: INFO: the release is friday"]
    item = session.meeting.items[0]
    assert (item.text, item.corrected_from) == ("the release is friday", "the relase is friday")
    assert says(session.say("bob", "s/nothing like this/x/")) == [
        "bob: no item of yours contains 'nothing like this'; nothing was changed."
    ]
    assert says(session.say("bob", "s///")) == ["bob: nothing to replace: say s/old text/new text/"]
    assert [i.text for i in session.meeting.items][1:] == ["the relase notes are long", "relase? carol's item"]


def test_of_two_matching_items_the_latest_is_corrected() -> None:
    session = started()
    session.say("bob", "#info teh first")
    session.say("bob", "#info teh second")
    session.say("bob", "s/teh/the/")
    assert [i.text for i in session.meeting.items] == ["teh first", "the second"]


def test_a_correction_is_plain_text_never_a_pattern() -> None:
    session = started()
    session.say("bob", "#info costs (a+)+ money.*")
    session.say("bob", "s/(a+)+ money.*/nothing/")
    assert session.meeting.items[0].text == "costs nothing"
    session.say("bob", "#info a cat and a dog")
    session.say("bob", "s/a /one /")
    assert session.meeting.items[1].text == "one cat and a dog"  # the first place only, as scribe.perl does


def test_a_correction_that_would_be_a_catastrophic_pattern_is_text_and_quick() -> None:
    session = started()
    session.say("bob", "#info " + "a" * 24 + "!")
    begun = time.perf_counter()
    # as a regular expression, (a+)+$ on 24 a's and a "!" backtracks for seconds (measured 4 s here)
    assert says(session.say("bob", "s/(a+)+$/x/")) == ["bob: no item of yours contains '(a+)+$'; nothing was changed."]
    session.say("bob", "#info (a+)+$ is slow")
    assert says(session.say("bob", "s/(a+)+$/a+/")) == ["Corrected item 2: INFO: a+ is slow"]
    assert time.perf_counter() - begun < 0.5


def test_a_correction_follows_the_person_across_nick_changes() -> None:
    session = started()
    session.say("bob", "#action bob to wirte docs")
    session.rename("bob", "bob_")
    session.say("bob_", "s/wirte/write/")
    assert session.meeting.items[0].text == "bob to write docs"


def test_chairs_fix_any_item_by_number() -> None:
    session = started()
    session.say("alice", "#topic Budjet")
    session.say("bob", "#info under Budjet")
    assert says(session.say("bob", "#fix 1 s/jet/get/")) == ["bob: only chairs can correct items."]
    effects = session.say("alice", "#fix 1 s/jet/get/")
    assert says(effects) == ["Corrected item 1: TOPIC: Budget"]
    assert session.meeting.current_topic == "Budget" and session.meeting.items[1].topic == "Budget"
    assert says(session.say("alice", "#fix 99 s/a/b/")) == [
        "alice: there is no item 99 (the minutes have 2 items, numbered from 1)."
    ]
    assert says(session.say("alice", "#fix x")) == ["alice: usage: #fix <N> s/old/new/"]
    assert says(session.say("alice", "#undo")) == ["Undid the correction of item 1: Budjet"]
    assert session.meeting.current_topic == "Budjet" and session.meeting.items[1].topic == "Budjet"


def test_fix_with_a_digit_that_is_no_number_gets_the_usage() -> None:
    session = started()
    session.say("alice", "#info a")
    assert says(session.say("alice", "#fix ² s/a/b/")) == ["alice: usage: #fix <N> s/old/new/"]


def test_undo_takes_back_attendance() -> None:
    session = started()
    session.say("alice", "#regrets+ bob")
    session.say("alice", "#present+ bob")
    assert session.meeting.regrets() == []
    assert says(session.say("alice", "#undo")) == ["Undid the last change to attendance."]
    assert session.meeting.regrets() == ["bob"] and session.meeting.present() == ["alice"]


def test_bare_lines_outside_a_meeting_do_nothing() -> None:
    meeting = Meeting(MeetingSettings(channel="#x"))
    assert meeting.handle(Message(T0, "bob", "s///")) == []
    assert meeting.handle(Message(T0, "bob", "#present+")) == []


TOOL_LINES = st.sampled_from(
    (
        "#info the relase",
        "#topic Budjet",
        "#action bob to wirte",
        "s/relase/release/",
        "s/jet/get/",
        "s///",
        "s/zzz/y/",
        "#fix 1 s/e/E/",
        "#fix 2 s/wirte/write/",
        "#fix 0 s/a/b/",
        "#fix 99 s/a/b/",
        "#present+",
        "#present+ dave carol",
        "#here",
        "#present- dave",
        "#present- nobody",
        "#regrets+ erin",
        "#regrets+ carol",
        "#undo",
        "hello",
        "#agenda+ Budget",
        "agenda+ Party",
        "#agenda- 1",
        "#agenda 2 = Release",
        "#agenda 9 = x",
        "#next",
        "#take 1",
        "take up agendum 2",
        "#timebox 5",
        "#timebox -5",
        "q+ me",
        "ack next",
    )
)


@FAST
@given(st.lists(st.tuples(st.sampled_from(("alice", "bob", "carol")), TOOL_LINES), max_size=25))
def test_undo_restores_the_minutes_after_any_change(lines: list[tuple[str, str]]) -> None:
    """Any interleaving of these commands never raises, and whenever a line changed the minutes (items, topic,
    votes, attendance, agenda and timebox), ``#undo`` right after it restores them."""
    meeting = Meeting(MeetingSettings(channel="#x"))
    meeting.handle(Message(T0, "alice", "#startmeeting"))
    meeting.handle(Message(T0, "alice", "#chair bob"))
    for second, (nick, text) in enumerate(lines, 1):
        now = T0 + timedelta(seconds=second)
        before = meeting.minutes_state()
        meeting.handle(Message(now, nick, text))
        after = meeting.minutes_state()
        if after != before and text != "#undo" and second % 2:
            meeting.handle(Message(now, "alice", "#undo"))
            assert meeting.minutes_state() == before
