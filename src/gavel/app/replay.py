"""Wires transports, the core and the writers together, and owns the clock.

Replay, live meetings and crash recovery are one path: events go through ``Meeting.handle`` and the
runtime executes the effects. Replay discards what the bot would say (the log already holds the
bot's original replies) and writes the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from gavel.app.archiving import ParsedMeeting
from gavel.app.output_tree import ALL_FORMATS, MeetingFiles, WrittenMeeting
from gavel.core.effects import Effect, LogLine, LogLines, MeetingEnded, MeetingStarted
from gavel.core.errors import GavelError
from gavel.core.events import Row
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState
from gavel.core.naming import basename
from gavel.render.view import build_view
from gavel.storage.archive.spool import LineSpool
from gavel.transports.replay import ReplayReport, date_from_filename, name_from_filename, read_rows

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
    if b"> Meeting started " not in head:  # the usual answer to "no": found without the pattern's slow scan
        return None
    match = _BOT_GREETING.search(head)
    return match.group(1).decode("utf-8", "replace") if match is not None else None


def log_settings(
    stream: BinaryIO, path: Path, channel: str | None, bot_nick: str | None, *, url_base: str = ""
) -> MeetingSettings:
    """How to replay the log ``stream`` (read from ``path``): its channel (from the file name unless given) and the
    bot's nick (detected near its start unless given). The stream is left at its start."""
    bot = bot_nick or detect_bot_nick(stream.read(_BOT_SCAN_BYTES))
    stream.seek(0)
    return MeetingSettings(channel=channel or "#" + name_from_filename(path), bot_nick=bot, url_base=url_base)


class MeetingRunner:
    """Drives meetings of one channel from a log's rows, writing each meeting's files.

    ``output_dir`` None: write no files (``gavel import`` keeps only the ``archive``d minutes and lines).
    """

    def __init__(
        self,
        settings: MeetingSettings,
        output_dir: Path | None,
        formats: tuple[str, ...] = ALL_FORMATS,
        *,
        archive: bool = False,
        spool_dir: str | None = None,
    ) -> None:
        self.settings = settings
        self.output_dir = output_dir
        self.formats = formats
        self.archive = archive
        self.spool_dir = spool_dir
        self.meeting = Meeting(settings)
        self.files: MeetingFiles | None = None
        self.spool: LineSpool | None = None  # with archive: the running meeting's lines
        self.written: list[WrittenMeeting] = []
        self.archived: list[ParsedMeeting] = []
        self.lines_outside = 0

    def feed(self, batches: Iterable[list[Row]]) -> None:
        for rows in batches:
            start, stop = 0, len(rows)
            while start < stop:
                idle = self.meeting.state is MeetingState.IDLE
                effects, end = self.meeting.handle_rows(rows, start)
                if idle:  # the lines before a meeting (not the one that starts it)
                    self.lines_outside += end - start - (1 if effects else 0)
                start = end
                self._apply(effects)

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            kind = type(effect)
            if kind is LogLines:
                assert isinstance(effect, LogLines)
                if self.files is not None:
                    self.files.write_rows(effect.first, effect.rows)
                if self.spool is not None:
                    self.spool.add_rows(effect.first, effect.rows)
            elif kind is LogLine:
                assert isinstance(effect, LogLine)
                if self.files is not None:
                    self.files.write(effect)
                if self.spool is not None:
                    self.spool.add(effect)
            elif kind is MeetingStarted:
                if self.output_dir is not None:
                    title = f"{self.settings.channel} log"
                    self.files = MeetingFiles(self.output_dir, formats=self.formats, title=title)
                if self.archive:
                    self.spool = LineSpool(directory=self.spool_dir)
            elif kind is MeetingEnded:
                self._finish(None)

    def _finish(self, unfinished_at: datetime | None) -> None:
        meeting = self.meeting
        assert meeting.started_at is not None
        log_basename = basename(meeting.name, meeting.started_at)
        if self.files is not None:
            written = self.files.finish(meeting, unfinished_at=unfinished_at)
            self.written.append(written)
            log_basename = written.basename
            self.files = None
        if self.spool is not None:
            view = build_view(meeting, log_basename=Path(log_basename).name, unfinished_at=unfinished_at)
            self.spool.close()
            self.archived.append(ParsedMeeting(view, self.spool))
            self.spool = None
        self.meeting = Meeting(self.settings)

    def close(self) -> None:
        """End of input: a meeting still running gets minutes too, marked unfinished."""
        if self.meeting.state is MeetingState.RUNNING:
            self._finish(self.meeting.last_activity or self.meeting.started_at)

    def abandon(self) -> None:
        """Drop the meeting in progress, if any (after an error, or after ``close``: nothing to drop)."""
        if self.files is not None:
            self.files.discard()
            self.files = None
        if self.spool is not None:
            self.spool.discard()
            self.spool = None

    def discard_archived(self) -> None:
        """Drop the finished meetings' spooled lines (after an error)."""
        for parsed in self.archived:
            parsed.spool.discard()
        self.archived = []


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
            settings = log_settings(stream, path, options.channel, options.bot_nick, url_base=options.url_base)
            runner = MeetingRunner(settings, options.output_dir, options.formats, archive=options.archive)
            try:
                runner.feed(read_rows(stream, day, report))
                runner.close()
            finally:
                runner.abandon()
    except (OSError, GavelError) as error:
        result.error = f"{path}: {error}"
        if runner is not None:
            runner.discard_archived()
        return result
    result.meetings = runner.written
    result.archived = runner.archived
    result.lines = report.lines
    result.lines_outside = runner.lines_outside
    result.warnings = report.summary()
    if not runner.written:
        result.warnings.append(f"{path}: no #startmeeting found; nothing written")
    return result
