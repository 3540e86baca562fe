"""The MeetBot output tree: ``DIR/<name>/<YYYY>/<name>.<YYYY-MM-DD-HH.MM>.<ext>``.

A meeting's log is streamed into a work file while it runs (its final name depends on the meeting
name, which ``#meetingname`` may still change); at the end the logs are moved into place and the
minutes written beside them. Every path is checked to stay inside the output directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from gavel.core.effects import LogLine
from gavel.core.events import Row
from gavel.core.meeting import Meeting
from gavel.core.naming import basename
from gavel.render.formats import ALL_FORMATS as ALL_FORMATS  # also imported from here by replay and config
from gavel.render.logs import LogHtmlWriter, LogTextWriter, log_html_footer
from gavel.render.minutes import MINUTES_STREAMS
from gavel.render.view import build_view
from gavel.storage.files import PUBLIC_MODE, RESTRICTED_MODE, fsync_dir, safe_path, write_atomic


@dataclass(frozen=True)
class WrittenMeeting:
    """Where one meeting's files went."""

    basename: str  # relative, without extension
    paths: tuple[Path, ...]
    unfinished: bool


class MeetingFiles:
    """The streaming log files of one running meeting, then its final files in the tree.

    ``work_name`` names the work directory (inside ``root``, so the final move is a rename); a live
    meeting passes a stable name so a restarted bot can clear what a crashed one left there.
    """

    def __init__(
        self,
        root: Path,
        *,
        formats: Iterable[str] = ALL_FORMATS,
        title: str = "",
        work_name: str | None = None,
        durable: bool = False,
    ) -> None:
        self.root = root
        self.durable = durable
        self.formats = tuple(formats)
        root.mkdir(parents=True, exist_ok=True)
        if work_name is None:
            self._work = Path(tempfile.mkdtemp(dir=root, prefix=".gavel-work-"))
        else:
            self._work = safe_path(root, ".gavel-work-" + work_name)
            shutil.rmtree(self._work, ignore_errors=True)
            self._work.mkdir(mode=0o700)
        self._streams: list[TextIO] = []
        self._text: LogTextWriter | None = None
        self._html: LogHtmlWriter | None = None
        if ".log.txt" in self.formats:
            stream = self._open("log.txt")
            self._text = LogTextWriter(stream)
        if ".log.html" in self.formats:
            stream = self._open("log.html")
            self._html = LogHtmlWriter(stream, title=title)

    def _open(self, name: str) -> TextIO:
        stream = open(self._work / name, "w", encoding="utf-8", newline="", buffering=1 << 16)  # noqa: SIM115
        self._streams.append(stream)
        return stream

    def write(self, line: LogLine) -> None:
        if self._text is not None:
            self._text.write(line)
        if self._html is not None:
            self._html.write(line)

    def write_rows(self, first: int, rows: Sequence[Row]) -> None:
        """Append consecutive lines, the first numbered ``first``."""
        if self._text is not None:
            self._text.write_rows(rows)
        if self._html is not None:
            self._html.write_rows(first, rows)

    def flush(self) -> None:
        """Push every written line to the operating system (a live meeting's log is readable as it grows)."""
        for stream in self._streams:
            stream.flush()

    def _first_line(self, path: Path) -> str | None:
        try:
            with open(path, encoding="utf-8", errors="replace", newline="") as stream:
                return stream.readline().rstrip("\n")
        except OSError:
            return None

    def _stem(self, meeting: Meeting) -> tuple[str, Path, int]:
        """The meeting's path without extension, and the file mode.

        MeetBot's layout names files by meeting name and minute only, so two meetings (say in two
        channels) can want the same name: the second then gets ``-2`` (``-3`` ...) instead of silently
        overwriting the first. The same meeting written again (a replay run twice, a #save, a
        recovered meeting) has the same first log line and reuses its name.
        """
        if meeting.started_at is None:
            raise ValueError("a meeting that never started has no files")
        base = basename(meeting.name, meeting.started_at)
        ours = self._first_line(self._work / "log.txt") if ".log.txt" in self.formats else None
        relative = base
        for number in range(2, 1000):
            stem = safe_path(self.root, relative)
            existing = stem.with_name(stem.name + ".log.txt")
            if ours is None or not existing.exists() or self._first_line(existing) == ours:
                break
            relative = f"{base}-{number}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        return relative, stem, RESTRICTED_MODE if meeting.restricted else PUBLIC_MODE

    def _write_minutes(self, meeting: Meeting, stem: Path, mode: int, unfinished_at: datetime | None) -> list[Path]:
        view = build_view(meeting, log_basename=stem.name, unfinished_at=unfinished_at)
        paths = []
        for extension, render in MINUTES_STREAMS.items():
            if extension in self.formats:
                target = stem.with_name(stem.name + extension)
                write_atomic(target, render(view), mode, durable=self.durable)
                paths.append(target)
        if self.durable:
            fsync_dir(stem.parent)
        return paths

    def snapshot(self, meeting: Meeting, now: datetime) -> WrittenMeeting:
        """``#save``: copy the logs so far and write the minutes, while the meeting goes on."""
        self.flush()
        relative, stem, mode = self._stem(meeting)
        paths: list[Path] = []
        for extension, work_name in ((".log.txt", "log.txt"), (".log.html", "log.html")):
            if extension in self.formats:
                target = stem.with_name(stem.name + extension)
                text = (self._work / work_name).read_text(encoding="utf-8")
                body = text + log_html_footer() if work_name == "log.html" else text
                write_atomic(target, body, mode, durable=self.durable)
                paths.append(target)
        unfinished = None if meeting.ended_at is not None else now
        paths += self._write_minutes(meeting, stem, mode, unfinished)
        return WrittenMeeting(relative, tuple(paths), unfinished is not None)

    def finish(self, meeting: Meeting, *, unfinished_at: datetime | None = None) -> WrittenMeeting:
        """Close the logs, move them into the tree and write the minutes next to them."""
        if self._text is not None:
            self._text.close()
        if self._html is not None:
            self._html.close()
        for stream in self._streams:
            if self.durable:
                stream.flush()
                os.fsync(stream.fileno())
            stream.close()
        relative, stem, mode = self._stem(meeting)
        paths: list[Path] = []
        for extension, work_name in ((".log.txt", "log.txt"), (".log.html", "log.html")):
            if extension in self.formats:
                target = stem.with_name(stem.name + extension)
                os.chmod(self._work / work_name, mode)
                os.replace(self._work / work_name, target)
                paths.append(target)
        self.discard()
        paths += self._write_minutes(meeting, stem, mode, unfinished_at)
        return WrittenMeeting(relative, tuple(paths), unfinished_at is not None)

    def discard(self) -> None:
        """Remove the work directory (after finish, or when a meeting is abandoned)."""
        for stream in self._streams:
            if not stream.closed:
                stream.close()
        shutil.rmtree(self._work, ignore_errors=True)
