"""Reading a directory of schedule files (``*.yaml``, one meeting each)."""

from __future__ import annotations

from pathlib import Path

from gavel.schedule.model import MeetingSchedule, Problem, Schedule
from gavel.schedule.parse import MAX_FILE_CHARS, parse_meeting


def load_schedule(directory: Path) -> Schedule:
    """Every meeting of ``directory`` that parses; the problems of the files that do not (none are fatal)."""
    meetings: list[MeetingSchedule] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    try:
        files = sorted(path for path in directory.iterdir() if path.suffix == ".yaml" and path.is_file())
    except OSError as error:
        return Schedule((), (Problem(str(directory), "", f"cannot be read: {error.strerror or error}"),))
    if not files:
        problems.append(Problem(str(directory), "", "holds no *.yaml files"))
    for path in files:
        meeting, found, warned = load_meeting(path)
        problems.extend(found)
        warnings.extend(warned)
        if meeting is not None:
            meetings.append(meeting)
    return Schedule(tuple(meetings), tuple(problems), tuple(warnings))


def load_meeting(path: Path) -> tuple[MeetingSchedule | None, list[Problem], list[Problem]]:
    """The meeting of one file, or None, with its problems and warnings."""
    text, problem = _read(path)
    if problem is not None:
        return None, [problem], []
    return parse_meeting(text, str(path), path.stem)


def _read(path: Path) -> tuple[str, Problem | None]:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_CHARS * 4 + 1)
    except OSError as error:
        return "", Problem(str(path), "", f"cannot be read: {error.strerror or error}")
    if len(data) > MAX_FILE_CHARS * 4:
        return "", Problem(str(path), "", f"is larger than {MAX_FILE_CHARS * 4} bytes")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        return "", Problem(str(path), "", f"is not UTF-8 (byte {error.start})")
