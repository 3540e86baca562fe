"""``gavel replay``: log files through the core into the output tree (and, with ``--archive``, the archive).

The same path as the live bot (``gavel.app.executor``), with no chat and no journal: the log already
holds the bot's original replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from gavel.app.collector import fewer_collections
from gavel.app.executor import ArchiveTarget, MeetingExecutor, Outputs, replay_ids
from gavel.app.output_tree import ALL_FORMATS, WrittenMeeting
from gavel.core.errors import GavelError
from gavel.core.meeting import Meeting, MeetingSettings
from gavel.transports.replay import (
    ReplayReport,
    amended_lines,
    date_from_filename,
    name_from_filename,
    read_rows,
)

if TYPE_CHECKING:
    from gavel.app.archiving import ParsedMeeting

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
    maubot_spellings: bool = False  # read maubot-meetings' command spellings too (!sm, ^info ...: a Matrix room's)


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
    stream: BinaryIO, path: Path, channel: str | None, bot_nick: str | None, maubot_spellings: bool = False
) -> MeetingSettings:
    """How to replay the log ``stream`` (read from ``path``): its channel (from the file name unless given) and the
    bot's nick (detected near its start unless given). The stream is left at its start."""
    bot = bot_nick or detect_bot_nick(stream.read(_BOT_SCAN_BYTES))
    stream.seek(0)
    name = channel or "#" + name_from_filename(path)
    return MeetingSettings(channel=name, bot_nick=bot, maubot_spellings=maubot_spellings)


def archive_collector(into: list[ParsedMeeting]) -> ArchiveTarget:
    """An archive sink that keeps each ended meeting (for ``Archive.store`` by the caller)."""

    def keep(meeting: Meeting, parsed: ParsedMeeting) -> None:
        into.append(parsed)

    return keep


def discard_archived(parsed: list[ParsedMeeting]) -> None:
    """Drop the finished meetings' spooled lines (after an error)."""
    for meeting in parsed:
        meeting.spool.discard()
    parsed.clear()


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
    archived: list[ParsedMeeting] = []
    outputs = Outputs(
        output_dir=options.output_dir,
        formats=options.formats,
        url_base=options.url_base,
        archive=archive_collector(archived) if options.archive else None,
    )
    try:
        with fewer_collections(), open(path, "rb") as stream:
            settings = log_settings(stream, path, options.channel, options.bot_nick, options.maubot_spellings)
            amended = amended_lines(stream)  # a Matrix meeting's edits and redactions, applied again
            executor = MeetingExecutor(lambda: settings, outputs, new_id=replay_ids(path), amended_lines=amended)
            try:
                executor.process_rows(read_rows(stream, day, report))
                executor.close()
            finally:
                executor.abandon()
    except (OSError, GavelError) as error:
        result.error = f"{path}: {error}"
        discard_archived(archived)
        return result
    result.meetings = executor.written
    result.archived = archived
    result.lines = report.lines
    result.lines_outside = executor.lines_outside
    result.warnings = report.summary()
    if not executor.written:
        result.warnings.append(f"{path}: no #startmeeting found; nothing written")
    return result
