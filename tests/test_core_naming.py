"""Meeting names and the MeetBot file layout; hostile names always give safe path components."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from gavel.core import MeetingSettings
from gavel.core.naming import MAX_NAME_LENGTH, basename, channel_name, normalize_name
from strategies import T0, says, started

SAFE = re.compile(r"^[a-z0-9_]*$")

HOSTILE = [
    "../../etc/passwd",
    "..",
    ".",
    "/",
    "\\..\\..\\windows",
    "<script>alert(1)</script>",
    "'; DROP TABLE meetings; --",
    "name\x00with\x00nul",
    "\x1b[31mred\x1b[0m",
    "line\nbreak",
    "日本語の会議",
    "🎉🎉🎉",
    "Ünïcödé Ñame",
    "ﬁle",  # a ligature that lower()/NFKC might turn into letters
    "İstanbul",
    "ｆｕｌｌｗｉｄｔｈ",
    "%2e%2e%2fetc",
    "a" * 10_000,
    "ab/" * 5_000,
    "CON",
    " spaced  out ",
    "_leading_and_trailing_",
    "",
]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("k8s integration discussion", "k8s_integration_discussion"),
        ("Team Sync-Up", "team_sync_up"),
        ("already_ok_123", "already_ok_123"),
        ("../../etc/passwd", "etc_passwd"),
        ("<script>alert(1)</script>", "script_alert_1_script"),
        ("日本語", ""),
        ("Ünïcödé Ñame", "n_c_d_ame"),
        ("__x__", "x"),
        ("a   b", "a_b"),
        ("", ""),
    ],
)
def test_normalize_name(raw: str, name: str) -> None:
    assert normalize_name(raw) == name


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_names_normalize_safely(raw: str) -> None:
    name = normalize_name(raw)
    assert SAFE.match(name)
    assert len(name) <= MAX_NAME_LENGTH
    assert not name.startswith("_") and not name.endswith("_")
    assert normalize_name(name) == name


def test_long_names_are_cut() -> None:
    assert normalize_name("a" * 10_000) == "a" * MAX_NAME_LENGTH
    # Cutting never leaves a trailing underscore.
    assert normalize_name("a" * (MAX_NAME_LENGTH - 1) + " b") == "a" * (MAX_NAME_LENGTH - 1)


@pytest.mark.parametrize(
    ("channel", "name"),
    [
        ("#openstack-meeting", "openstack_meeting"),
        ("##python", "python"),
        ("&local", "local"),
        ("#Gavel", "gavel"),
        ("#", "meeting"),
        ("#日本", "meeting"),
        ("#../..", "meeting"),
    ],
)
def test_channel_name(channel: str, name: str) -> None:
    assert channel_name(channel) == name


def test_basename_layout() -> None:
    start = datetime(2016, 3, 16, 14, 30, 39, tzinfo=UTC)
    assert basename("k8s", start) == "k8s/2016/k8s.2016-03-16-14.30"
    assert basename("x", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "x/2024/x.2024-01-02-03.04"


@pytest.mark.parametrize("raw", HOSTILE)
def test_basename_is_always_a_safe_relative_path(raw: str) -> None:
    start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    path = basename(raw, start)
    directory, year, file = path.split("/")
    assert SAFE.match(directory) and directory
    assert year == "2024"
    assert file == f"{directory}.2024-01-02-03.04"
    assert ".." not in path and "\\" not in path and not path.startswith("/")


def test_basename_of_an_empty_name() -> None:
    start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert basename("", start) == "meeting/2024/meeting.2024-01-02-03.04"


# ---------------------------------------------------------------------------- names in a meeting


@pytest.mark.parametrize("raw", [r for r in HOSTILE if r.strip()])
def test_hostile_meetingname(raw: str) -> None:
    session = started(MeetingSettings(channel="#c"))
    session.say("alice", f"#meetingname {raw}")
    name = session.meeting.name
    assert SAFE.match(name) and name
    assert basename(name, T0) == f"{name}/2016/{name}.2016-03-16-14.30"


@pytest.mark.parametrize("raw", [r for r in HOSTILE if r.strip() and "\n" not in r])
def test_hostile_startmeeting_name(raw: str) -> None:
    session = started(MeetingSettings(channel="#c"), name=raw)
    name = session.meeting.name
    assert SAFE.match(name) and name
    assert basename(name, T0) == f"{name}/2016/{name}.2016-03-16-14.30"


def test_meetingname_traversal_example() -> None:
    session = started()
    assert says(session.say("alice", "#meetingname ../../etc/passwd")) == [
        "The meeting name has been set to 'etc_passwd'"
    ]
    assert basename(session.meeting.name, T0) == "etc_passwd/2016/etc_passwd.2016-03-16-14.30"


def test_startmeeting_script_example() -> None:
    session = started(name="<script>")
    assert session.meeting.name == "script"
    assert session.meeting.title == "<script>"


def test_unicode_only_startmeeting_name_keeps_the_channel_name() -> None:
    session = started(MeetingSettings(channel="#gavel-test"), name="日本語")
    assert session.meeting.name == "gavel_test"
    assert session.meeting.title == "日本語"


def test_huge_startmeeting_name() -> None:
    session = started(name="Z" * 10_000)
    assert session.meeting.name == "z" * MAX_NAME_LENGTH
    assert session.meeting.title == "Z" * 10_000
