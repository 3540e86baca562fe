"""Matrix display names with spaces (``<Carol Ann>``) in a ``.log.txt``: what the writer writes, the replay parser
reads back (messages, actions, name changes, edits, redactions), so a replay gives the live meeting's outputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gavel.app.executor import MeetingExecutor, Outputs
from gavel.app.replay import ReplayOptions, replay_file
from gavel.core import MeetingSettings, Message
from gavel.core.amendments import edited_text
from gavel.core.effects import LineKind, LogLine
from gavel.core.events import Action, Edit, Event, NickChange, Redaction, nick_change_text
from gavel.render.logs import format_log_line
from gavel.transports.matrix.protocol import RoomState
from gavel.transports.replay import LineParser, ReplayReport
from test_replay_amendments import outputs_of, without_id

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
CAROL, SAM1, SAM2, BOB = "@carol:x", "@sam:one.org", "@sam:two.org", "@bob:x"
ROOM = "!room:x"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def events() -> list[Event]:
    """A meeting whose members' display names have spaces, one shared by two (shown with their user ids)."""
    sam1, sam2 = "Sam (@sam:one.org)", "Sam (@sam:two.org)"
    return [
        Message(at(0), "Carol Ann", "#startmeeting spaces", CAROL, "$0"),
        Message(at(1), "Carol Ann", "#topic names with spaces", CAROL, "$1"),
        Message(at(2), sam1, "#info the first Sam", SAM1, "$2"),
        Message(at(3), sam2, "#idea the second Sam", SAM2, "$3"),
        Action(at(4), "Carol Ann", "waves at both", CAROL, "$4"),
        Message(at(5), "Carol Ann", "#info a typo hre", CAROL, "$5"),
        Edit(at(6), "Carol Ann", "$5", "#info a typo here", CAROL, "$6"),
        NickChange(at(7), "Carol Ann", "Carol A. Smith"),
        Message(at(8), "Carol A. Smith", "#action Sam to write the notes", CAROL, "$8"),
        Action(at(9), "Carol A. Smith", "is done", CAROL, "$9"),
        Message(at(10), "bob", "#info bob's line", BOB, "$10"),
        Redaction(at(11), "Carol A. Smith", "$10", CAROL, "$11"),
        Message(at(12), "Carol A. Smith", "#chair bob", CAROL, "$12"),
        Message(at(13), "Carol A. Smith", "#endmeeting", CAROL, "$13"),
    ]


def test_replaying_a_log_with_display_names_with_spaces_gives_the_live_outputs(tmp_path: Path) -> None:
    settings = MeetingSettings(channel=ROOM, bot_nick="gavel")
    run = MeetingExecutor(lambda: settings, Outputs(output_dir=tmp_path / "live"), new_id=lambda: "aaaa0001")
    for event in events():
        run.process(event)
    [written] = run.written
    live = outputs_of(written.paths)
    [log] = (tmp_path / "live").rglob("*.log.txt")
    assert "<Carol Ann> #startmeeting spaces" in live["log.txt"]
    result = replay_file(log, ReplayOptions(output_dir=tmp_path / "replay", channel=ROOM, bot_nick="gavel"))
    assert result.error is None and result.warnings == [], result.warnings
    [again] = result.meetings
    replayed = outputs_of(again.paths)
    for extension in ("txt", "html", "md", "log.txt", "log.html"):
        assert replayed[extension] == live[extension], extension
    assert without_id(replayed["json"]) == without_id(live["json"])
    minutes = json.loads(live["json"])
    assert [(item["kind"], item["text"]) for item in minutes["items"]] == [
        ("topic", "names with spaces"),
        ("info", "the first Sam"),
        ("idea", "the second Sam"),
        ("info", "a typo here"),
        ("action", "Sam to write the notes"),
    ]
    assert minutes["meeting"]["chairs"] == ["bob", "Carol A. Smith"]


# What the Matrix transport calls a member (``RoomState.nick``): any display name, alone or shared with another.
DISPLAY_NAMES = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


def as_nick(shown: str, shared: bool = False) -> str:
    """What the transport calls a member of display name ``shown`` (``shared``: another member has it too)."""
    room = RoomState(ROOM)
    room.names["@a:x"] = " ".join(shown.split())  # as ``MatrixClient`` keeps it
    if shared:
        room.names["@b:x"] = room.names["@a:x"]
    return room.nick("@a:x")


nicks = st.builds(as_nick, DISPLAY_NAMES, st.booleans())


TEXTS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n\r"), max_size=60)


def parsed(parser: LineParser, line: LogLine) -> tuple[LineKind, str, str]:
    kind, _, _, nick, text = parser.parse_row(format_log_line(line), 1)
    return kind, nick, text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nicks, nicks, TEXTS, st.integers(1, 10**9 - 1))  # (a log has fewer lines)
@example(as_nick("-- Carol >_<"), as_nick(" Carol  Ann\t", shared=True), "#info x", 3)
@example(as_nick("- x"), as_nick("a is now known"), "y", 12)
def test_what_the_writer_writes_of_a_matrix_member_the_parser_reads_back(
    nick: str, other: str, text: str, number: int
) -> None:
    parser = LineParser(date(2026, 3, 4), ReplayReport("x"))
    said = LogLine(1, T0, LineKind.MESSAGE, nick, text)
    assert parsed(parser, said) == (LineKind.MESSAGE, nick, text)
    acted = LogLine(2, T0, LineKind.ACTION, nick, text)
    assert parsed(parser, acted) == (LineKind.ACTION, nick, text)  # a nick met before begins the action line
    if other != nick:
        renamed = LogLine(3, T0, LineKind.NICK, nick, nick_change_text(nick, other))
        assert parsed(parser, renamed) == (LineKind.NICK, nick, nick_change_text(nick, other))
        assert parsed(parser, LogLine(4, T0, LineKind.ACTION, other, text)) == (LineKind.ACTION, other, text)
    edited = LogLine(5, T0, LineKind.NICK, nick, edited_text(nick, number, text))
    assert parsed(parser, edited) == (LineKind.NICK, nick, edited_text(nick, number, text))
    redacted = LogLine(6, T0, LineKind.NICK, nick, f"{nick} redacted line {number}")
    assert parsed(parser, redacted) == (LineKind.NICK, nick, f"{nick} redacted line {number}")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(nicks, TEXTS), min_size=1, max_size=20))
def test_the_block_parser_reads_matrix_members_as_the_line_parser(said: list[tuple[str, str]]) -> None:
    lines = [f"10:00:{number:02d} <{nick}> {text}" for number, (nick, text) in enumerate(said)]
    lines += [f"10:01:{number:02d} * {nick} {text}" for number, (nick, text) in enumerate(said)]
    fast = LineParser(date(2026, 3, 4), ReplayReport("x")).block_rows("\n".join(lines), 1)
    slow = LineParser(date(2026, 3, 4), ReplayReport("x")).rows(lines, 1)
    assert fast == slow
    assert [(row[3], row[4]) for row in fast[: len(said)]] == said
