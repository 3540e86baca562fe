"""``Meeting.handle_rows`` (the replay hot path) against ``Meeting.handle`` fed one event per row."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core import Effect, LogLine, Meeting, MeetingSettings, MeetingState
from gavel.core.effects import LogLines
from gavel.core.events import Edit, LineKind, NickChange, RawLine, Redaction, Row, nick_change_text, row_event
from gavel.core.meeting import WHITESPACE
from strategies import BOT, NICKS, T0, nicks, settings_strategy, texts

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def row(kind: LineKind, time: datetime, nick: str, text: str) -> Row:
    return (kind, time, f"{time:%H:%M:%S}", nick, text)


@st.composite
def row_lists(draw: st.DrawFn) -> list[Row]:
    """Log rows one to three seconds apart: mostly chat, commands and links, some actions, nick changes, raw lines."""
    rows: list[Row] = []
    time = T0
    for _ in range(draw(st.integers(min_value=0, max_value=40))):
        time += timedelta(seconds=draw(st.sampled_from((0, 0, 1, 3))))
        kind = draw(st.sampled_from([LineKind.MESSAGE] * 6 + [LineKind.ACTION, LineKind.NICK, LineKind.RAW]))
        nick = draw(st.one_of(st.sampled_from((*NICKS, BOT)), nicks))
        if kind is LineKind.NICK:  # a nick change, or (replayed from a Matrix log) an edit or a redaction
            line = draw(st.integers(min_value=1, max_value=30))
            text = draw(
                st.sampled_from(
                    (
                        nick_change_text(nick, draw(st.sampled_from(NICKS))),
                        f"{nick} (edited line {line}): {draw(st.sampled_from(('#info edited', 'chat', '#topic t')))}",
                        f"{nick} redacted line {line}",
                    )
                )
            )
            rows.append(row(kind, time, nick, text))
        elif kind is LineKind.RAW:
            rows.append(row(kind, time, "", draw(texts)))
        else:
            text = draw(st.one_of(texts, st.sampled_from(("#startmeeting", "#endmeeting", "hello there", "i see"))))
            rows.append(row(kind, time, nick, text))
    return rows


def flat(effects: list[Effect]) -> list[Any]:
    """Effects with every ``LogLines`` spread into its ``LogLine``s."""
    out: list[Any] = []
    for effect in effects:
        if isinstance(effect, LogLines):
            for number, (kind, time, stamp, nick, text) in enumerate(effect.rows, effect.first):
                assert stamp == f"{time:%H:%M:%S}"
                out.append(LogLine(number, time, kind, nick, text))
        else:
            out.append(effect)
    return out


def state(meeting: Meeting) -> tuple[Any, ...]:
    return (
        meeting.state,
        meeting.lines,
        meeting.last_activity,
        meeting.name,
        meeting.owner,
        meeting.chairs,
        tuple(meeting.items),
        meeting.people(),
        meeting.action_nicks(),
        meeting.current_topic,
        len(meeting.votes),
    )


@FAST
@given(settings_strategy, row_lists(), st.integers(min_value=0, max_value=3))
def test_handle_rows_does_what_handle_does_row_by_row(
    meeting_settings: MeetingSettings, rows: list[Row], start: int
) -> None:
    one, batch = Meeting(meeting_settings), Meeting(meeting_settings)
    for early in rows[:start]:  # a batch need not start at the first row
        one.handle(row_event(early))
        batch.handle(row_event(early))
    per_row: dict[int, list[Effect]] = {}
    states = {start: state(one)}
    for index in range(start, len(rows)):
        per_row[index] = one.handle(row_event(rows[index]))
        states[index + 1] = state(one)
    index = start
    while index < len(rows):
        effects, end = batch.handle_rows(rows, index)
        assert index < end <= len(rows)
        # The caller acts on the effects now, so the meeting must be exactly where row-by-row feeding leaves it.
        assert state(batch) == states[end]
        # ... and only the last row of a call may ask for more than logging.
        for before in range(index, end - 1):
            assert all(isinstance(effect, LogLine) for effect in per_row[before])
        assert flat(effects) == [effect for at in range(index, end) for effect in per_row[at]]
        index = end
    assert state(batch) == state(one)


@FAST
@given(row_lists())
def test_a_run_of_plain_lines_stops_only_for_effects_beyond_logging(rows: list[Row]) -> None:
    """Only a row that asks for more than logging (or ends the run of RUNNING) ends a call early."""
    meeting = Meeting(MeetingSettings(channel="#x", bot_nick=BOT))
    meeting.handle(row_event(row(LineKind.MESSAGE, T0, "alice", "#startmeeting")))
    index = 0
    while index < len(rows) and meeting.state is MeetingState.RUNNING:
        effects, end = meeting.handle_rows(rows, index)
        if end < len(rows) and meeting.state is MeetingState.RUNNING:
            assert any(not isinstance(effect, LogLine | LogLines) for effect in effects)
        index = end


def test_plain_chat_is_one_log_lines_effect_and_counts_people() -> None:
    meeting = Meeting(MeetingSettings(channel="#x", bot_nick="bot"))
    rows = [
        row(LineKind.MESSAGE, T0, "alice", "#startmeeting"),
        row(LineKind.MESSAGE, T0, "bot", "Meeting started"),
        row(LineKind.MESSAGE, T0, "Bob", "hello"),
        row(LineKind.ACTION, T0, "bob", "waves"),
        row(LineKind.RAW, T0, "", "-!- carol has joined"),
        row(LineKind.MESSAGE, T0 + timedelta(seconds=5), "alice", "i think so"),
    ]
    effects, end = meeting.handle_rows(rows)
    assert end == 1 and meeting.state is MeetingState.RUNNING  # #startmeeting: the bot answers, the caller acts
    effects, end = meeting.handle_rows(rows, end)
    assert end == len(rows)
    assert effects == [LogLines(2, rows[1:])]
    assert meeting.lines == 6 and meeting.last_activity == T0 + timedelta(seconds=5)
    assert meeting.people() == [("alice", 2), ("Bob", 2)]  # the bot is not a person; /me counts


def test_links_and_nick_changes_go_through_handle_but_stay_in_the_run() -> None:
    meeting = Meeting(MeetingSettings(channel="#x"))
    meeting.handle(row_event(row(LineKind.MESSAGE, T0, "alice", "#startmeeting")))
    rows = [
        row(LineKind.MESSAGE, T0, "bob", "hello"),
        row(LineKind.MESSAGE, T0, "bob", "https://example.org/x"),
        row(LineKind.NICK, T0, "alice", nick_change_text("alice", "alice_")),
        row(LineKind.MESSAGE, T0, "bob", "bye"),
    ]
    effects, end = meeting.handle_rows(rows)
    assert end == 4
    # Each goes through handle's methods; needing nothing but its log line, it stays in the run: one LogLines.
    assert effects == [LogLines(2, rows)]
    assert meeting.lines == 5
    assert [item.text for item in meeting.items] == ["https://example.org/x"]
    assert meeting.is_chair("alice_") and not meeting.is_chair("alice")


def test_lines_before_the_meeting_are_skipped_in_one_call() -> None:
    meeting = Meeting(MeetingSettings(channel="#x"))
    rows = [row(LineKind.MESSAGE, T0, "bob", f"chat {n}") for n in range(5)]
    rows.append(row(LineKind.MESSAGE, T0, "bob", "#startmeeting"))
    effects, end = meeting.handle_rows(rows)
    assert end == 6 and meeting.state is MeetingState.RUNNING
    assert meeting.lines == 1 and effects[1] == LogLine(1, T0, LineKind.MESSAGE, "bob", "#startmeeting")


def test_row_event_turns_only_well_made_nick_rows_into_nick_changes() -> None:
    assert row_event(row(LineKind.NICK, T0, "a", nick_change_text("a", "b"))) == NickChange(T0, "a", "b")
    assert row_event(row(LineKind.NICK, T0, "a", "a is now known as ")) == RawLine(T0, "a is now known as ")
    assert row_event(row(LineKind.NICK, T0, "a", "x is now known as b")) == RawLine(T0, "x is now known as b")


def test_row_event_turns_a_replayed_edit_or_redaction_line_into_that_event_by_line_number() -> None:
    edited = row(LineKind.NICK, T0, "a", "a (edited line 12): #info new")
    assert row_event(edited) == Edit(T0, "a", "line 12", "#info new")
    assert row_event(row(LineKind.NICK, T0, "a", "a redacted line 3")) == Redaction(T0, "a", "line 3")
    for odd in ("b redacted line 3", "a redacted line 0", "a redacted line 3 ", "a (edited line x): y", "a"):
        assert row_event(row(LineKind.NICK, T0, "a", odd)) == RawLine(T0, odd)


def test_log_line_row_has_its_stamp() -> None:
    line = LogLine(3, T0, LineKind.ACTION, "alice", "waves")
    assert line.row() == (LineKind.ACTION, T0, "14:30:39", "alice", "waves")


def test_whitespace_is_every_character_isspace_knows() -> None:
    """handle_rows finds lines that may be commands by their first character; a leading space of any kind counts."""
    assert {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()} == WHITESPACE


def test_the_bots_lines_stay_uncounted_when_its_nick_moves_on() -> None:
    """People are counted per nick and folded late: the bot's lines must be left out before the bot is renamed."""
    meeting = Meeting(MeetingSettings(channel="#x", bot_nick="gavelbot"))
    rows = [
        row(LineKind.MESSAGE, T0, "alice", "#startmeeting"),
        row(LineKind.MESSAGE, T0, "gavelbot", "Meeting started"),
        row(LineKind.NICK, T0, "gavelbot", nick_change_text("gavelbot", "gavelbot_")),
        row(LineKind.MESSAGE, T0, "GavelBot", "hi, I took the old nick"),
        row(LineKind.MESSAGE, T0, "gavelbot_", "I am the bot now"),
    ]
    index = 0
    while index < len(rows):
        index = meeting.handle_rows(rows, index)[1]
    assert meeting.people() == [("alice", 1), ("GavelBot", 1)]


def test_a_nick_row_that_is_no_nick_change_is_logged_as_the_raw_line_it_is() -> None:
    one, batch = Meeting(MeetingSettings(channel="#x")), Meeting(MeetingSettings(channel="#x"))
    start = row(LineKind.MESSAGE, T0, "alice", "#startmeeting")
    one.handle(row_event(start))
    batch.handle(row_event(start))
    rows = [
        row(LineKind.MESSAGE, T0, "bob", "hello"),
        row(LineKind.NICK, T0, "alice", "bob is now known as carol"),
        row(LineKind.MESSAGE, T0, "bob", "bye"),
    ]
    effects, end = batch.handle_rows(rows)
    assert end == 3
    assert flat(effects) == [effect for each in rows for effect in one.handle(row_event(each))]
    assert effects[1] == LogLine(3, T0, LineKind.RAW, "", "bob is now known as carol")
    assert (batch.lines, batch.chairs) == (one.lines, one.chairs) == (4, ["alice"])
