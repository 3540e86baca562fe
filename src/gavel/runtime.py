"""Wires transports, the core and the writers together, and owns the clock.

Replay, live meetings and crash recovery are one path: events go through ``Meeting.handle`` and the
runtime executes the effects. Replay discards what the bot would say (the log already holds the
bot's original replies) and writes the files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from gavel.core.effects import Effect, LogLine, MeetingEnded, MeetingStarted
from gavel.core.errors import GavelError
from gavel.core.events import Event
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState
from gavel.render.view import build_view
from gavel.storage.archive.spool import LineSpool, ParsedMeeting
from gavel.storage.tree import ALL_FORMATS, MeetingFiles, WrittenMeeting
from gavel.transports.replay import ReplayReport, date_from_filename, name_from_filename, read_events

# The bot's answer to #startmeeting, at a line start or (in a log that lost its line breaks) after a space.
_BOT_GREETING = re.compile(rb"(?:^|(?<=\s))\[?\d\d?:\d\d(?::\d\d)?\]? <[@+]?([^>\s]+)> Meeting started ", re.MULTILINE)
_BOT_SCAN_BYTES = 64 * 1024


@dataclass(frozen=True)
class ReplayOptions:
    output_dir: Path
    date: date | None = None
    channel: str | None = None
    bot_nick: str | None = None  # None: detect it from the "Meeting started" reply
    url_base: str = ""
    formats: tuple[str, ...] = ALL_FORMATS
    archive: bool = False  # also keep each meeting's minutes and (spooled) lines in ReplayResult.archived


@dataclass
class ReplayResult:
    path: str
    meetings: list[WrittenMeeting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    lines: int = 0
    lines_outside: int = 0
    archived: list[ParsedMeeting] = field(default_factory=list)  # with ReplayOptions.archive: for Archive.store


def detect_bot_nick(head: bytes) -> str | None:
    """The nick that answered ``#startmeeting`` with "Meeting started ..." near the start of a log."""
    match = _BOT_GREETING.search(head)
    return match.group(1).decode("utf-8", "replace") if match is not None else None


class MeetingRunner:
    """Drives meetings of one channel from a stream of events, writing each meeting's files."""

    def __init__(
        self, settings: MeetingSettings, output_dir: Path, formats: tuple[str, ...], *, archive: bool = False
    ) -> None:
        self.settings = settings
        self.output_dir = output_dir
        self.formats = formats
        self.archive = archive
        self.meeting = Meeting(settings)
        self.files: MeetingFiles | None = None
        self.spool: LineSpool | None = None  # with archive: the running meeting's lines
        self.written: list[WrittenMeeting] = []
        self.archived: list[ParsedMeeting] = []
        self.lines_outside = 0

    def _line_writer(self) -> Callable[[LogLine], None] | None:
        if self.files is None:
            return None
        if self.spool is None:
            return self.files.write
        write, add = self.files.write, self.spool.add

        def write_and_spool(line: LogLine) -> None:
            write(line)
            add(line)

        return write_and_spool

    def feed(self, events: Iterator[Event]) -> None:
        handle = self.meeting.handle
        write = self._line_writer()
        for event in events:
            effects = handle(event)
            if len(effects) == 1 and write is not None and type(effects[0]) is LogLine:  # the per-line case
                write(effects[0])
                continue
            self._apply(effects)
            handle = self.meeting.handle
            write = self._line_writer()

    def _apply(self, effects: list[Effect]) -> None:
        if not effects and self.meeting.state is MeetingState.IDLE:
            self.lines_outside += 1
        for effect in effects:
            if type(effect) is LogLine:
                assert self.files is not None
                self.files.write(effect)
                if self.spool is not None:
                    self.spool.add(effect)
            elif isinstance(effect, MeetingStarted):
                title = f"{self.settings.channel} log"
                self.files = MeetingFiles(self.output_dir, formats=self.formats, title=title)
                if self.archive:
                    self.spool = LineSpool()
            elif isinstance(effect, MeetingEnded):
                self._finish(None)

    def _finish(self, unfinished_at: datetime | None) -> None:
        assert self.files is not None
        written = self.files.finish(self.meeting, unfinished_at=unfinished_at)
        self.written.append(written)
        if self.spool is not None:
            view = build_view(self.meeting, log_basename=Path(written.basename).name, unfinished_at=unfinished_at)
            self.spool.close()
            self.archived.append(ParsedMeeting(view, self.spool))
            self.spool = None
        self.files = None
        self.meeting = Meeting(self.settings)

    def close(self) -> None:
        """End of input: a meeting still running gets minutes too, marked unfinished."""
        if self.meeting.state is MeetingState.RUNNING and self.files is not None:
            self._finish(self.meeting.last_activity or self.meeting.started_at)

    def abandon(self) -> None:
        if self.files is not None:
            self.files.discard()
            self.files = None
        if self.spool is not None:
            self.spool.discard()
            self.spool = None


def replay_file(path: Path, options: ReplayOptions) -> ReplayResult:
    """Replay one log file into the output tree. Never raises for bad input: errors go in the result."""
    result = ReplayResult(str(path))
    report = ReplayReport(str(path))
    day = date_from_filename(path) or options.date
    if day is None:
        result.error = (
            f"{path}: cannot tell the meeting date: name the file NAME.YYYY-MM-DD-HH.MM.log.txt or pass --date"
        )
        return result
    runner: MeetingRunner | None = None
    try:
        with open(path, "rb") as stream:
            bot = options.bot_nick or detect_bot_nick(stream.read(_BOT_SCAN_BYTES))
            stream.seek(0)
            channel = options.channel or "#" + name_from_filename(path)
            settings = MeetingSettings(channel=channel, bot_nick=bot, url_base=options.url_base)
            runner = MeetingRunner(settings, options.output_dir, options.formats, archive=options.archive)
            try:
                runner.feed(read_events(stream, day, report))
                runner.close()
            finally:
                runner.abandon()
    except (OSError, GavelError) as error:
        result.error = f"{path}: {error}"
        for parsed in runner.archived if runner is not None else ():
            parsed.spool.discard()
        return result
    result.meetings = runner.written
    result.archived = runner.archived
    result.lines = report.lines
    result.lines_outside = runner.lines_outside
    result.warnings = report.summary()
    if not runner.written:
        result.warnings.append(f"{path}: no #startmeeting found; nothing written")
    return result
