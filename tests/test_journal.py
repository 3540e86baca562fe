"""The event journal: exact round trips, torn and corrupt files, safe names, and real SIGKILL crashes."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core.errors import GavelError
from gavel.core.events import (
    AccountChange,
    Action,
    Edit,
    Event,
    Join,
    Message,
    NickChange,
    Part,
    Quit,
    RawLine,
    Redaction,
    RoleChairs,
    Tick,
)
from gavel.storage import journal as journal_module
from gavel.storage.journal import (
    VERSION,
    Journal,
    JournalDir,
    JournalError,
    JournalHeader,
    decode_event,
    encode_event,
)
from journal_crash_child import event_for

T0 = datetime(2016, 3, 16, 14, 30, 39, tzinfo=UTC)
CHILD = Path(__file__).with_name("journal_crash_child.py")
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any str at all: every category including lone surrogates ("Cs"), plus a few hand-picked nasties.
any_text = st.one_of(
    st.text(st.characters(), max_size=40),
    st.sampled_from(("", "\ud800", "a\udfffb", "\x00", "\n\r\u2028\u2029", "é☕😀", '"}\\', "x" * 5000)),
)
optional_text = st.one_of(st.none(), any_text)
times = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999), timezones=st.just(UTC)
)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(
        Message,
        times,
        any_text,
        any_text,
        optional_text,
        optional_text,
        optional_text,
        optional_text,
        st.lists(any_text, max_size=3).map(tuple),
    ),
    st.builds(
        Edit,
        times,
        any_text,
        any_text,
        any_text,
        optional_text,
        optional_text,
        st.lists(any_text, max_size=3).map(tuple),
    ),
    st.builds(Redaction, times, any_text, any_text, optional_text, optional_text),
    st.builds(RoleChairs, times, st.lists(any_text, max_size=3).map(tuple), st.lists(any_text, max_size=3).map(tuple)),
    st.builds(Action, times, any_text, any_text, optional_text, optional_text),
    st.builds(NickChange, times, any_text, any_text),
    st.builds(Join, times, any_text, optional_text),
    st.builds(Part, times, any_text),
    st.builds(Quit, times, any_text),
    st.builds(AccountChange, times, any_text, optional_text),
    st.builds(RawLine, times, any_text),
    st.builds(Tick, times),
)


def same(a: Event, b: Event) -> bool:
    """Equal in every field, and the time exactly the same representation (UTC, microseconds)."""
    return (
        type(a) is type(b)
        and a == b
        and a.time.tzinfo is UTC
        and b.time.tzinfo is UTC
        and a.time.replace(tzinfo=None) == b.time.replace(tzinfo=None)
    )


def sample_events(count: int) -> list[Event]:
    return [event_for(index) for index in range(count)]


def write_journal(path: Path, evs: list[Event]) -> None:
    journal = Journal.create(path, network="net", channel="#chan", created=T0)
    for event in evs:
        journal.append(event)
    journal.close()


# ---------------------------------------------------------------------------------------------------------------------
# Encoding


@FAST
@given(events)
def test_every_event_round_trips_exactly(event: Event) -> None:
    line = encode_event(event)
    assert line.endswith(b"\n")
    assert b"\n" not in line[:-1] and b"\r" not in line
    assert line.isascii()
    back = decode_event(line)
    assert same(back, event)
    assert decode_event(line[:-1]) == event  # the newline is optional to decode_event


@FAST
@given(st.lists(events, max_size=30))
def test_a_journal_round_trips_any_events(tmp_path_factory: pytest.TempPathFactory, evs: list[Event]) -> None:
    path = tmp_path_factory.mktemp("rt") / "j.journal"
    write_journal(path, evs)
    header, back, ignored = Journal.read(path)
    assert ignored == 0
    assert header == JournalHeader("net", "#chan", T0, VERSION)
    assert len(back) == len(evs)
    assert all(same(a, b) for a, b in zip(back, evs, strict=True))


def test_lone_surrogates_and_control_characters_survive() -> None:
    event = Message(T0, "\udcff\ud800", "a\udfffb\x00\n\u2028", account="\ud83d", msgid="\x7f")
    line = encode_event(event)
    assert b"\\udcff\\ud800" in line
    assert decode_event(line) == event


def test_the_format_is_compact_and_stable() -> None:
    moment = T0.replace(microsecond=120)
    assert encode_event(Message(moment, "alice", "héllo", account="al")) == (
        b'{"k":"msg","t":"2016-03-16T14:30:39.000120+00:00","n":"alice","x":"h\\u00e9llo","a":"al"}\n'
    )
    assert encode_event(NickChange(T0, "bob", "bob_")) == (
        b'{"k":"nick","t":"2016-03-16T14:30:39.000000+00:00","o":"bob","n":"bob_"}\n'
    )
    assert encode_event(Tick(T0)) == b'{"k":"tick","t":"2016-03-16T14:30:39.000000+00:00"}\n'


def test_other_time_zones_are_stored_as_the_same_instant_in_utc() -> None:
    local = datetime(2016, 3, 16, 16, 30, 39, 5, tzinfo=timezone(timedelta(hours=2)))
    back = decode_event(encode_event(Tick(local)))
    assert back.time == local and back.time.tzinfo is UTC and back.time.hour == 14


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(JournalError, match="naive"):
        encode_event(Tick(datetime(2016, 3, 16)))


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"\n",
        b"{",
        b"[]",
        b"null",
        b'"msg"',
        b"\xff\xfe",
        b'{"k":"msg","t":"2016-03-16T14:30:39.000000+00:00","n":"a","x":"\xc3\xa9"}',  # raw UTF-8: we write ASCII
        b'{"k":"msg"}',
        b'{"k":"shout","t":"2016-03-16T14:30:39.000000+00:00"}',
        b'{"k":1,"t":"2016-03-16T14:30:39.000000+00:00"}',
        b'{"k":"tick"}',
        b'{"k":"tick","t":"2016-03-16T14:30:39"}',  # naive
        b'{"k":"tick","t":"2016-03-16T14:30:39+02:00"}',
        b'{"k":"tick","t":"yesterday+00:00"}',
        b'{"k":"tick","t":1458138639}',
        b'{"k":"tick","t":"2016-03-16T14:30:39.000000+00:00","x":"extra"}',
        b'{"k":"msg","t":"2016-03-16T14:30:39.000000+00:00","n":"a","x":5}',
        b'{"k":"msg","t":"2016-03-16T14:30:39.000000+00:00","n":null,"x":"y"}',
        b'{"k":"join","t":"2016-03-16T14:30:39.000000+00:00","n":"a","a":["x"]}',
        b'{"k":"nick","t":"2016-03-16T14:30:39.000000+00:00","o":"a"}',
        b"[" * 100_000,
    ],
)
def test_garbage_is_a_journal_error(line: bytes) -> None:
    with pytest.raises(JournalError):
        decode_event(line)
    assert issubclass(JournalError, GavelError)


@FAST
@given(st.binary(max_size=200))
def test_decode_never_raises_anything_but_journal_error(data: bytes) -> None:
    with contextlib.suppress(JournalError):
        decode_event(data)


# ---------------------------------------------------------------------------------------------------------------------
# Files


def test_create_writes_a_durable_private_header(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    old_umask = os.umask(0)
    try:
        journal = Journal.create(path, network="libera", channel="#gavel", created=T0)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    assert json.loads(first) == {
        "gavel_journal": VERSION,
        "network": "libera",
        "channel": "#gavel",
        "created": "2016-03-16T14:30:39.000000+00:00",
    }
    assert first.endswith(b"\n") and first.count(b"\n") == 1
    assert not journal.dirty
    assert journal.header == JournalHeader("libera", "#gavel", T0)
    journal.close()
    assert [p.name for p in tmp_path.iterdir()] == ["m.journal"]  # no temporary file left
    assert Journal.read(path) == (JournalHeader("libera", "#gavel", T0, VERSION), [], 0)


def test_create_refuses_an_existing_journal(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    write_journal(path, sample_events(3))
    before = path.read_bytes()
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(path, network="x", channel="#y", created=T0)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.journal"]


def test_append_buffers_and_sync_makes_it_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs: list[int] = []
    real = journal_module._sync_data

    def counting(fd: int) -> None:
        syncs.append(fd)
        real(fd)

    monkeypatch.setattr(journal_module, "_sync_data", counting)
    path = tmp_path / "m.journal"
    journal = Journal.create(path, network="n", channel="#c", created=T0)
    size = path.stat().st_size
    journal.sync()
    assert syncs == []  # nothing appended: no fsync
    journal.append(Tick(T0))
    assert journal.dirty and path.stat().st_size == size  # buffered only
    journal.sync()
    assert not journal.dirty and len(syncs) == 1
    assert Journal.read(path)[1] == [Tick(T0)]
    journal.sync()
    journal.sync()
    assert len(syncs) == 1  # a clean journal syncs for free
    journal.append(Tick(T0))
    journal.close()
    assert len(syncs) == 2  # close syncs what is pending
    assert Journal.read(path)[1] == [Tick(T0), Tick(T0)]
    journal.close()  # idempotent
    with pytest.raises(JournalError, match="closed"):
        journal.append(Tick(T0))


def test_a_big_backlog_is_written_behind_without_fsync(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    journal = Journal.create(path, network="n", channel="#c", created=T0)
    evs = [Message(T0, "n", "x" * 1000) for _ in range(200)]
    for event in evs:
        journal.append(event)
    assert path.stat().st_size > 100_000  # memory stays bounded between syncs
    assert journal.dirty
    journal.close()
    assert Journal.read(path)[1] == evs


def test_a_failed_write_leaves_no_partial_line_and_can_be_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.journal"
    journal = Journal.create(path, network="n", channel="#c", created=T0)
    evs = sample_events(20)
    for event in evs[:10]:
        journal.append(event)
    journal.sync()
    size = path.stat().st_size
    for event in evs[10:]:
        journal.append(event)
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(JournalError, match="No space"):
        journal.sync()
    assert path.stat().st_size == size  # the half line was truncated away
    assert journal.dirty
    monkeypatch.setattr(os, "write", real_write)
    journal.sync()  # the space came back: nothing was lost
    journal.close()
    assert Journal.read(path)[1:] == (evs, 0)


def test_appending_goes_on_after_a_failed_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails (a full disk) must not pin the buffer: later appends and a retry work (it once raised
    BufferError: the failed write's traceback kept a memoryview of the buffer alive)."""
    path = tmp_path / "m.journal"
    journal = Journal.create(path, network="n", channel="#c", created=T0)
    evs = sample_events(30)
    for event in evs[:10]:
        journal.append(event)
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(JournalError, match="No space") as failure:
        journal.sync()
    monkeypatch.setattr(os, "write", real_write)
    for event in evs[10:]:
        journal.append(event)  # with the failure (and its traceback) still held
    assert failure.value is not None
    journal.sync()
    journal.close()
    assert Journal.read(path)[1:] == (evs, 0)


def test_a_version_1_journal_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    header = b'{"gavel_journal":1,"network":"n","channel":"#c","created":"2016-03-16T14:30:39.000000+00:00"}\n'
    path.write_bytes(header + encode_event(Tick(T0)))
    read = Journal.read(path)
    assert read[0] == JournalHeader("n", "#c", T0, 1) and read[1:] == ([Tick(T0)], 0)
    Journal.reopen(path).close()


def test_the_header_keeps_the_meeting_id_and_the_settings(tmp_path: Path) -> None:
    settings: dict[str, str | int | bool | None] = {"bot_nick": "gavel", "idle_end_minutes": 30, "lurk": False}
    journal = JournalDir(tmp_path / "j").create("net", "#c", T0, meeting_id="5f1c0a7e9d3b2468", settings=settings)
    journal.close()
    header = Journal.read(journal.path)[0]
    assert (header.meeting_id, header.settings, header.version) == ("5f1c0a7e9d3b2468", settings, VERSION)
    assert Journal.read_header(journal.path) == header


@pytest.mark.parametrize("settings", ["[1]", '{"a":[1]}', '{"a":{"b":1}}', '{"a":1.5}', '"x"'])
def test_a_header_with_bad_settings_is_refused(tmp_path: Path, settings: str) -> None:
    path = tmp_path / "m.journal"
    path.write_text(
        '{"gavel_journal":2,"network":"n","channel":"#c","created":"2016-03-16T14:30:39.000000+00:00",'
        f'"settings":{settings}}}\n',
        encoding="ascii",
    )
    with pytest.raises(JournalError, match="settings"):
        Journal.read(path)


def test_a_failed_fsync_makes_the_journal_unusable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    journal = Journal.create(tmp_path / "m.journal", network="n", channel="#c", created=T0)
    journal.append(Tick(T0))
    monkeypatch.setattr(journal_module, "_sync_data", broken)
    with pytest.raises(JournalError, match="fsync failed"):
        journal.sync()
    monkeypatch.undo()
    with pytest.raises(JournalError, match="unusable"):
        journal.append(Tick(T0))  # a later fsync could "succeed" over lost pages: never trust it
    with pytest.raises(JournalError, match="unusable"):
        journal.sync()
    journal.close()


def test_an_open_journal_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    journal = Journal.create(path, network="n", channel="#c", created=T0)
    with pytest.raises(JournalError, match="in use"):
        Journal.reopen(path)
    journal.close()
    Journal.reopen(path).close()


def test_finish_removes_the_journal(tmp_path: Path) -> None:
    root = JournalDir(tmp_path / "j")
    journal = root.create("net", "#chan", T0)
    journal.append(Tick(T0))
    journal.finish()
    assert list(root.root.iterdir()) == []
    assert journal.closed
    journal.finish()  # idempotent
    with pytest.raises(JournalError):
        journal.append(Tick(T0))


def test_finish_after_close_and_reopen(tmp_path: Path) -> None:
    root = JournalDir(tmp_path / "j")
    journal = root.create("net", "#chan", T0)
    journal.append(Tick(T0))
    journal.close()
    assert root.pending() == [journal.path]
    again = Journal.reopen(journal.path)
    assert root.pending() == []  # open, so live
    again.finish()
    assert root.pending() == [] and not journal.path.exists()


# ---------------------------------------------------------------------------------------------------------------------
# Damaged files


def test_a_torn_tail_at_every_byte_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    evs = sample_events(40)  # the last, event 39, is a long Action line
    write_journal(path, evs)
    data = path.read_bytes()
    last = data.rindex(b"\n", 0, len(data) - 1) + 1
    assert len(data) - last > 1000
    cut_path = tmp_path / "cut.journal"
    for cut in range(last, len(data)):
        cut_path.write_bytes(data[:cut])
        _, back, ignored = Journal.read(cut_path)
        assert back == evs[:-1], cut
        assert ignored == cut - last
        if cut % 101 == 0:
            scan = Journal.scan(cut_path)
            assert scan.torn_bytes == cut - last and scan.corrupt_lines == [] and scan.good_length == last
    cut_path.write_bytes(data)
    assert Journal.read(cut_path)[1:] == (evs, 0)


@pytest.mark.parametrize("tail", [b"{", b'{"k":"tick","t":"2016-03-16T14:30:39.000000+00:00"}', b"\x00" * 4096])
def test_reopen_truncates_a_torn_tail_and_appends_cleanly(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "m.journal"
    evs = sample_events(5)
    write_journal(path, evs)
    with path.open("ab") as stream:
        stream.write(tail)  # a complete record without its newline is torn too: the newline is the commit mark
    assert Journal.read(path)[1:] == (evs, len(tail))
    journal = Journal.reopen(path)
    assert journal.header.channel == "#chan"
    more = sample_events(8)[5:]
    for event in more:
        journal.append(event)
    journal.close()
    scan = Journal.scan(path)
    assert scan.events == evs + more
    assert scan.ignored_bytes == 0 and scan.corrupt_lines == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_corrupt_middle_line_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    evs = sample_events(6)
    write_journal(path, evs)
    lines = path.read_bytes().splitlines(keepends=True)
    garbage = [b'{"k":"msg","t":"2016-03\x00\x00\x00\n', b"\x00" * 50 + b"\n", b"\n"]
    lines[3:4] = garbage  # line 4 (event 2) damaged into three bad lines
    path.write_bytes(b"".join(lines))
    _, back, ignored = Journal.read(path)
    assert back == evs[:2] + evs[3:]
    assert ignored == sum(map(len, garbage))
    scan = Journal.scan(path)
    assert scan.corrupt_lines == [4, 5, 6] and scan.torn_bytes == 0
    journal = Journal.reopen(path)  # the damage is kept (evidence), appending continues after it
    journal.append(Tick(T0))
    journal.close()
    assert Journal.read(path)[1] == [*back, Tick(T0)]


def test_a_newer_format_version_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "m.journal"
    write_journal(path, sample_events(3))
    data = path.read_bytes().replace(b'"gavel_journal":2', b'"gavel_journal":3', 1)
    path.write_bytes(data)
    with pytest.raises(JournalError, match=r"version 3 was written by a newer gavel"):
        Journal.read(path)
    with pytest.raises(JournalError, match="newer"):
        Journal.reopen(path)
    assert path.read_bytes() == data  # untouched


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"gavel_journal":1,"network":"n","channel":"#c","created":"2016-03-16T14:30:39.000000+00:00"}',  # torn
        b"hello\n",
        b'{"k":"tick","t":"2016-03-16T14:30:39.000000+00:00"}\n',
        b'{"gavel_journal":0,"network":"n","channel":"#c","created":"2016-03-16T14:30:39.000000+00:00"}\n',
        b'{"gavel_journal":true,"network":"n","channel":"#c","created":"2016-03-16T14:30:39.000000+00:00"}\n',
        b'{"gavel_journal":"1","network":"n","channel":"#c","created":"2016-03-16T14:30:39.000000+00:00"}\n',
        b'{"gavel_journal":1,"network":"n","created":"2016-03-16T14:30:39.000000+00:00"}\n',
        b'{"gavel_journal":1,"network":"n","channel":"#c","created":"2016-03-16"}\n',
    ],
)
def test_a_file_that_is_not_a_journal_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "m.journal"
    path.write_bytes(content)
    with pytest.raises(JournalError, match=r"m\.journal"):
        Journal.read(path)


def test_a_missing_journal_is_a_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError):
        Journal.read(tmp_path / "nope.journal")
    with pytest.raises(JournalError):
        Journal.reopen(tmp_path / "nope.journal")
    with pytest.raises(JournalError):
        Journal.create(tmp_path / "no" / "dir.journal", network="n", channel="#c", created=T0)


# ---------------------------------------------------------------------------------------------------------------------
# The directory

HOSTILE = [
    "#../../x",
    "#a/b",
    "../..",
    "..",
    ".",
    "/etc/passwd",
    "#a\\b",
    "#\x00",
    "",
    "#" + "a" * 5000,
    "#\ud800",
    "#.journal",
    "~root",
    "#a\nb",
]


@pytest.mark.parametrize("channel", HOSTILE)
def test_hostile_channel_names_stay_inside_the_root(tmp_path: Path, channel: str) -> None:
    root = JournalDir(tmp_path / "j")
    path = root.path_for("../net/..", channel, T0)
    assert path.parent == root.root
    assert path.resolve().parent == root.root.resolve()
    assert len(path.name) < 200 and path.name.endswith(".journal") and not path.name.startswith(".")
    journal = Journal.create(path, network="../net/..", channel=channel, created=T0)
    journal.close()
    assert [p.name for p in root.root.iterdir()] == [path.name]
    assert Journal.read(path)[0].channel == channel


@FAST
@given(any_text, any_text, times)
def test_any_name_gives_a_plain_file_name_in_the_root(network: str, channel: str, started: datetime) -> None:
    root = JournalDir(Path("/nonexistent-but-only-names-are-built"))  # path_for touches nothing
    path = root.path_for(network, channel, started)
    assert path.parent == root.root and os.sep not in path.name and path.name not in (".", "..")
    assert path.name.isascii()


def test_distinct_meetings_get_distinct_names(tmp_path: Path) -> None:
    root = JournalDir(tmp_path)
    names = {
        root.path_for("net", "#a/b", T0),
        root.path_for("net", "#a_b", T0),
        root.path_for("net", "#Foo", T0),
        root.path_for("net", "#foo", T0),
        root.path_for("other", "#foo", T0),
        root.path_for("net", "#foo", T0 + timedelta(microseconds=1)),
    }
    assert len(names) == 6


def test_the_root_is_private(tmp_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        root = JournalDir(tmp_path / "a" / "b")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(root.root.stat().st_mode) == 0o700
    JournalDir(root.root)  # an existing directory is fine


def test_pending_lists_stopped_meetings_oldest_first(tmp_path: Path) -> None:
    root = JournalDir(tmp_path)
    starts = [T0 + timedelta(days=3), T0, T0 + timedelta(hours=1), T0 - timedelta(days=400)]
    paths = {}
    for index, start in enumerate(starts):
        journal = root.create("net", f"#chan{index}", start)
        journal.append(Tick(start))
        journal.close()
        paths[start] = journal.path
    ended = root.create("net", "#ended", T0 - timedelta(days=1000))
    ended.finish()
    live = root.create("net", "#live", T0 - timedelta(days=2000))  # still open: not pending
    (tmp_path / ".m.journal.1234.tmp").write_bytes(b"half a header")  # a create interrupted by a crash
    (tmp_path / "notes.txt").write_text("not a journal")
    assert root.pending() == [paths[start] for start in sorted(starts)]
    live.close()
    assert root.pending()[0] == live.path
    # A time zone other than UTC still sorts by the instant.
    east = root.path_for("net", "#x", (T0 - timedelta(days=5000)).astimezone(timezone(timedelta(hours=14))))
    west = root.path_for("net", "#x", (T0 - timedelta(days=5000, seconds=1)).astimezone(timezone(-timedelta(hours=12))))
    assert west.name < east.name


# ---------------------------------------------------------------------------------------------------------------------
# Real crashes


def _synced_indices(output: bytes) -> Iterator[int]:
    for line in output.split(b"\n")[:-1]:  # only complete lines
        if line.isdigit():
            yield int(line)


def test_sigkill_never_loses_a_synced_event_or_leaves_garbage(tmp_path: Path) -> None:
    """Kill a writing child with SIGKILL at random moments; each journal is resumed (and killed) three more times."""
    rng = random.Random(20160316)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CHILD.parent), os.environ.get("PYTHONPATH", "")])}
    kills = 0
    path = tmp_path / "unused"
    durable = 0  # events a child reported synced: every one must survive every later crash
    for run in range(16):
        if run % 4 == 0:
            path, durable = tmp_path / f"crash{run}.journal", 0
        every = rng.choice((1, 3, 40, 400, 2000))
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(path), "create" if run % 4 == 0 else "resume", str(every)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None and child.stderr is not None
        started = child.stdout.readline()
        assert started.startswith(b"start "), (started, child.stderr.read())
        assert int(started.split()[1]) >= durable
        time.sleep(rng.uniform(0.0, 0.12))
        child.send_signal(signal.SIGKILL)
        output, errors = child.communicate(timeout=10)
        assert child.returncode in (-signal.SIGKILL, 0), errors
        kills += child.returncode == -signal.SIGKILL
        synced = list(_synced_indices(output))
        if synced:
            durable = max(durable, synced[-1] + 1)
        scan = Journal.scan(path)
        assert scan.header == JournalHeader("crashnet", "#crash", T0, VERSION)
        assert scan.corrupt_lines == []  # no garbage, ever: torn tails are truncated on resume
        assert len(scan.events) >= durable, (run, every, len(scan.events), durable)
        assert scan.events == sample_events(len(scan.events)), run  # exactly the events written, in order
    assert kills >= 10


def test_edits_redactions_and_replies_have_a_compact_stable_form() -> None:
    assert encode_event(Edit(T0, "alice", "$1", "#info new", "@a:x", "$2")) == (
        b'{"k":"edit","t":"2016-03-16T14:30:39.000000+00:00","n":"alice","g":"$1","x":"#info new",'
        b'"a":"@a:x","i":"$2"}\n'
    )
    assert encode_event(Redaction(T0, "mod", "$1")) == (
        b'{"k":"redact","t":"2016-03-16T14:30:39.000000+00:00","n":"mod","g":"$1"}\n'
    )
    assert encode_event(Message(T0, "bob", "yes", reply_to="$1", thread="$0")).endswith(b',"r":"$1","h":"$0"}\n')
    with pytest.raises(JournalError):
        decode_event(b'{"k":"redact","t":"2016-03-16T14:30:39.000000+00:00","n":"mod"}\n')  # no target
