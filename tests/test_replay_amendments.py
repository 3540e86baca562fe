"""``gavel replay`` of a Matrix meeting's ``.log.txt`` applies its edits and redactions again: the same minutes as
the live run (one path: the log's edit and redaction lines become the core's ``Edit`` and ``Redaction`` events)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.app.executor import MeetingExecutor, Outputs
from gavel.app.importer import parse_log
from gavel.app.replay import ReplayOptions, replay_file
from gavel.core import MeetingSettings, Message
from gavel.core.events import Edit, Event, Redaction
from gavel.transports.replay import _AMENDED_NUMBER, amended_lines

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
A, B = "@alice:x", "@bob:x"
ROOM = "!room:x"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def events() -> list[Event]:
    return [
        Message(at(0), "alice", "#startmeeting amend", A, "$0"),
        Message(at(1), "alice", "#topic relase plan", A, "$1"),
        Edit(at(2), "alice", "$1", "#topic release plan", A, "$2"),
        Message(at(3), "bob", "#info the relase is friday", B, "$3"),
        Edit(at(4), "bob", "$3", "#info the release is friday", B, "$4"),
        Message(at(5), "bob", "#acton carol writes the notes", B, "$5"),
        Edit(at(6), "bob", "$5", "#action carol writes the notes", B, "$6"),
        Message(at(7), "alice", "#info the password is hunter2", A, "$7"),
        Edit(at(8), "alice", "$7", "#info the password is hunter3", A, "$8"),
        Redaction(at(9), "alice", "$7", A, "$9"),
        Message(at(10), "bob", "#idea a second release", B, "$10"),
        Edit(at(11), "bob", "$10", "never mind", B, "$11"),
        Message(at(12), "bob", "#info bob's own", B, "$12"),
        Edit(at(13), "alice", "$12", "#info alice rewrites bob", A, "$13"),  # not hers: ignored, not logged
        Message(at(14), "alice", "#agreed ship it", A, "$14"),
        Edit(at(15), "alice", "$14", "#agreed ship it on friday", A, "$15"),
        Message(at(16), "alice", "#endmeeting", A, "$16"),
    ]


def outputs_of(paths: Iterable[Path]) -> dict[str, str]:
    return {path.name.split(".", 3)[-1]: path.read_text(encoding="utf-8") for path in paths}


def live_run(root: Path) -> dict[str, str]:
    settings = MeetingSettings(channel=ROOM, bot_nick="gavel")
    run = MeetingExecutor(lambda: settings, Outputs(output_dir=root), new_id=lambda: "aaaa0001")
    for event in events():
        run.process(event)
    [written] = run.written
    return outputs_of(written.paths)


def without_id(minutes: str) -> dict[str, object]:
    data: dict[str, Any] = json.loads(minutes)
    data["meeting"].pop("id")  # the live meeting's id is random, a replayed one's comes from the file's path
    return data


def test_replaying_a_matrix_meetings_log_gives_the_live_minutes(tmp_path: Path) -> None:
    live = live_run(tmp_path / "live")
    assert "hunter" not in "".join(live.values())
    [log] = (tmp_path / "live").rglob("*.log.txt")
    result = replay_file(log, ReplayOptions(output_dir=tmp_path / "replay", channel=ROOM, bot_nick="gavel"))
    assert result.error is None, result.error
    [written] = result.meetings
    replayed = outputs_of(written.paths)
    assert sorted(replayed) == sorted(live)
    for extension in ("txt", "html", "md", "log.txt", "log.html"):
        assert replayed[extension] == live[extension], extension
    assert without_id(replayed["json"]) == without_id(live["json"])
    items = [(item["kind"], item["text"]) for item in json.loads(live["json"])["items"]]
    assert items == [
        ("topic", "release plan"),
        ("info", "the release is friday"),
        ("action", "carol writes the notes"),
        ("info", "bob's own"),
        ("agreed", "ship it on friday"),
    ]


def test_gavel_import_applies_them_too(tmp_path: Path) -> None:
    live = live_run(tmp_path / "live")
    [log] = (tmp_path / "live").rglob("*.log.txt")
    [parsed] = parse_log(log, channel=ROOM, bot_nick="gavel").meetings
    try:
        assert [item.text for item in parsed.view.items] == [item["text"] for item in json.loads(live["json"])["items"]]
    finally:
        parsed.spool.discard()


def test_the_lines_an_edit_or_redaction_names_are_found_and_nothing_else(tmp_path: Path) -> None:
    log = tmp_path / "x.log.txt"
    log.write_bytes(
        b"10:00:00 <a> #startmeeting\n10:00:01 -!- a (edited line 12): #info x\n10:00:02 -!- b redacted line 3\r\n"
        b"10:00:03 <a> -!- a (edited line 99): said, not logged as an edit\n10:00:04 -!- a redacted line 0\n"
    )
    with open(log, "rb") as stream:
        assert amended_lines(stream) == {12, 3}
        assert stream.tell() == 0
    log.write_bytes(b"")
    with open(log, "rb") as stream:
        assert amended_lines(stream) == frozenset()


_LOG_LINES = st.sampled_from(
    [
        b"10:00:01 -!- a (edited line 12): #info x\n",
        b"10:00:02 -!- b redacted line 3\r\n",
        b"10:00:03 -!- bob redacted line 45\n",
        b"10:00:04 <a> -!- a (edited line 99): said, not an edit\n",
        b"10:00:05 <a> plain chat\n",
        b"10:00:06 <a> " + b"long " * 40 + b"\n",
        b"10:00:08 <a> " + b"x" * 300 + b"10:00:09 -!- a (edited line 77): inside a long line, no edit\n",
        b"no newline at the end 10:00:07 -!- a (edited line 7): x",
    ]
)


@settings(deadline=None)
@given(st.lists(_LOG_LINES, max_size=30), st.integers(min_value=1, max_value=300), st.integers(64, 300))
def test_reading_in_blocks_finds_what_the_whole_file_holds(
    tmp_path_factory: Any, lines: list[bytes], block: int, head: int
) -> None:
    """The scan reads blocks of any size (a line cut between two, a line longer than a block or than the head it
    searches) and finds the same numbers as the pattern over the whole log."""
    log = tmp_path_factory.mktemp("scan") / "x.log.txt"
    data = b"".join(lines)
    log.write_bytes(data)
    with open(log, "rb") as stream:
        assert amended_lines(stream, block, head) == {int(e or r) for e, r in _AMENDED_NUMBER.findall(data)}
        assert stream.tell() == 0


def test_a_line_longer_than_a_block_is_searched_in_its_head(tmp_path: Path) -> None:
    log = tmp_path / "x.log.txt"
    huge = b"10:00:01 -!- a (edited line 5): " + b"x" * 5000 + b"10:00:02 -!- a (edited line 6): \n"
    log.write_bytes(huge + b"10:00:03 -!- b redacted line 8\n")
    with open(log, "rb") as stream:
        assert amended_lines(stream, 100, head=200) == {5, 8}  # 6 is not at a line start: no edit
    # a block that begins inside a long line is no line's start (the line's tail is skipped up to its end)
    log.write_bytes(b"x" * 99 + b"10:00:09 -!- a (edited line 77): no\n10:00:10 -!- a redacted line 9\n")
    with open(log, "rb") as stream:
        assert amended_lines(stream, 33, head=64) == {9}


def test_an_edit_line_that_finds_nothing_to_change_stays_in_the_log_as_it_was(tmp_path: Path) -> None:
    """A log edited by hand, or an edit of a line by someone else: the line is kept, nothing is applied."""
    lines = [
        "10:00:00 <alice> #startmeeting hand",
        "10:00:01 <bob> #info first",
        "10:00:02 -!- alice (edited line 2): #info alice rewrites bob",
        "10:00:03 -!- bob (edited line 99): #info no such line",
        "10:00:04 -!- bob redacted line 98",
        "10:00:05 -!- bob (edited line 2): #info first, fixed",
        "10:00:06 <alice> #endmeeting",
    ]
    log = tmp_path / "hand.2026-03-04-10.00.log.txt"
    log.write_text("\n".join(lines), encoding="utf-8")
    result = replay_file(log, ReplayOptions(output_dir=tmp_path / "out", bot_nick="gavel"))
    [written] = result.meetings
    out = outputs_of(written.paths)
    assert out["log.txt"] == "\n".join(lines)
    assert [item["text"] for item in json.loads(out["json"])["items"]] == ["first, fixed"]
    assert out["log.html"].count('class="rel"') == 1 and "(edit of line 2)</a>" in out["log.html"]
