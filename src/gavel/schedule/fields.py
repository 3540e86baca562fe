"""Reading one field of a schedule file: each reader returns the value or adds a problem and returns None."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from gavel.schedule.model import MAX_DURATION, WEEKDAYS, Problem

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHANNEL = re.compile(r"[^\s,#\x00-\x1f\x7f]{1,50}\Z")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)
_DIGITS8 = re.compile(r"[0-9]{8}\Z")
_OCTAL_HINT = " (write it quoted: '0700'; YAML reads an unquoted 0700 as a number)"
_DIGITS4 = re.compile(r"[0-9]{4}\Z")


def describe(value: Any) -> str:
    """A short description of a value for an error message (never the whole of a large value)."""
    if isinstance(value, str | int | float | bool | date) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    kind = "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else type(value).__name__
    return f"an empty {kind}" if isinstance(value, list | dict) and not value else f"a {kind}"


class FieldReader:
    """Reads fields of one file, collecting the problems it finds."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, field, message))

    def text(self, value: Any, field: str, *, max_length: int, multiline: bool = False) -> str | None:
        if not isinstance(value, str):
            self.problem(field, f"must be text, not {describe(value)}")
            return None
        if (_CONTROL_BUT_NEWLINES if multiline else _CONTROL).search(value):
            self.problem(field, "must not contain control characters")
            return None
        if len(value) > max_length:
            self.problem(field, f"is longer than {max_length} characters")
            return None
        return value.strip()

    def required_text(self, value: Any, field: str, *, max_length: int, multiline: bool = False) -> str | None:
        found = self.text(value, field, max_length=max_length, multiline=multiline)
        if found == "":
            self.problem(field, "must not be empty")
            return None
        return found

    def url(self, value: Any, field: str) -> str | None:
        found = self.text(value, field, max_length=2000)
        if found is not None and not _URL.match(found):
            self.problem(field, f"must be an http:// or https:// URL, not {describe(value)}")
            return None
        return found

    def channel(self, value: Any, field: str) -> str | None:
        if not isinstance(value, str):
            self.problem(field, f"must be a channel name, not {describe(value)}")
            return None
        name = value.strip().removeprefix("#")
        if not _CHANNEL.match(name):
            self.problem(field, f"is not a channel name (no spaces, commas or control characters): {describe(value)}")
            return None
        return name

    def clock_time(self, value: Any, field: str) -> time | None:
        """``'HHMM'`` (UTC). An unquoted number is taken only from 1000 up: YAML reads ``0700`` as octal 448."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1000:
            value = str(value)
        if not isinstance(value, str) or not _DIGITS4.match(value):
            hint = (
                " (write it quoted: '0700'; YAML reads an unquoted 0700 as a number)" if isinstance(value, int) else ""
            )
            self.problem(field, f"must be a time 'HHMM' in UTC, not {describe(value)}{hint}")
            return None
        hours, minutes = int(value[:2]), int(value[2:])
        if hours > 23 or minutes > 59:
            self.problem(field, f"is not a time of day: {describe(value)}")
            return None
        return time(hours, minutes)

    def weekday(self, value: Any, field: str) -> int | None:
        if isinstance(value, str) and value.strip().capitalize() in WEEKDAYS:
            return WEEKDAYS.index(value.strip().capitalize())
        self.problem(field, f"must be one of {', '.join(WEEKDAYS)}, not {describe(value)}")
        return None

    def duration(self, value: Any, field: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_DURATION:
            self.problem(field, f"must be a whole number of minutes from 1 to {MAX_DURATION}, not {describe(value)}")
            return None
        return value

    def day(self, value: Any, field: str) -> date | None:
        """``YYYYMMDD`` (text or a number); a YAML date (``2026-01-05``) is accepted too."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and _DIGITS8.match(value):
            try:
                return date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                pass
        self.problem(field, f"must be a date YYYYMMDD, not {describe(value)}")
        return None
