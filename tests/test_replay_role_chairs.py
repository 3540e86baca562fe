"""Chairs by power level in a Matrix meeting's ``.log.txt``: the log names them (``-!- chairs by power level:
<bob> <Carol Ann>``) whenever they change, so ``gavel replay`` of the log gives the live meeting's outputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.app.executor import MeetingExecutor, Outputs
from gavel.app.replay import ReplayOptions, replay_file
from gavel.core import MeetingSettings, Message
from gavel.core.effects import LineKind, LogLine
from gavel.core.events import Event, NickChange, RawLine, RoleChairs, role_chairs_text, row_event
from gavel.render.logs import format_log_line
from gavel.transports.replay import LineParser, ReplayReport
from test_replay_amendments import outputs_of, without_id
from test_replay_display_names import nicks

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
A, B, C, D = "@alice:x", "@bob:x", "@carol:x", "@dave:x"
ROOM = "!room:x"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def events() -> list[Event]:
    """As the Matrix transport tells them: bob and Carol Ann are moderators; bob renames, is demoted; dave is
    promoted; Carol Ann never speaks."""
    return [
        RoleChairs(at(0), (B, C), ("bob", "Carol Ann")),
        Message(at(1), "alice", "#startmeeting power", A, "$1"),
        Message(at(2), "bob", "#agreed bob decides as a moderator", B, "$2"),
        Message(at(3), "dave", "#agreed dave may not", D, "$3"),
        NickChange(at(4), "bob", "Robert"),
        RoleChairs(at(4), (B, C), ("Robert", "Carol Ann")),
        Message(at(5), "Robert", "#agreed still a moderator as Robert", B, "$5"),
        RoleChairs(at(6), (C, D), ("Carol Ann", "dave")),
        Message(at(7), "Robert", "#agreed Robert no longer", B, "$7"),
        Message(at(8), "dave", "#agreed dave now may", D, "$8"),
        Message(at(9), "alice", "#endmeeting", A, "$9"),
    ]


def test_replaying_a_log_with_chairs_by_power_level_gives_the_live_outputs(tmp_path: Path) -> None:
    meeting_settings = MeetingSettings(channel=ROOM, bot_nick="gavel")
    run = MeetingExecutor(lambda: meeting_settings, Outputs(output_dir=tmp_path / "live"), new_id=lambda: "aaaa0001")
    for event in events():
        run.process(event)
    [written] = run.written
    live = outputs_of(written.paths)
    log = live["log.txt"].split("\n")
    assert log[1] == "10:00:01 -!- chairs by power level: <bob> <Carol Ann>"  # told at the start
    assert "10:00:06 -!- chairs by power level: <Carol Ann> <dave>" in log
    minutes = json.loads(live["json"])
    assert [item["text"] for item in minutes["items"]] == [
        "bob decides as a moderator",
        "still a moderator as Robert",
        "dave now may",
    ]
    assert minutes["meeting"]["chairs"] == ["alice", "dave"]  # Robert was demoted, Carol Ann never spoke
    [path] = (tmp_path / "live").rglob("*.log.txt")
    result = replay_file(path, ReplayOptions(output_dir=tmp_path / "replay", channel=ROOM, bot_nick="gavel"))
    assert result.error is None and result.warnings == [], result.warnings
    [again] = result.meetings
    replayed = outputs_of(again.paths)
    for extension in ("txt", "html", "md", "log.txt", "log.html"):
        assert replayed[extension] == live[extension], extension
    assert without_id(replayed["json"]) == without_id(live["json"])


@settings(max_examples=300, deadline=None)
@given(st.lists(nicks, max_size=6))
def test_what_the_writer_writes_of_the_chairs_by_power_level_the_parser_reads_back(names: list[str]) -> None:
    told = tuple(names)
    line = LogLine(1, T0, LineKind.NICK, "", role_chairs_text(told))
    row = LineParser(date(2026, 3, 4), ReplayReport("x")).parse_row(format_log_line(line), 1)
    assert row_event(row) == RoleChairs(T0, (), told)


def test_a_line_that_only_looks_like_it_stays_as_it_was() -> None:
    parser = LineParser(date(2026, 3, 4), ReplayReport("x"))
    for text in [
        "10:00:00 -!- chairs by power level: bob",
        "10:00:00 -!- chairs by power level: <bob> and <carol>",
        "10:00:00 -!- chairs by power level: ",
        "10:00:00 -!- chairs by power level: <>",
    ]:
        event = row_event(parser.parse_row(text, 1))
        assert isinstance(event, RawLine) and event.text == text
    said = row_event(parser.parse_row("10:00:00 <bob> chairs by power level: <bob>", 1))
    assert said == Message(T0, "bob", "chairs by power level: <bob>")  # said, not logged by the bot
