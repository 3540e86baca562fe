"""The agenda (#agenda+, #agenda, #agenda-, #agenda N = text, #next, #take N), #timebox, and the speaker queue."""

from __future__ import annotations

from datetime import timedelta

from gavel.core import Meeting, MeetingSettings, Message
from gavel.core.agenda import Status
from gavel.core.records import ItemKind
from gavel.render.minutes import render_html, render_markdown, render_text
from gavel.render.minutes_json import as_data
from gavel.render.view import build_view
from strategies import T0, Session, says, started, topics


def with_agenda(*titles: str) -> Session:
    session = started()
    for title in titles:
        session.say("bob", f"#agenda+ {title}")
    return session


def statuses(session: Session) -> list[str]:
    return [agendum.status.value for agendum in session.meeting.agenda.items]


def test_anyone_adds_and_the_bot_lists_the_agenda_numbered_with_status() -> None:
    session = started()
    assert says(session.say("bob", "agenda+ Budget")) == ["Agendum 1 added: Budget"]
    assert says(session.say("carol", "#agenda+ Release")) == ["Agendum 2 added: Release"]
    session.say("alice", "#next")
    assert says(session.say("bob", "#agenda")) == ["Agenda:", "1. Budget [current, 0 min]", "2. Release [open]"]
    assert session.meeting.agenda.items[0].proposer == "bob"


def test_next_closes_the_current_agendum_and_takes_up_the_next_open_one_as_the_topic() -> None:
    session = with_agenda("Budget", "Release", "Party")
    session.say("alice", "#agenda- 2")
    assert topics(session.say("alice", "#next")) == ["Budget"]
    effects = session.say("alice", "#next")
    assert says(effects) == ["Agendum 3 taken up: Party"] and topics(effects) == ["Party"]
    assert statuses(session) == ["done", "skipped", "current"]
    assert [item.text for item in session.meeting.items if item.kind is ItemKind.TOPIC] == ["Budget", "Party"]
    assert says(session.say("alice", "#next")) == ["Agendum 3 closed; no open agendum is left."]
    assert statuses(session) == ["done", "skipped", "done"]


def test_take_up_any_agendum_by_number_also_as_zakim_says_it() -> None:
    session = with_agenda("Budget", "Release")
    assert topics(session.say("alice", "#take 2")) == ["Release"]
    assert topics(session.say("alice", "take up agendum 1")) == ["Budget"]
    assert statuses(session) == ["current", "done"]
    assert says(session.say("alice", "take up item 1")) == ["alice: agendum 1 is the current one already."]
    assert says(session.say("bob", "take up agendum 2")) == []  # a non-chair's bare line is chat
    assert session.meeting.current_topic == "Budget"


def test_time_spent_adds_up_each_time_an_agendum_is_current() -> None:
    session = with_agenda("Budget", "Release")
    session.say("alice", "#take 1", at=timedelta(minutes=1))
    session.say("alice", "#take 2", at=timedelta(minutes=4))
    session.say("alice", "#take 1", at=timedelta(minutes=5))
    session.say("alice", "#endmeeting", at=timedelta(minutes=7))
    budget, release = session.meeting.agenda.items
    assert (budget.spent, release.spent) == (timedelta(minutes=5), timedelta(minutes=1))
    assert budget.status is Status.DONE and budget.taken_at == T0 + timedelta(minutes=1)


def test_chairs_retitle_and_skip_agenda_items() -> None:
    session = with_agenda("Budjet")
    assert says(session.say("alice", "#agenda 1 = Budget")) == ["Agendum 1 is now: Budget"]
    assert says(session.say("bob", "#agenda 1 = Mine")) == ["bob: only chairs can change the agenda."]
    assert says(session.say("bob", "#agenda- 1")) == ["bob: only chairs can change the agenda."]
    assert says(session.say("alice", "#agenda- 1")) == ["Agendum 1 skipped: Budget"]
    assert says(session.say("alice", "#agenda- 1")) == ["alice: agendum 1 is skipped already."]


def test_bad_agenda_numbers_get_a_clear_reply() -> None:
    session = with_agenda("Budget")
    assert says(session.say("alice", "#take 3")) == ["alice: there is no agendum 3; the agenda has 1."]
    assert says(session.say("alice", "#take 0")) == ["alice: there is no agendum 0; the agenda has 1."]
    assert says(session.say("alice", "#take ²")) == ["alice: usage: #take <N>"]
    assert says(session.say("alice", "#agenda- x")) == ["alice: usage: #agenda- <N>"]
    assert says(session.say("alice", "#agenda- 99")) == ["alice: there is no agendum 99; the agenda has 1."]
    assert says(session.say("alice", "#agenda 99 = Party")) == ["alice: there is no agendum 99; the agenda has 1."]
    assert statuses(session) == ["open"] and session.meeting.agenda.items[0].title == "Budget"
    assert says(session.say("alice", "#agenda 1 Budget")) == ["alice: usage: #agenda <N> = <text>"]
    assert says(session.say("alice", "#agenda+")) == ["alice: usage: #agenda+ <text>"]
    assert says(started().say("alice", "#next")) == ["The agenda is empty; add to it with #agenda+ <text>."]


def test_undo_takes_back_agenda_changes_and_a_take_up_in_one_step() -> None:
    session = with_agenda("Budget", "Release")
    session.say("alice", "#take 1")
    before = session.meeting.minutes_state()
    effects = session.say("alice", "#next")
    assert says(session.say("alice", "#undo"))[0] == "Removing item from minutes: TOPIC: Release"
    assert session.meeting.minutes_state() == before and statuses(session) == ["current", "open"]
    session.say("bob", "#agenda+ Party")
    assert says(session.say("alice", "#undo")) == ["Undid the last change to the agenda."]
    assert len(session.meeting.agenda.items) == 2 and effects


def test_a_timebox_warns_once_at_80_percent_and_once_when_time_is_up() -> None:
    session = with_agenda("Budget")
    session.say("alice", "#take 1", at=timedelta(minutes=1))
    assert says(session.say("alice", "#timebox 10", at=timedelta(minutes=2))) == [
        "Timebox for Budget: 10 minutes (9 minutes left)."
    ]
    assert says(session.tick(at=timedelta(minutes=8, seconds=59))) == []
    assert says(session.tick(at=timedelta(minutes=9))) == ["2 minutes left for Budget"]
    assert says(session.tick(at=timedelta(minutes=10))) == []
    assert says(session.tick(at=timedelta(minutes=11))) == ["Time is up for Budget."]
    assert says(session.tick(at=timedelta(minutes=12))) == []
    assert session.meeting.agenda.items[0].timebox_minutes == 10


def test_a_tick_past_the_whole_timebox_says_only_that_time_is_up() -> None:
    session = started()
    session.say("alice", "#topic Budget", at=timedelta(0))
    session.say("alice", "#timebox 1")
    assert says(session.tick(at=timedelta(minutes=5))) == ["Time is up for Budget."]
    assert says(session.tick(at=timedelta(minutes=6))) == []


def test_a_new_topic_ends_the_timebox() -> None:
    session = started()
    session.say("alice", "#topic Budget")
    session.say("alice", "#timebox 1")
    session.say("alice", "#topic Party")
    assert says(session.tick(at=timedelta(minutes=5))) == []


def test_bad_timeboxes_get_a_clear_reply() -> None:
    session = started()
    usage = "alice: usage: #timebox <minutes>, a whole number from 1 to 1440."
    assert says(session.say("alice", "#timebox 5")) == [
        "alice: there is no topic to timebox; set one with #topic or #take first."
    ]
    session.say("alice", "#topic Budget")
    for bad in ("-5", "x", "0", "", "1441", "²", "5 minutes"):
        assert says(session.say("alice", f"#timebox {bad}".rstrip())) == [usage], bad
    assert says(session.say("bob", "#timebox 5")) == ["bob: only chairs can set timeboxes."]


def test_the_speaker_queue_in_zakims_words() -> None:
    session = started()
    assert says(session.say("bob", "q+ about money")) == []
    session.say("carol", "q+")
    session.say("bob", "q+")  # keeps the place and the note
    assert says(session.say("dave", "q?")) == ["Queue: bob (about money), carol"]
    assert says(session.say("alice", "ack next")) == ["bob has the floor (about money)."]
    assert says(session.say("carol", "q-")) == []
    assert says(session.say("carol", "q-")) == ["carol: you were not on the queue."]
    assert says(session.say("alice", "ack next")) == ["The queue is empty."]
    assert says(session.say("alice", "ack dave")) == ["dave has the floor."]
    assert says(session.say("bob", "ack next")) == []  # a non-chair's "ack ..." is chat
    assert says(session.say("alice", "#ack")) == ["alice: usage: ack <nick> | ack next"]
    assert session.meeting.items == []


def test_the_queue_follows_nick_changes_and_a_new_agendum_clears_it() -> None:
    session = with_agenda("Budget")
    session.say("bob", "q+")
    session.rename("bob", "bobby")
    assert says(session.say("dave", "q?")) == ["Queue: bobby"]
    session.say("alice", "#next")
    assert says(session.say("dave", "q?")) == ["The queue is empty."]


def test_chat_that_only_looks_like_zakim_stays_chat() -> None:
    session = started()
    for text in ("q+1", "ack, will do", "ack will do", "take up the slack", "take up agendum x"):
        assert says(session.say("alice", text)) == [], text
    assert session.meeting.queue.entries() == [] and session.meeting.agenda.items == []


def test_queue_lines_outside_a_meeting_do_nothing() -> None:
    meeting = Meeting(MeetingSettings(channel="#x"))
    for text in ("q+", "q?", "agenda+ x", "ack next", "take up agendum 1"):
        assert meeting.handle(Message(T0, "bob", text)) == []


def test_unfinished_minutes_count_the_current_agendum_up_to_the_end_of_the_log() -> None:
    session = with_agenda("Budget", "Party")
    session.say("alice", "#take 1", at=timedelta(minutes=1))
    session.say("alice", "#timebox 3")
    session.say("bob", "still talking", at=timedelta(minutes=5, seconds=30))
    view = build_view(session.meeting, log_basename="x")
    budget, party = view.agenda
    assert (budget.status, budget.minutes_spent, budget.timebox_minutes) == ("current", 4.5, 3)
    assert budget.time_text == "current, 4.5 of 3 minutes (over)"
    assert (party.status, party.minutes_spent, party.time_text) == ("open", None, "open")
    data = as_data(view)["agenda"]
    assert data[0]["taken_at"] == "2016-03-16T14:31:39Z" and data[0]["closed_at"] is None
    assert "1. Budget (bob): current, 4.5 of 3 minutes (over)" in render_text(view)
    assert "## Agenda" in render_markdown(view) and 'id="agenda"' in render_html(view)


def test_minutes_without_an_agenda_have_no_agenda_section() -> None:
    view = build_view(started().meeting, log_basename="x")
    assert "Agenda" not in render_text(view) + render_markdown(view) and 'id="agenda"' not in render_html(view)


def test_a_timebox_on_a_plain_topic_is_in_every_writer_with_the_time_spent() -> None:
    session = started()
    session.say("alice", "#topic Budget", at=timedelta(minutes=1))
    session.say("alice", "#timebox 2")
    session.say("alice", "#topic Party", at=timedelta(minutes=4))
    session.say("alice", "#endmeeting", at=timedelta(minutes=5, seconds=30))
    view = build_view(session.meeting, log_basename="x")
    budget, party = view.topics
    assert (budget.timebox_minutes, budget.minutes_spent) == (2, 3.0)  # up to the next topic
    assert (party.timebox_minutes, party.minutes_spent, party.timebox_text) == (None, None, "")
    assert budget.timebox_text == "timebox: 3 of 2 minutes, over"
    assert "* Budget (timebox: 3 of 2 minutes, over)  (alice, 14:31:39)" in render_text(view)
    assert "### Budget \\(timebox: 3 of 2 minutes, over\\)" in render_markdown(view)
    assert '<span class="details timebox">(timebox: 3 of 2 minutes, over)</span>' in render_html(view)
    assert [(t["title"], t["timebox_minutes"], t["minutes_spent"]) for t in as_data(view)["topics"]] == [
        ("Budget", 2, 3.0),
        ("Party", None, None),
    ]
    assert view.agenda == ()


def test_the_last_timeboxed_topic_counts_to_the_end_and_undo_takes_a_timebox_back() -> None:
    session = started()
    session.say("alice", "#topic Budget", at=timedelta(minutes=1))
    session.say("alice", "#timebox 5")
    session.say("alice", "#timebox 2")  # set again: the last one counts
    session.say("bob", "still talking", at=timedelta(minutes=2, seconds=30))
    [budget] = build_view(session.meeting, log_basename="x").topics  # unfinished: up to the last line
    assert (budget.timebox_minutes, budget.minutes_spent, budget.timebox_text) == (2, 1.5, "timebox: 1.5 of 2 minutes")
    session.say("alice", "#undo")
    session.say("alice", "#undo")
    [budget] = build_view(session.meeting, log_basename="x").topics
    assert (budget.timebox_minutes, budget.minutes_spent) == (None, None)


def test_a_timebox_on_a_topic_under_an_agendum_is_the_topics_own() -> None:
    session = with_agenda("Budget")
    session.say("alice", "#take 1", at=timedelta(minutes=1))
    session.say("alice", "#timebox 10")
    session.say("alice", "#topic Budget: travel", at=timedelta(minutes=2))
    assert says(session.say("alice", "#timebox 1")) == ["Timebox for Budget: travel: 1 minute (1 minute left)."]
    assert says(session.tick(at=timedelta(minutes=3))) == ["Time is up for Budget: travel."]
    session.say("alice", "#endmeeting", at=timedelta(minutes=4))
    view = build_view(session.meeting, log_basename="x")
    assert [(t.text, t.timebox_minutes, t.minutes_spent) for t in view.topics] == [
        ("Budget", 10, 1.0),
        ("Budget: travel", 1, 2.0),
    ]
    [budget] = view.agenda  # the agendum keeps its own timebox, and counts the time under its sub-topic
    assert (budget.timebox_minutes, budget.minutes_spent) == (10, 3.0)
