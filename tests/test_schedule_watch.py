"""A schedule directory followed while the bot runs: changes noticed, bad edits keep the last good version."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gavel.schedule import watch
from gavel.schedule.directory import load_meeting
from gavel.schedule.model import MeetingSchedule, Problem
from gavel.schedule.watch import ScheduleWatcher
from schedule_support import meeting_yaml

T0 = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
WEEKLY = "{time: '1600', day: Tuesday, irc: meet, frequency: weekly}"


def write(path: Path, text: str) -> None:
    """Write ``text`` and move the file's time forward by a second, as a later edit would."""
    before = path.stat().st_mtime_ns if path.exists() else None
    path.write_text(text, encoding="utf-8")
    if before is not None:
        os.utime(path, ns=(before + 10**9, before + 10**9))


def nova(entry: str = WEEKLY, chair: str = "gibi") -> str:
    return meeting_yaml(entry, head=f"project: Nova\nmeeting_id: nova\nchair: {chair}\ndescription: Compute\n")


@pytest.fixture()
def directory(tmp_path: Path) -> Path:
    path = tmp_path / "schedule"
    path.mkdir()
    write(path / "nova.yaml", nova())
    return path


def chairs(watcher: ScheduleWatcher) -> dict[str, str]:
    return {meeting.stem: meeting.chair for meeting in watcher.schedule.meetings}


def test_meetings_added_changed_and_removed_are_seen_at_the_next_look(directory: Path) -> None:
    watcher = ScheduleWatcher(directory, every=timedelta(seconds=5))
    first = watcher.refresh(T0)
    assert first.changes == (f"{directory / 'nova.yaml'}: added (meeting nova)",) and first.errors == ()
    assert chairs(watcher) == {"nova": "gibi"}
    assert not watcher.refresh(T0 + timedelta(seconds=5))  # nothing changed: nothing said
    write(directory / "nova.yaml", nova(chair="bauzas"))
    write(directory / "kolla.yaml", meeting_yaml(WEEKLY.replace("meet", "kolla")))
    (directory / "notes.txt").write_text("not a schedule", encoding="utf-8")
    seen = watcher.refresh(T0 + timedelta(seconds=10))
    assert seen.changes == (
        f"{directory / 'kolla.yaml'}: added (meeting nova)",  # meeting_yaml's project is Nova too
        f"{directory / 'nova.yaml'}: changed (meeting nova)",
    )
    assert chairs(watcher) == {"kolla": "gibi", "nova": "bauzas"}
    (directory / "kolla.yaml").unlink()
    assert watcher.refresh(T0 + timedelta(seconds=15)).changes == (
        f"{directory / 'kolla.yaml'}: removed (meeting nova)",
    )
    assert chairs(watcher) == {"nova": "bauzas"}


def test_the_directory_is_looked_at_no_more_often_than_every(directory: Path) -> None:
    watcher = ScheduleWatcher(directory, every=timedelta(seconds=30))
    watcher.refresh(T0)
    write(directory / "nova.yaml", nova(chair="bauzas"))
    assert not watcher.refresh(T0 + timedelta(seconds=29)) and chairs(watcher) == {"nova": "gibi"}
    assert watcher.refresh(T0 + timedelta(seconds=30)) and chairs(watcher) == {"nova": "bauzas"}
    write(directory / "nova.yaml", nova(chair="sean"))
    assert watcher.refresh(T0) and chairs(watcher) == {"nova": "sean"}  # the clock went back: look at once


def test_a_bad_edit_keeps_the_last_good_version_and_is_said_once_until_fixed(directory: Path) -> None:
    watcher = ScheduleWatcher(directory, every=timedelta(0))
    watcher.refresh(T0)
    path = directory / "nova.yaml"
    write(path, "project: Nova\nchair: [unclosed\n")
    broken = watcher.refresh(T0 + timedelta(seconds=1))
    assert broken.changes == ()
    (error,) = broken.errors
    assert error.startswith(f"{path}: not valid YAML at line 3") and error.endswith("(keeping the version read before)")
    assert chairs(watcher) == {"nova": "gibi"}
    kept = " (keeping the version read before)"
    assert [str(problem) for problem in watcher.schedule.problems] == [error.removesuffix(kept)]
    write(path, "project: Nova\nchair: [unclosed\n")  # touched again, the same problem: not said again
    assert not watcher.refresh(T0 + timedelta(seconds=2))
    write(path, nova(WEEKLY.replace("Tuesday", "Tusday"), chair="bauzas"))  # a new problem: said
    (error,) = watcher.refresh(T0 + timedelta(seconds=3)).errors
    assert error == (
        f"{path}: schedule[0].day: must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, "
        "not 'Tusday' (keeping the version read before)"
    )
    assert chairs(watcher) == {"nova": "gibi"}
    write(path, nova(chair="bauzas"))
    fixed = watcher.refresh(T0 + timedelta(seconds=4))
    assert fixed.changes == (f"{path}: fixed", f"{path}: changed (meeting nova)") and fixed.errors == ()
    assert chairs(watcher) == {"nova": "bauzas"} and watcher.schedule.problems == ()


def test_a_file_bad_from_the_start_is_left_out_until_fixed(directory: Path) -> None:
    write(directory / "ops.yaml", "- not a mapping\n")
    watcher = ScheduleWatcher(directory, every=timedelta(0))
    start = watcher.refresh(T0)
    assert [error.endswith("(left out)") for error in start.errors] == [True]
    assert chairs(watcher) == {"nova": "gibi"}
    ops = meeting_yaml(WEEKLY.replace("meet", "ops"), head="project: Ops\nchair: al\ndescription: ''\n")
    write(directory / "ops.yaml", ops)
    assert watcher.refresh(T0 + timedelta(seconds=1)).changes == (
        f"{directory / 'ops.yaml'}: fixed",
        f"{directory / 'ops.yaml'}: added (meeting ops)",
    )
    assert chairs(watcher) == {"nova": "gibi", "ops": "al"}


def test_an_unreadable_directory_keeps_the_schedule_and_says_so_once(directory: Path, tmp_path: Path) -> None:
    watcher = ScheduleWatcher(directory, every=timedelta(0))
    watcher.refresh(T0)
    directory.rename(tmp_path / "moved")
    (error,) = watcher.refresh(T0 + timedelta(seconds=1)).errors
    assert "cannot be read" in error and "keeping the schedule read before" in error
    assert not watcher.refresh(T0 + timedelta(seconds=2))
    assert chairs(watcher) == {"nova": "gibi"}
    (tmp_path / "moved").rename(directory)
    assert watcher.refresh(T0 + timedelta(seconds=3)).changes == (f"{directory}: can be read again",)
    assert chairs(watcher) == {"nova": "gibi"}


def test_a_file_replaced_with_the_same_size_and_time_is_seen_by_its_inode(directory: Path) -> None:
    """Tools that write a new file and rename it over the old one (git, many editors) change the inode."""
    watcher = ScheduleWatcher(directory, every=timedelta(0))
    watcher.refresh(T0)
    path = directory / "nova.yaml"
    stat = path.stat()
    replacement = directory / "nova.tmp"
    replacement.write_text(nova(chair="sean"), encoding="utf-8")  # as long as "gibi"
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(path)
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert watcher.refresh(T0 + timedelta(seconds=1)).changes == (f"{path}: changed (meeting nova)",)
    assert chairs(watcher) == {"nova": "sean"}


def test_only_the_files_that_changed_are_read_again(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        write(directory / f"{name}.yaml", meeting_yaml(WEEKLY.replace("meet", name)))
    watcher = ScheduleWatcher(directory, every=timedelta(0))
    watcher.refresh(T0)
    read: list[str] = []

    def counted(path: Path) -> tuple[MeetingSchedule | None, list[Problem], list[Problem]]:
        read.append(path.name)
        return load_meeting(path)

    monkeypatch.setattr(watch, "load_meeting", counted)
    write(directory / "b.yaml", meeting_yaml(WEEKLY.replace("meet", "bb")))
    watcher.refresh(T0 + timedelta(seconds=1))
    assert read == ["b.yaml"]
    assert not watcher.refresh(T0 + timedelta(seconds=2)) and read == ["b.yaml"]
