"""Property tests for replay: a MeetBot .log.txt round-trips byte for byte; any bytes replay without raising."""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.app.replay import ReplayOptions, replay_file
from gavel.core.commands import parse
from gavel.core.events import LineKind
from gavel.transports.replay import LineParser, ReplayReport, decoded_blocks

NICK = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_-[]{}|^`\\", min_size=1, max_size=12)


def _not_endmeeting(text: str) -> bool:
    parsed = parse(text)
    return parsed is None or parsed[0].name != "endmeeting"


TEXT: st.SearchStrategy[str] = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\n\r"), max_size=120
).filter(_not_endmeeting)
COMMAND_TEXT = st.sampled_from(
    [
        "#topic a topic",
        "#info x",
        "#action bob does it",
        "#undo",
        "#link https://x.org",
        "#chair bob",
        "#TOPIC y",
        "#startvote ok? yes, no",
        "#vote yes",
        "#endvote",
        "#meetingname other name",
        "#nick carol",
        "#save",
        "#lurk",
    ]
)
FILENAME = "prop.2020-02-03-04.05.log.txt"


@st.composite
def meeting_logs(draw: st.DrawFn) -> str:
    """A MeetBot-format log: #startmeeting, canonical lines with non-decreasing times, #endmeeting."""
    second = draw(st.integers(0, 80_000))
    owner = draw(NICK)
    lines = [f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d} <{owner}> #startmeeting prop"]
    for _ in range(draw(st.integers(0, 40))):
        second += draw(st.integers(0, 5000))  # may pass midnight: the log still round-trips
        stamp = f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        kind = draw(st.sampled_from(["message", "message", "command", "action", "nick"]))
        if kind == "message":
            lines.append(f"{stamp} <{draw(NICK)}> {draw(TEXT)}")
        elif kind == "command":
            lines.append(f"{stamp} <{draw(st.sampled_from([owner, 'bob']))}> {draw(COMMAND_TEXT)}")
        elif kind == "action":
            lines.append(f"{stamp} * {draw(NICK)} {draw(TEXT)}")
        else:
            lines.append(f"{stamp} -!- {draw(NICK)} is now known as {draw(NICK)}")
    lines.append(f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d} <{owner}> #endmeeting")
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meeting_logs())
def test_log_txt_round_trips(log: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / FILENAME
        source.write_text(log, encoding="utf-8")
        result = replay_file(source, ReplayOptions(output_dir=Path(work) / "out", formats=(".log.txt", ".json")))
        assert result.error is None and len(result.meetings) == 1
        written = Path(work) / "out" / f"{result.meetings[0].basename}.log.txt"
        assert written.read_bytes() == source.read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=30))
def test_any_bytes_replay_without_raising(chunks: list[bytes]) -> None:
    data = b"10:00:00 <a> #startmeeting fuzz\n" + b"\n".join(chunks)
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / FILENAME
        source.write_bytes(data)
        result = replay_file(source, ReplayOptions(output_dir=Path(work) / "out"))
        assert result.error is None
        assert len(result.meetings) == 1
        assert all(path.exists() for path in result.meetings[0].paths)


_STAMP = st.one_of(
    st.builds("{:02d}:{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    st.sampled_from(["25:61:61", "23:59:59", "00:00:00", "00:00:01", "99:99:99", "١٢:٣٠:٠٠", "1٢:30:00"]),
)
_ANY_LINE = st.one_of(
    st.builds("{} <{}> {}".format, _STAMP, NICK, TEXT),
    st.builds("{} <{}>".format, _STAMP, NICK),
    st.builds("{} * {} {}".format, _STAMP, NICK, TEXT),
    st.builds("[{}] <@{}> {}".format, _STAMP, NICK, TEXT),
    st.builds("{} -!- {} is now known as {}".format, _STAMP, NICK, NICK),
    st.just("--- Day changed Thu Mar 17 2016"),
    st.builds("{} <{}> {}".format, _STAMP, NICK, st.text(alphabet="ab: ", min_size=180, max_size=260)),
    st.builds("{} <a> x {} <b> y {} <c> z {} * d w".format, _STAMP, _STAMP, _STAMP, _STAMP).map(
        lambda s: s + " p" * 90
    ),
    st.just("10:00:00 <a> x 10:00:01 <b> y 10:00:02 <c> z 10:00:03 <d> glued" + " p" * 90),
    TEXT,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ANY_LINE, min_size=1, max_size=30))
def test_block_rows_is_rows_line_by_line(lines: list[str]) -> None:
    """The findall fast path (times converted in line) gives the rows and warnings of the line-by-line parser."""
    fast_report, slow_report = ReplayReport("x"), ReplayReport("x")
    fast = LineParser(date(2016, 3, 16), fast_report).block_rows("\n".join(lines), 1)
    slow = LineParser(date(2016, 3, 16), slow_report).rows(lines, 1)
    assert fast == slow
    assert fast_report.warnings == slow_report.warnings
    # a count the caller got wrong is harmless: the lines found differ from it, so they are parsed line by line
    wrong = LineParser(date(2016, 3, 16), ReplayReport("x")).block_rows("\n".join(lines), 1, len(lines) + 1)
    assert wrong == slow


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"\n", b"\r\n", b"\r", b"\xff", "\u00e9".encode(), b"10:00:00 <a> x"]), max_size=40
    ),
    st.integers(1, 5),
)
def test_decoded_blocks_count_their_lines(pieces: list[bytes], batch: int) -> None:
    """Each block's line count is what counting its line breaks gives, and the blocks number the file's lines."""
    data = b"".join(pieces)
    report = ReplayReport("x")
    number = 1
    for first, block, lines, _clean in decoded_blocks(io.BytesIO(data), report, batch):
        assert first == number
        assert lines == block.count("\n") + 1
        number += lines
    assert number - 1 == report.lines == len(io.BytesIO(data).readlines())


def test_a_stamp_of_other_digits_stays_a_message_line() -> None:
    """A message whose stamp has other digits than ASCII (no time is read from it) is a message of its nick, at the
    time before it, in a block as line by line: the block's pattern leaves it whole to the line parser."""
    lines = ["10:00:00 <a> x", "١٢:٣٠:٠٠ <b> y"]
    fast = LineParser(date(2016, 3, 16), ReplayReport("x")).block_rows("\n".join(lines), 1)
    assert [(kind, time.hour, nick, text) for kind, time, _, nick, text in fast] == [
        (LineKind.MESSAGE, 10, "a", "x"),
        (LineKind.MESSAGE, 10, "b", "y"),
    ]
