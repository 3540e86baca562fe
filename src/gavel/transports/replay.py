"""Replay transport: IRC log files -> core events.

Reads MeetBot ``.log.txt`` logs (``HH:MM:SS <nick> text``, ``HH:MM:SS * nick text``) and the
irssi/weechat-style lines seen in channel logs (``[HH:MM] <@nick> text``, ``HH:MM -!- a is now known
as b``). Nothing is ever dropped: a line that matches no format becomes a ``RawLine`` (kept verbatim
in the log) and is reported; invalid UTF-8 is decoded with U+FFFD and reported; a log whose line
breaks were lost is split back at its timestamps, with a warning. The file is streamed, never loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice, pairwise
from pathlib import Path
from typing import BinaryIO

from gavel.core.events import (
    ROLE_CHAIRS_PREFIX,
    Event,
    LineKind,
    Row,
    nick_change_text,
    role_chairs_nicks,
    row_event,
)

MAX_STORED_WARNINGS = 200
_BATCH = 512

# A nick in gavel's own lines: words without ">" and one space between them (a Matrix display name may have spaces,
# "<Carol Ann>": the transport shows it with one space between words, and a ">" in it as U+203A).
_NICK = r"[^>\s]+(?: [^>\s]+)*"
_MESSAGE = re.compile(rf"(\d\d:\d\d:\d\d) <({_NICK})>(?: (.*))?\Z", re.DOTALL)
_ACTION = re.compile(r"(\d\d:\d\d:\d\d) \* (\S+)(?: (.*))?\Z", re.DOTALL)
_TIME = r"\[?(\d{1,2}):(\d\d)(?::(\d\d))?\]?"
_LOOSE_MESSAGE = re.compile(_TIME + r"\s+<[\s@+%&~]?([^>\s]+)>\s?(.*)\Z", re.DOTALL)
_LOOSE_ACTION = re.compile(_TIME + r"\s+\*\s+(\S+)\s?(.*)\Z", re.DOTALL)
_NICK_CHANGE = re.compile(_TIME + r"\s+(?:-!-|--|\*\*\*)\s+(\S(?:.*?\S)?) is now known as (\S(?:.*\S)?)\s*\Z")
_STATUS = re.compile(_TIME + r"\s+(?:-!-|--|\*\*\*|<--|-->)\s")
# gavel's log line of a Matrix edit or redaction (core/amendments.py): the core applies it again.
_AMENDMENT = re.compile(
    r"(\d\d:\d\d:\d\d) -!- (\S(?:.*?\S)?) (\(edited line [1-9]\d{0,8}\): .*|redacted line [1-9]\d{0,8})\Z", re.DOTALL
)
_ROLE_CHAIRS = re.compile(rf"(\d\d:\d\d:\d\d) -!- ({re.escape(ROLE_CHAIRS_PREFIX)}.*)\Z", re.DOTALL)
_AMENDED_NUMBER = re.compile(
    rb"^\d\d:\d\d:\d\d -!- \S(?:[^\n]*?\S)? (?:\(edited line ([1-9]\d{0,8})\): |redacted line ([1-9]\d{0,8})\r?$)", re.M
)
SCAN_BLOCK = 1 << 20  # bytes read at a time by amended_lines
LINE_HEAD = 1 << 16  # of a longer line, what amended_lines searches
_DAY_CHANGED = re.compile(r"--- (?:Day changed|Log opened) \w{3} (\w{3}) +(\d{1,2}) (?:[\d:]+ )?(\d{4})")
# Every line of a block: a MeetBot message (stamp, nick, text) or anything else (the whole line). The stamp's digits
# are ASCII ([0-9]: Unicode \d looks each digit up): a line whose stamp has other digits (no time is read from those)
# is matched whole and read by the line parser, which gives it the same row (test_block_rows_is_rows_line_by_line).
_BLOCK_LINE = re.compile(rf"^(?:([0-9][0-9]:[0-9][0-9]:[0-9][0-9]) <({_NICK})>(?: (.*))?|(.*))$", re.MULTILINE)
_SHORT = 200 - len("00:00:00 <> ")  # nick + text of a message line that cannot be glued lines (see _pieces)
_GLUE_POINT = re.compile(r"(?<!\d)\d\d:\d\d:\d\d (?=<[^>\s]+> |\* \S)")
_FILE_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:-(\d\d)\.(\d\d))?")
_MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}


@dataclass
class ReplayReport:
    """Warnings about one input file: bad bytes, unknown lines, glued lines."""

    path: str
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    lines: int = 0

    def warn(self, line: int, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_STORED_WARNINGS:
            self.warnings.append(f"{self.path}:{line}: {message}")

    def summary(self) -> list[str]:
        hidden = self.warning_count - len(self.warnings)
        return self.warnings + ([f"{self.path}: ... and {hidden} more warnings"] if hidden > 0 else [])


def date_from_filename(path: str | Path) -> date | None:
    """``name.YYYY-MM-DD-HH.MM.log.txt`` (or any ``YYYY-MM-DD`` in the name) -> that date."""
    match = _FILE_DATE.search(Path(path).name)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def name_from_filename(path: str | Path) -> str:
    """``k8s_meeting.2016-03-16-14.30.log.txt`` -> ``k8s_meeting`` (MeetBot's replay channel guess)."""
    return Path(path).name.split(".", 1)[0]


def split_glued(text: str) -> list[str]:
    """Split a line holding several log lines (their line breaks lost) at the timestamps.

    Returns ``[text]`` unless the line starts with a timestamp and at least two more timestamped
    lines follow inside it in non-decreasing time order (allowing one midnight roll-over per step).
    """
    points = [m.start() for m in _GLUE_POINT.finditer(text, 1)]
    if len(points) < 2 or not _GLUE_POINT.match(text):
        return [text]
    bounds = [0, *points, len(text)]
    parts = [text[bounds[i] : bounds[i + 1]].rstrip(" ") for i in range(len(bounds) - 1)]
    times = [part[:8] for part in parts]
    backwards = sum(1 for a, b in pairwise(times) if b < a)
    return parts if backwards <= 1 else [text]


_MESSAGE_KIND = LineKind.MESSAGE
_ACTION_KIND = LineKind.ACTION


class LineParser:
    """Turns decoded log lines into rows (see ``Row``), tracking the date (midnight roll-over, day-change lines)."""

    def __init__(self, day: date, report: ReplayReport) -> None:
        self.report = report
        self._spaced: set[str] = set()  # the nicks with spaces (Matrix display names) said or renamed to so far
        self._set_day(day)

    @property
    def day(self) -> date:
        return self._day

    def _set_day(self, day: date) -> None:
        self._day = day
        self._day_iso = day.isoformat()
        self._last = datetime(day.year, day.month, day.day, tzinfo=UTC)
        self._hms = "00:00:00"  # self._last as HH:MM:SS
        self._last_stamp = ""  # the stamp self._last was read from

    def _at(self, stamp: str) -> None:
        """Move to the time of an ``HH:MM:SS`` stamp on the current day, rolling over at midnight.

        An impossible stamp (``25:61:00``) leaves the time where it was.
        """
        if stamp == self._last_stamp:
            return
        try:
            moment = datetime.fromisoformat(f"{self._day_iso}T{stamp}+00:00")  # 5x faster than datetime(...)
        except ValueError:
            return
        if moment < self._last:  # times past midnight roll over to the next day
            self._day += timedelta(days=1)
            self._day_iso = self._day.isoformat()
            moment += timedelta(days=1)
        self._last, self._hms, self._last_stamp = moment, stamp, stamp

    def _row(self, kind: LineKind, stamp: str, nick: str, text: str) -> Row:
        self._at(stamp)
        return (kind, self._last, self._hms, nick, text)

    def _loose_row(self, kind: LineKind, hh: str, mm: str, ss: str | None, nick: str, text: str) -> Row:
        return self._row(kind, f"{hh.zfill(2)}:{mm}:{ss or '00'}", nick, text)

    def parse(self, text: str, number: int) -> Event:
        """The event of one line."""
        return row_event(self.parse_row(text, number))

    def block_rows(self, block: str, first: int, lines: int | None = None) -> list[Row]:
        """The rows of the lines in ``block`` (joined by ``\\n``, no ``\\r`` in it), the first numbered ``first``;
        ``lines``: how many lines it holds, when the caller knows (else they are counted).

        The per-line hot path of replay: one ``findall`` splits every line of the block into message
        fields in C, and the time stamp is converted in line; anything but a message goes to ``parse_row``.
        """
        found = _BLOCK_LINE.findall(block)
        if len(found) != (block.count("\n") + 1 if lines is None else lines):  # not expected: then line by line
            return self.rows(block.split("\n"), first)
        rows: list[Row] = []
        append = rows.append
        kind = _MESSAGE_KIND
        fromisoformat, short = datetime.fromisoformat, _SHORT
        last, hms, last_stamp, day_iso = self._last, self._hms, self._last_stamp, self._day_iso
        spaced = self._spaced
        for number, (stamp, nick, said, other) in enumerate(found, first):
            if stamp and len(said) + len(nick) <= short:  # a message on a line too short to hold glued lines
                if " " in nick:
                    spaced.add(nick)
                if stamp != last_stamp:
                    try:
                        moment = fromisoformat(f"{day_iso}T{stamp}+00:00")
                    except ValueError:  # an impossible stamp: the time stays
                        moment = None
                    if moment is not None and moment >= last:
                        last = moment
                        hms = last_stamp = stamp
                    elif moment is not None:  # past midnight: let _at roll the day over
                        self._last, self._hms, self._last_stamp = last, hms, last_stamp
                        self._at(stamp)
                        last, hms, last_stamp, day_iso = self._last, self._hms, self._last_stamp, self._day_iso
                append((kind, last, hms, nick, said))
                continue
            self._last, self._hms, self._last_stamp = last, hms, last_stamp
            rows += self.rows([f"{stamp} <{nick}> {said}" if stamp else other], number)
            last, hms, last_stamp, day_iso = self._last, self._hms, self._last_stamp, self._day_iso
        self._last, self._hms, self._last_stamp = last, hms, last_stamp
        return rows

    def rows(self, lines: list[str], first: int) -> list[Row]:
        """The rows of consecutive lines, the first numbered ``first``."""
        return [
            self.parse_row(piece, number)
            for number, text in enumerate(lines, first)
            for piece in _pieces(text, number, self.report)
        ]

    def parse_row(self, text: str, number: int) -> Row:
        """The row of one line (one log line: no line breaks, not glued)."""
        match = _MESSAGE.match(text)
        if match is not None:
            stamp, nick, said = match.groups()
            if " " in nick:
                self._spaced.add(nick)
            return self._row(_MESSAGE_KIND, stamp, nick, said or "")
        match = _ACTION.match(text)
        if match is not None:
            stamp, nick, said = match.groups()
            if self._spaced:
                nick, said = self._actor(text[len("00:00:00 * ") :], nick, said)
            return self._row(_ACTION_KIND, stamp, nick, said or "")
        match = _AMENDMENT.match(text)
        if match is not None:  # an edit or a redaction in a Matrix meeting's log: its line as the core logs it
            stamp, nick, rest = match.groups()
            return self._row(LineKind.NICK, stamp, nick, f"{nick} {rest}")
        match = _ROLE_CHAIRS.match(text)
        if match is not None and role_chairs_nicks(match.group(2)) is not None:
            return self._row(LineKind.NICK, match.group(1), "", match.group(2))  # who chairs by power level (Matrix)
        return self._parse_loose(text, number)

    def _actor(self, rest: str, nick: str, said: str | None) -> tuple[str, str | None]:
        """Who does an action (``* Carol Ann waves``): the longest nick with spaces met so far that begins the
        line (a nick and its text are told apart by the nicks the log used before), else its first word."""
        known = [name for name in self._spaced if rest == name or rest.startswith(name + " ")]
        if not known:
            return nick, said
        actor = max(known, key=len)
        return actor, rest[len(actor) + 1 :] if len(rest) > len(actor) else None

    def _parse_loose(self, text: str, number: int) -> Row:
        match = _NICK_CHANGE.match(text)
        if match is not None:
            hh, mm, ss, old, new = match.groups()
            self._spaced.update(name for name in (old, new) if " " in name)
            return self._loose_row(LineKind.NICK, hh, mm, ss, old, nick_change_text(old, new))
        match = _LOOSE_MESSAGE.match(text)
        if match is not None:
            return self._loose_row(_MESSAGE_KIND, *match.groups())
        match = _LOOSE_ACTION.match(text)
        if match is not None:
            return self._loose_row(_ACTION_KIND, *match.groups())
        day = _DAY_CHANGED.search(text)
        if day is not None and day.group(1) in _MONTHS:
            try:
                self._set_day(date(int(day.group(3)), _MONTHS[day.group(1)], int(day.group(2))))
            except ValueError:
                self.report.warn(number, f"impossible date in {text[:80]!r}")
        elif _STATUS.match(text) is None and text.strip():
            self.report.warn(number, f"unrecognized line kept as text: {text[:80]!r}")
        return (LineKind.RAW, self._last, self._hms, "", text)


def _decode(raw: bytes, number: int, report: ReplayReport) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        report.warn(number, f"invalid UTF-8 at byte {error.start}, replaced with U+FFFD")
        return raw.decode("utf-8", "replace")


def _pieces(text: str, number: int, report: ReplayReport) -> list[str]:
    """One physical line -> its log lines (a lone CR is a line break too; glued lines are split)."""
    pieces = text.split("\r") if "\r" in text else [text]
    result: list[str] = []
    for piece in pieces:
        if len(piece) > 200 and piece.count(":") > 6:  # (block_rows relies on this length)
            glued = split_glued(piece)
            if len(glued) > 1:
                report.warn(number, f"line holds {len(glued)} log lines glued together; split at timestamps")
            result.extend(glued)
        else:
            result.append(piece)
    return result


def decoded_blocks(
    raw_lines: Iterable[bytes], report: ReplayReport, batch_lines: int = _BATCH
) -> Iterator[tuple[int, str, int, bool]]:
    """``(number of the first line, its lines joined by "\\n", how many, clean)``, line endings stripped.

    A block of up to ``batch_lines`` lines is decoded with one C-level call (``clean``: it holds no carriage
    return; CRLF line ends become LF first); a block with bad bytes or lone carriage returns is redone
    line by line (one line per block), so reports still name the exact line.
    """
    number = 0
    iterator = iter(raw_lines)
    while batch := list(islice(iterator, batch_lines)):
        joined = b"".join(batch)
        if b"\r" in joined and joined.count(b"\r") == joined.count(b"\r\n"):  # CRLF line ends only (Windows)
            joined = joined.replace(b"\r\n", b"\n")
        if b"\r" not in joined:
            try:
                block = joined.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                if block.endswith("\n"):
                    block = block[:-1]
                yield number + 1, block, len(batch), True  # (a line of the file each, as counting "\n" finds)
                number += len(batch)
                report.lines = number
                continue
        for raw in batch:
            number += 1
            report.lines = number
            if raw.endswith(b"\n"):
                raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
            yield number, _decode(raw, number, report), 1, False


def amended_lines(stream: BinaryIO, block: int = SCAN_BLOCK, head: int = LINE_HEAD) -> frozenset[int]:
    """The line numbers that the edit and redaction lines of the log ``stream`` name (``(edited line 12)``,
    ``redacted line 12``): what the core must remember to apply them again. Read ``block`` bytes at a time (a
    plain substring search first, so a log that has none costs one pass at memory speed; a mapped file would
    stay in the process's RSS); a line longer than ``head`` is searched in its first ``head`` bytes, where an
    edit's frame is. The stream is left at its start."""
    found: set[int] = set()
    stream.seek(0)
    try:
        rest, skipping = b"", False  # rest: a line begun in the last block; skipping: the tail of a long line
        while chunk := stream.read(block):
            if skipping:
                end = chunk.find(b"\n")
                if end < 0:
                    continue
                chunk, skipping = chunk[end + 1 :], False
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            _find_amended(data[:cut], found)
            rest = data[cut:]
            if len(rest) > head:  # a long line: only its head can name a line
                _find_amended(rest[:head], found)
                rest, skipping = b"", True
        _find_amended(rest, found)
    finally:
        stream.seek(0)
    return frozenset(found)


def _find_amended(lines: bytes, found: set[int]) -> None:
    """Add the numbers that the edit and redaction lines among ``lines`` (whole lines) name."""
    if b"ed line " in lines:  # neither "(edited line N)" nor "redacted line N": nothing to parse
        found.update(int(edited or redacted) for edited, redacted in _AMENDED_NUMBER.findall(lines))


def read_rows(raw_lines: Iterable[bytes], day: date, report: ReplayReport) -> Iterator[list[Row]]:
    """The rows of one log file, in batches (what ``Meeting.handle_rows`` takes)."""
    parser = LineParser(day, report)
    for first, block, lines, clean in decoded_blocks(raw_lines, report):
        yield parser.block_rows(block, first, lines) if clean else parser.rows([block], first)


def read_events(raw_lines: Iterable[bytes], day: date, report: ReplayReport) -> Iterator[Event]:
    """The events of one log file, one per log line."""
    for rows in read_rows(raw_lines, day, report):
        for row in rows:
            yield row_event(row)
