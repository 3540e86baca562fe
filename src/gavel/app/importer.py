"""``gavel import``: MeetBot log files -> the archive.

Each ``.log.txt`` is replayed through the core in memory (the same transport, core and view as
``gavel replay``, but no files are written): its meetings come out as a :class:`ParsedMeeting`
(the minutes view plus a :class:`LineSpool` of its log lines), which the parsing process turns into
what the writer stores (an :class:`ArchivedMeeting`: the archive's record instead of the view).
``jobs`` worker processes parse (0: the calling process does), at a lower CPU priority so that the
writer, the bottleneck, always gets a core; the calling process is the archive's only writer. At
most ``4 * jobs`` parsed files are in flight, each meeting's lines in at most ``spool.MEMORY_LIMIT``
bytes (more goes to a temporary file), so memory stays bounded however fast the workers are.

Resumable: a file named ``<name>.<YYYY-MM-DD-HH.MM>.log.txt`` whose meeting is already stored
(``Archive.has_meeting``) is skipped without being read; any other file is parsed and stored again,
which replaces the stored copy (storing is idempotent).
"""

from __future__ import annotations

import contextlib
import os
import re
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from gavel.app.archiving import ArchivedMeeting, ParsedMeeting
from gavel.app.collector import fewer_collections
from gavel.app.executor import MeetingExecutor, Outputs, replay_ids
from gavel.app.replay import archive_collector, discard_archived, log_settings
from gavel.storage.archive.base import Archive
from gavel.transports.replay import (
    ReplayReport,
    amended_lines,
    date_from_filename,
    name_from_filename,
    read_rows,
)

WORKER_NICENESS = 10
ROUGH_LINE_BYTES = 80  # a MeetBot log line's usual size (with its time and nick): files' bytes -> about their lines
_STAMP = re.compile(r"\.(\d{4})-(\d\d)-(\d\d)-(\d\d)\.(\d\d)\.log\.txt\Z")


@dataclass
class ParsedLog:
    """What one log file held: its meetings, warnings, or the error that stopped it."""

    path: str
    meetings: list[ParsedMeeting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    lines: int = 0
    archived: list[ArchivedMeeting] = field(default_factory=list)  # the meetings as the writer takes them (instead)

    def discard(self) -> None:
        for spool in [meeting.spool for meeting in self.meetings] + [meeting.spool for meeting in self.archived]:
            spool.discard()


def parse_log(
    path: Path,
    day: date | None = None,
    channel: str | None = None,
    bot_nick: str | None = None,
    spool_dir: str | None = None,
    maubot_spellings: bool = False,
) -> ParsedLog:
    """Replay one log file in memory. Never raises: an error (unreadable file, no meeting) goes in the result."""
    result = ParsedLog(str(path))
    report = ReplayReport(str(path))
    day = date_from_filename(path) or day
    if day is None:
        result.error = f"{path}: cannot tell the meeting date: name the file NAME.YYYY-MM-DD-HH.MM.log.txt"
        return result
    archived: list[ParsedMeeting] = []
    outputs = Outputs(archive=archive_collector(archived), spool_dir=spool_dir)
    executor: MeetingExecutor | None = None
    try:
        with fewer_collections(), open(path, "rb") as stream:
            settings = log_settings(stream, path, channel, bot_nick, maubot_spellings)
            amended = amended_lines(stream)  # a Matrix meeting's edits and redactions, applied again
            executor = MeetingExecutor(lambda: settings, outputs, new_id=replay_ids(path), amended_lines=amended)
            executor.process_rows(read_rows(stream, day, report))
            executor.close()
    except Exception as error:
        if executor is not None:
            executor.abandon()
        discard_archived(archived)
        kind = "" if isinstance(error, OSError) else f"{type(error).__name__}: "
        result.error = f"{path}: {kind}{error}"
        if not isinstance(error, OSError):
            result.warnings.append(f"{path}: {traceback.format_exc(limit=-3).strip()}")
        return result
    result.meetings = archived
    result.lines = report.lines
    if not result.meetings:  # its warnings would only be noise about a file that is not a log
        result.error = f"{path}: no #startmeeting found: not a meeting log ({report.warning_count} warnings)"
    else:
        result.warnings = report.summary()
    return result


def parse_for_archive(path: Path, spool_dir: str | None = None, maubot_spellings: bool = False) -> ParsedLog:
    """:func:`parse_log`, its meetings turned into what the writer stores (``ParsedLog.archived``): in a parsing
    process, so that the writer neither makes their records nor loads their views."""
    result = parse_log(path, spool_dir=spool_dir, maubot_spellings=maubot_spellings)
    try:
        result.archived = [meeting.archived() for meeting in result.meetings]
    except Exception as error:  # (a bug: the record of a parsed view is plain data)
        result.discard()
        result.error = f"{path}: {type(error).__name__}: {error}"
        result.archived = []
    result.meetings = []
    return result


def stored_already(archive: Archive, path: Path) -> bool:
    """True when the file's name says which meeting it holds and the archive has that meeting."""
    match = _STAMP.search(path.name)
    if match is None:
        return False
    try:
        year, month, day, hour, minute = (int(group) for group in match.groups())
        started = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return False
    name = name_from_filename(path)
    return archive.has_meeting(name, started, "#" + name)


def _chronological(path: Path) -> tuple[str, str]:
    """A sort key: the time stamp in the file's name (files without one first), then the path."""
    match = _STAMP.search(path.name)
    return ("".join(match.groups()) if match else "", str(path))


@dataclass
class ImportReport:
    files: int = 0
    skipped: int = 0  # already in the archive
    failed: int = 0
    meetings: int = 0  # stored
    lines: int = 0  # log lines stored
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _lower_priority() -> None:
    """In a parsing worker: yield the CPU to the single writer, the bottleneck (on 2 cores with --jobs 2 the
    import went from 120k to 133k lines/s)."""
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def _parsed(files: list[Path], jobs: int, spool_dir: str | None, maubot: bool) -> Iterator[ParsedLog]:
    """Each file parsed, in the order they finish: by ``jobs`` worker processes, or here when ``jobs`` is 0
    (or there is only one file). Even one worker doubles the speed: parsing and storing then overlap."""
    if jobs < 1 or len(files) <= 1:
        for path in files:
            yield parse_for_archive(path, spool_dir=spool_dir, maubot_spellings=maubot)
        return
    pending = iter(files)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_lower_priority) as pool:
        running: dict[Future[ParsedLog], Path] = {}
        try:
            while True:
                while len(running) < 4 * jobs and (upcoming := next(pending, None)) is not None:
                    running[pool.submit(parse_for_archive, upcoming, spool_dir, maubot)] = upcoming
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    path = running.pop(future)
                    try:
                        parsed = future.result()
                    except Exception as error:
                        parsed = ParsedLog(str(path), error=f"{path}: {type(error).__name__}: {error}")
                    yield parsed
        finally:
            for future in running:
                future.cancel()
            for future in running:
                if not future.cancelled() and future.exception() is None:
                    future.result().discard()


def import_logs(
    archive: Archive,
    files: list[Path],
    *,
    jobs: int = 2,
    network: str | None = None,
    resume: bool = True,
    spool_dir: str | None = None,
    on_file: Callable[[ParsedLog | None, ImportReport], None] | None = None,
    maubot_spellings: bool = False,
) -> ImportReport:
    """Store the meetings of ``files`` in ``archive``; a bad file is reported and the run goes on.
    ``maubot_spellings``: read maubot-meetings' command spellings too (the logs of Matrix rooms that use them).

    ``on_file`` is called after each file (with None for a skipped one) for progress reporting.
    """
    report = ImportReport(files=len(files))
    todo: list[Path] = []
    for path in files:
        if resume and stored_already(archive, path):
            report.skipped += 1
            if on_file is not None:
                on_file(None, report)
        else:
            todo.append(path)
    # Oldest meetings first, whatever the tree's layout: a search that matches more than Archive.search_cap
    # lines ranks the most recently stored ones, which should then be the newest.
    todo.sort(key=_chronological)
    with archive.bulk_load(_expected_lines(todo)):
        _store_all(archive, todo, jobs, network, spool_dir, on_file, report, maubot_spellings)
    return report


def _expected_lines(files: list[Path]) -> int:
    """About how many log lines ``files`` hold (from their sizes)."""
    size = 0
    for path in files:
        with contextlib.suppress(OSError):  # an unreadable file is reported when it is parsed
            size += path.stat().st_size
    return size // ROUGH_LINE_BYTES


def _store_all(
    archive: Archive,
    todo: list[Path],
    jobs: int,
    network: str | None,
    spool_dir: str | None,
    on_file: Callable[[ParsedLog | None, ImportReport], None] | None,
    report: ImportReport,
    maubot: bool,
) -> None:
    for parsed in _parsed(todo, jobs, spool_dir, maubot):
        report.warnings.extend(parsed.warnings)
        if parsed.error is None:
            for index, meeting in enumerate(parsed.archived):
                count = meeting.spool.count
                try:
                    meeting.store(archive, network=network)
                except Exception as error:
                    parsed.error = f"{parsed.path}: cannot store meeting {meeting.log_basename}: {error}"
                    for rest in parsed.archived[index + 1 :]:
                        rest.spool.discard()
                    break
                report.meetings += 1
                report.lines += count
        if parsed.error is not None:
            report.failed += 1
            report.errors.append(parsed.error)
        if on_file is not None:
            on_file(parsed, report)
