"""Parse one schedule file (OpenStack irc-meetings YAML) into a :class:`MeetingSchedule`, naming every problem.

Pure: takes the file's text. Hostile input (malformed YAML, wrong types, control characters, huge values)
gives problems, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from gavel.schedule.fields import FieldReader, describe
from gavel.schedule.model import WEEKDAYS, Entry, Frequency, MeetingSchedule, Problem, SkipDate

MAX_FILE_CHARS = 1 << 20
MEETING_KEYS = frozenset({"project", "chair", "description", "meeting_id", "agenda_url", "project_url", "schedule"})
ENTRY_KEYS = frozenset({"time", "day", "irc", "frequency", "duration", "start_date", "skip_dates"})
SKIP_KEYS = frozenset({"skip_date", "reason"})
T = TypeVar("T")
_FREQUENCIES = ", ".join(frequency.value for frequency in Frequency)


def parse_meeting(text: str, file: str, stem: str) -> tuple[MeetingSchedule | None, list[Problem], list[Problem]]:
    """The meeting in ``text`` (the file ``file``), or None, with its problems and its warnings (unknown keys)."""
    reader = FieldReader(file)
    warnings: list[Problem] = []
    data = _load(text, reader)
    if data is None:
        return None, reader.problems, warnings
    warnings.extend(Problem(file, str(key), "unknown key (ignored)") for key in data if key not in MEETING_KEYS)
    project = reader.required_text(data.get("project"), "project", max_length=200)
    chair = reader.required_text(data.get("chair"), "chair", max_length=1000)
    description = reader.text(data.get("description"), "description", max_length=20000, multiline=True)
    meeting_id = _optional(data, "meeting_id", lambda v, f: reader.required_text(v, f, max_length=200))
    agenda_url = _optional(data, "agenda_url", reader.url)
    project_url = _optional(data, "project_url", reader.url)
    entries = _entries(data.get("schedule"), reader, warnings)
    if reader.problems or project is None or chair is None or description is None or entries is None:
        return None, reader.problems, warnings
    meeting = MeetingSchedule(
        stem=stem,
        project=project,
        chair=chair,
        description=description,
        entries=entries,
        meeting_id=meeting_id,
        agenda_url=agenda_url,
        project_url=project_url,
    )
    return meeting, [], warnings


def _load(text: str, reader: FieldReader) -> dict[str, Any] | None:
    if len(text) > MAX_FILE_CHARS:
        reader.problem("", f"is larger than {MAX_FILE_CHARS} characters")
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or "malformed"
        reader.problem("", f"not valid YAML{where}: {reason}")
        return None
    except RecursionError:
        reader.problem("", "not valid YAML: nested too deeply")
        return None
    if not isinstance(data, dict):
        reader.problem("", f"must be a mapping of project, chair, description, schedule ..., not {describe(data)}")
        return None
    return data


def _optional(data: dict[str, Any], key: str, read: Callable[[Any, str], str | None]) -> str | None:
    value = data.get(key)
    return None if value is None else read(value, key)


def _entries(value: Any, reader: FieldReader, warnings: list[Problem]) -> tuple[Entry, ...] | None:
    if not isinstance(value, list) or not value:
        reader.problem("schedule", f"must be a non-empty list of meeting times, not {describe(value)}")
        return None
    entries = [_entry(item, f"schedule[{index}]", reader, warnings) for index, item in enumerate(value)]
    return tuple(entry for entry in entries if entry is not None) if None not in entries else None


def _entry(value: Any, where: str, reader: FieldReader, warnings: list[Problem]) -> Entry | None:
    if not isinstance(value, dict):
        reader.problem(where, f"must be a mapping of time, day, irc, frequency ..., not {describe(value)}")
        return None
    warnings.extend(
        Problem(reader.file, f"{where}.{key}", "unknown key (ignored)") for key in value if key not in ENTRY_KEYS
    )
    before = len(reader.problems)
    frequency = _frequency(value.get("frequency"), f"{where}.frequency", reader)
    adhoc = frequency is Frequency.ADHOC
    start = _read_or_none(value, "time", where, adhoc, reader.clock_time, reader)
    weekday = _read_or_none(value, "day", where, adhoc or _monthly(frequency), reader.weekday, reader)
    if frequency is not None and frequency.monthly_weekday is not None:
        weekday = _monthly_day(weekday, frequency, f"{where}.day", reader)
    channel = reader.channel(value.get("irc"), f"{where}.irc")
    duration = reader.duration(value.get("duration", 60), f"{where}.duration")
    start_date = _read_or_none(value, "start_date", where, True, reader.day, reader)
    skips = _skip_dates(value.get("skip_dates"), f"{where}.skip_dates", reader)
    if len(reader.problems) > before or frequency is None or channel is None or duration is None or skips is None:
        return None
    return Entry(channel, frequency, weekday, start, duration, start_date, skips)


def _monthly(frequency: Frequency | None) -> bool:
    return frequency is not None and frequency.monthly_weekday is not None


def _read_or_none(
    value: dict[str, Any], key: str, where: str, optional: bool, read: Callable[[Any, str], T], reader: FieldReader
) -> T | None:
    if value.get(key) is None:
        if not optional:
            reader.problem(f"{where}.{key}", "is required")
        return None
    return read(value[key], f"{where}.{key}")


def _frequency(value: Any, field: str, reader: FieldReader) -> Frequency | None:
    try:
        return Frequency(value.strip().lower()) if isinstance(value, str) else Frequency(value)
    except ValueError:
        reader.problem(field, f"must be one of {_FREQUENCIES}, not {describe(value)}")
        return None


def _monthly_day(weekday: int | None, frequency: Frequency, field: str, reader: FieldReader) -> int | None:
    expected = frequency.monthly_weekday
    if weekday is not None and weekday != expected:
        assert expected is not None
        reader.problem(
            field, f"is {WEEKDAYS[weekday]} but the frequency {frequency.value} meets on a {WEEKDAYS[expected]}"
        )
        return None
    return expected


def _skip_dates(value: Any, field: str, reader: FieldReader) -> tuple[SkipDate, ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        reader.problem(field, f"must be a list of {{skip_date: YYYYMMDD, reason: ...}}, not {describe(value)}")
        return None
    skips: list[SkipDate] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            reader.problem(where, f"must be a mapping {{skip_date: YYYYMMDD, reason: ...}}, not {describe(item)}")
            continue
        day = reader.day(item.get("skip_date"), f"{where}.skip_date")
        reason = item.get("reason")
        text = "" if reason is None else reader.text(reason, f"{where}.reason", max_length=1000)
        if day is not None and text is not None:
            skips.append(SkipDate(day, text))
    return tuple(skips) if len(skips) == len(value) else None
