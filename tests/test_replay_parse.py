"""The replay transport: log lines -> events, never losing a line."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from gavel.core.events import Action, Message, NickChange, RawLine
from gavel.transports.replay import (
    ReplayReport,
    date_from_filename,
    name_from_filename,
    read_events,
    read_rows,
    split_glued,
)

DAY = date(2016, 3, 16)


def events(data: bytes, day: date = DAY) -> tuple[list[object], ReplayReport]:
    report = ReplayReport("log.txt")
    return list(read_events(data.splitlines(keepends=True), day, report)), report


def at(h: int, m: int, s: int, day: int = 16) -> datetime:
    return datetime(2016, 3, day, h, m, s, tzinfo=UTC)


def test_meetbot_lines() -> None:
    got, report = events(b"14:30:39 <apuimedo> #startmeeting k8s\n15:20:24 * apuimedo janitor\n14:30:40 <bob> \n")
    assert got[0] == Message(at(14, 30, 39), "apuimedo", "#startmeeting k8s")
    assert got[1] == Action(at(15, 20, 24), "apuimedo", "janitor")
    assert isinstance(got[2], Message) and got[2].text == "" and got[2].nick == "bob"
    assert report.warning_count == 0


def test_text_is_kept_verbatim() -> None:
    got, _ = events(b"14:30:39 <a>   spaced  out   \n")
    assert got == [Message(at(14, 30, 39), "a", "  spaced  out   ")]


def test_irssi_and_weechat_lines() -> None:
    data = (
        b"[14:30] <@alice> hello\n"
        b"14:31 <+bob> hi\n"
        b"14:32:10 -!- alice is now known as alice_\n"
        b"14:33 * bob waves\n"
        b"14:34 -!- carol [c@host] has joined #meeting\n"
    )
    got, report = events(data)
    assert got[0] == Message(at(14, 30, 0), "alice", "hello")
    assert got[1] == Message(at(14, 31, 0), "bob", "hi")
    assert got[2] == NickChange(at(14, 32, 10), "alice", "alice_")
    assert got[3] == Action(at(14, 33, 0), "bob", "waves")
    assert isinstance(got[4], RawLine) and got[4].text.endswith("has joined #meeting")
    assert report.warning_count == 0  # a join line is known, just not a meeting line


def test_times_past_midnight_roll_over() -> None:
    got, _ = events(b"23:59:58 <a> late\n00:00:03 <a> early\n00:00:01 <a> jitter is a new day too\n")
    assert [e.time for e in got if isinstance(e, Message)] == [at(23, 59, 58), at(0, 0, 3, 17), at(0, 0, 1, 18)]


def test_day_changed_line_sets_the_date() -> None:
    got, _ = events(b"--- Day changed Thu Mar 17 2016\n09:00 <a> morning\n")
    assert got[1] == Message(at(9, 0, 0, 17), "a", "morning")


def test_unrecognized_line_is_kept_and_reported() -> None:
    got, report = events(b"14:30:39 <a> one\nthis is not a log line\n14:30:41 <a> two\n")
    assert got[1] == RawLine(at(14, 30, 39), "this is not a log line")
    assert report.warnings == ["log.txt:2: unrecognized line kept as text: 'this is not a log line'"]


def test_invalid_utf8_is_replaced_and_reported() -> None:
    got, report = events(b"14:30:39 <a> caf\xe9 ok\n14:30:40 <b> fine \xc3\xa9\n")
    assert got[0] == Message(at(14, 30, 39), "a", "caf\ufffd ok")
    assert got[1] == Message(at(14, 30, 40), "b", "fine é")
    assert report.warning_count == 1 and report.warnings[0].startswith("log.txt:1: invalid UTF-8")


def test_line_endings() -> None:
    got, _ = events(b"14:30:39 <a> crlf\r\n14:30:40 <a> cr\r14:30:41 <a> lf")
    assert [e.text for e in got if isinstance(e, Message)] == ["crlf", "cr", "lf"]


def test_a_crlf_log_reads_as_its_lf_twin() -> None:
    """Windows line ends are line ends: the same rows and warnings (and the batch fast path, not line by line)."""
    lf = b"14:30:39 <a> one\n14:30:40 * a waves\nnot a log line\n14:30:41 <b> two\n"
    reports = {"lf": ReplayReport("log.txt"), "crlf": ReplayReport("log.txt")}
    lf_rows = list(read_rows(io.BytesIO(lf), DAY, reports["lf"]))
    crlf_rows = list(read_rows(io.BytesIO(lf.replace(b"\n", b"\r\n")), DAY, reports["crlf"]))
    assert crlf_rows == lf_rows and len(lf_rows) == 1  # one batch: decoded as a block
    assert (
        reports["crlf"].warnings
        == reports["lf"].warnings
        == ["log.txt:3: unrecognized line kept as text: 'not a log line'"]
    )


def test_glued_lines_are_split_back() -> None:
    lines = [f"14:3{i}:0{i} <nick{i}> said number {i} with some padding text here" for i in range(8)]
    got, report = events(" ".join(lines).encode())
    assert [(e.nick, e.text) for e in got if isinstance(e, Message)] == [
        (f"nick{i}", f"said number {i} with some padding text here") for i in range(8)
    ]
    assert report.warning_count == 1 and "8 log lines glued together" in report.warnings[0]


def test_glued_without_separator() -> None:
    lines = [f"10:{i // 60:02d}:{i % 60:02d} <n{i % 3}> line number {i}." for i in range(50)]
    assert split_glued("".join(lines)) == lines


def test_glued_times_must_move_forward() -> None:
    text = "".join(f"10:00:0{i} <n> line {i}." for i in range(5)) * 10
    assert split_glued(text) == [text]


def test_a_quoted_timestamp_is_not_a_split_point() -> None:
    text = "14:30:39 <a> earlier bob said 14:00:00 <bob> hi " + "x" * 300
    assert split_glued(text) == [text]


def test_long_line() -> None:
    long_text = "word " * 2000
    got, report = events(b"14:30:39 <a> " + long_text.encode())
    assert got == [Message(at(14, 30, 39), "a", long_text)]
    assert report.warning_count == 0


def test_empty_input() -> None:
    assert events(b"") == ([], ReplayReport("log.txt"))


def test_warnings_are_bounded() -> None:
    got, report = events(b"junk\n" * 1000)
    assert len(got) == 1000 and report.warning_count == 1000
    assert len(report.warnings) == 200 and report.summary()[-1] == "log.txt: ... and 800 more warnings"


def test_file_names() -> None:
    name = "k8s_integration_discussion.2016-03-16-14.30.log.txt"
    assert date_from_filename(name) == DAY
    assert date_from_filename("/x/#chan.2020-02-29.log") == date(2020, 2, 29)
    assert date_from_filename("meeting.2016-13-45-14.30.log.txt") is None
    assert date_from_filename("meeting.log.txt") is None
    assert name_from_filename("/a/b/" + name) == "k8s_integration_discussion"
