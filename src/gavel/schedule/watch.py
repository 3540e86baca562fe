"""A schedule directory followed while the bot runs: re-read when its files change, the last good version of each
file kept while its current text is bad.

Changes are noticed by a signature of each ``*.yaml`` file (inode, size, modification time in nanoseconds), looked at
no more often than ``every`` (the time comes from the caller). Only the files whose signature changed are read again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from gavel.schedule.directory import load_meeting
from gavel.schedule.model import MeetingSchedule, Problem, Schedule

Stamp = tuple[int, int, int]  # inode, size, mtime (ns)


@dataclass(frozen=True, slots=True)
class Reload:
    """What one look at the directory found, as lines for the log: ``changes`` (meetings added, changed, removed,
    files fixed) and ``errors`` (each problem once, when it appears)."""

    changes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes or self.errors)


@dataclass(slots=True)
class _Files:
    stamps: dict[str, Stamp] = field(default_factory=dict)  # file name -> the signature of the version last read
    good: dict[str, MeetingSchedule] = field(default_factory=dict)  # file name -> its last good meeting
    failing: dict[str, tuple[Problem, ...]] = field(default_factory=dict)  # file name -> its current problems


class ScheduleWatcher:
    """The schedule of ``directory``, kept current by :meth:`refresh` (call it on every tick)."""

    def __init__(self, directory: Path, *, every: timedelta = timedelta(seconds=5)) -> None:
        self.directory = directory
        self.every = every
        self.schedule = Schedule(())
        self._files = _Files()
        self._unreadable: str | None = None
        self._looked: datetime | None = None

    def refresh(self, now: datetime) -> Reload:
        """Look at the directory when ``every`` has passed since the last look (or the clock went back)."""
        if self._looked is not None and self._looked <= now < self._looked + self.every:
            return Reload()
        self._looked = now
        return self.look()

    def look(self) -> Reload:
        """Read again the files that changed since the last look; what that changed."""
        try:
            stamps = _stamps(self.directory)
        except OSError as error:
            message = f"{self.directory}: cannot be read: {error.strerror or error}; keeping the schedule read before"
            if message == self._unreadable:
                return Reload()
            self._unreadable = message
            return Reload(errors=(message,))
        changes: list[str] = []
        errors: list[str] = []
        if self._unreadable is not None:
            self._unreadable = None
            changes.append(f"{self.directory}: can be read again")
        files = self._files
        for name in sorted(files.stamps.keys() - stamps.keys()):
            del files.stamps[name]
            files.failing.pop(name, None)
            gone = files.good.pop(name, None)
            if gone is not None:
                changes.append(f"{self.directory / name}: removed (meeting {gone.series})")
        for name, stamp in sorted(stamps.items()):
            if files.stamps.get(name) != stamp:
                files.stamps[name] = stamp
                self._read(name, changes, errors)
        if changes or errors:
            problems = tuple(problem for name in sorted(files.failing) for problem in files.failing[name])
            self.schedule = Schedule(tuple(files.good[name] for name in sorted(files.good)), problems)
        return Reload(tuple(changes), tuple(errors))

    def _read(self, name: str, changes: list[str], errors: list[str]) -> None:
        files = self._files
        path = self.directory / name
        meeting, problems, _ = load_meeting(path)
        before = files.good.get(name)
        if meeting is None:
            if files.failing.get(name) != tuple(problems):  # the same problems again: said already
                outcome = "keeping the version read before" if before is not None else "left out"
                errors.extend(f"{problem} ({outcome})" for problem in problems)
            files.failing[name] = tuple(problems)
            return
        if files.failing.pop(name, None) is not None:
            changes.append(f"{path}: fixed")
        files.good[name] = meeting
        if before is None:
            changes.append(f"{path}: added (meeting {meeting.series})")
        elif before != meeting:
            changes.append(f"{path}: changed (meeting {meeting.series})")


def _stamps(directory: Path) -> dict[str, Stamp]:
    stamps: dict[str, Stamp] = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            if Path(entry.name).suffix != ".yaml":  # as load_schedule
                continue
            try:
                if not entry.is_file():
                    continue
                info = entry.stat()
            except OSError:
                continue  # removed while listed: gone at the next look too
            stamps[entry.name] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return stamps
