"""The MeetBot output tree: ``DIR/<name>/<YYYY>/<name>.<YYYY-MM-DD-HH.MM>.<ext>``.

A meeting's log is streamed into a work file while it runs (its final name depends on the meeting
name, which ``#meetingname`` may still change); at the end the logs are moved into place and the
minutes written beside them. Every path is checked to stay inside the output directory.

File names are the runtime's, not the core's: MeetBot's layout names files by meeting name and
minute only, so two meetings can want the same name. Each meeting has an id (the runtime's: random
for a live meeting and kept in its journal, derived from the log file for replay), and a name is
*claimed* for an id with a marker file ``.gavel/claims/<name>/<YYYY>/<basename>.meeting`` (created
exclusively; one hidden directory at the root of the tree keeps the MeetBot layout itself clean).
The same meeting written again (``#save`` then the end, a recovered meeting, a replay run twice)
finds its own marker and reuses the name; any other meeting gets ``-2`` (``-3`` ...). Files without a
marker (an older gavel, MeetBot itself) are never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from gavel.core.effects import LogLine
from gavel.core.errors import OutputPathError
from gavel.core.events import Row
from gavel.core.meeting import Meeting
from gavel.core.naming import basename
from gavel.render.formats import ALL_FORMATS as ALL_FORMATS  # also imported from here by replay and config
from gavel.render.logs import LogHtmlWriter, LogTextWriter, log_html_footer
from gavel.render.minutes import MINUTES_STREAMS
from gavel.render.view import MinutesView, build_view
from gavel.storage.files import PUBLIC_MODE, RESTRICTED_MODE, fsync_dir, safe_path, settle_directories, write_atomic

MARKER_SUFFIX = ".meeting"
CLAIMS_DIR = ".gavel/claims"  # inside the output directory
_MAX_SAME_NAME = 1000


@dataclass(frozen=True)
class WrittenMeeting:
    """Where one meeting's files went, and the minutes written there."""

    basename: str  # relative, without extension
    paths: tuple[Path, ...]
    unfinished: bool
    view: MinutesView
    url: str  # the files' URL without extension ("" without a URL base)


@dataclass(frozen=True)
class Placement:
    """The name the runtime claimed for a meeting's files."""

    relative: str  # e.g. "kolla/2016/kolla.2016-03-16-14.30-2"
    stem: Path  # root / relative, checked
    mode: int


def marker_path(root: Path, relative: str) -> Path:
    """Where the claim on the name ``relative`` is kept."""
    return safe_path(root, f"{CLAIMS_DIR}/{relative}{MARKER_SUFFIX}")


def _read_claim(marker: Path) -> str | None:
    """The id a claim names ("" for nobody), or None when there is no claim."""
    try:
        return marker.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None


def _first_line(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as stream:
            return stream.readline().rstrip("\n")
    except OSError:
        return None


def url_for(url_base: str, relative: str) -> str:
    """The URL of the files at ``relative`` (without extension); "" when there is no URL base."""
    if not url_base:
        return ""
    return url_base + relative if url_base.endswith("/") else f"{url_base}/{relative}"


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
        meeting_id: str,
        url_base: str = "",
    ) -> None:
        self.root = root
        self.durable = durable
        self.meeting_id = meeting_id
        self.url_base = url_base
        self._saved: Placement | None = None  # where the last #save wrote
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

    def claim(self, meeting: Meeting) -> Placement:
        """The meeting's file name: its own (marker with its id) or the first free one of ``base``, ``base-2`` ..."""
        if meeting.started_at is None:
            raise ValueError("a meeting that never started has no files")
        base = basename(meeting.name, meeting.started_at)
        mode = RESTRICTED_MODE if meeting.restricted else PUBLIC_MODE
        for number in range(1, _MAX_SAME_NAME + 1):
            relative = base if number == 1 else f"{base}-{number}"
            stem = safe_path(self.root, relative)
            if self._claimed(stem, marker_path(self.root, relative), mode):
                settle_directories(self.root, stem, meeting.restricted)
                return Placement(relative, stem, mode)
        raise OutputPathError(f"{base}: {_MAX_SAME_NAME} meetings already use this name")

    def _claimed(self, stem: Path, marker: Path, mode: int) -> bool:
        """Whether ``stem`` is (now) this meeting's: its claim names our id, or there was none and we made it.

        A claim appears whole or not at all (written to a temporary file, then linked into place), so two
        processes wanting one name never both get it. Files without a claim were written by MeetBot or an older
        gavel: they are ours only if their log starts with our log's first line (the older rule), else the name
        is claimed for nobody and stays theirs.
        """
        stem.parent.mkdir(parents=True, exist_ok=True)
        (self.root / CLAIMS_DIR).parent.mkdir(mode=0o700, exist_ok=True)  # private: it names restricted meetings too
        marker.parent.mkdir(parents=True, exist_ok=True)
        owner = _read_claim(marker)
        if owner is None:
            ours = not self._has_files(stem) or self._same_first_line(stem)
            self._link_claim(marker, self.meeting_id if ours else "", mode)
            owner = _read_claim(marker)  # ours, or the claim of whoever linked theirs first
        if owner == self.meeting_id:
            if stat.S_IMODE(marker.stat().st_mode) != mode:
                os.chmod(marker, mode)  # e.g. #restrictlogs after #save
            return True
        return False

    def _link_claim(self, marker: Path, owner: str, mode: int) -> None:
        handle, temp = tempfile.mkstemp(dir=marker.parent, prefix=".claim-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(owner + "\n")
                if self.durable:
                    stream.flush()
                    os.fsync(stream.fileno())
            os.chmod(temp, mode)
            with contextlib.suppress(FileExistsError):  # someone else's claim came first
                os.link(temp, marker)
        finally:
            Path(temp).unlink(missing_ok=True)
        if self.durable:
            fsync_dir(marker.parent)

    def _same_first_line(self, stem: Path) -> bool:
        if ".log.txt" not in self.formats:
            return False
        ours = _first_line(self._work / "log.txt")
        return ours is not None and ours == _first_line(stem.with_name(stem.name + ".log.txt"))

    @staticmethod
    def _has_files(stem: Path) -> bool:
        return any(stem.with_name(stem.name + extension).exists() for extension in ALL_FORMATS)

    def view(self, meeting: Meeting, placement: Placement, unfinished_at: datetime | None) -> MinutesView:
        """The minutes of ``meeting`` as they link to its log at ``placement``."""
        url = url_for(self.url_base, placement.relative)
        return build_view(
            meeting,
            log_basename=placement.stem.name,
            log_url=url + ".log.html" if url else None,
            meeting_id=self.meeting_id,
            unfinished_at=unfinished_at,
        )

    def _write_minutes(self, view: MinutesView, placement: Placement) -> list[Path]:
        stem, paths = placement.stem, []
        for extension, render in MINUTES_STREAMS.items():
            if extension in self.formats:
                target = stem.with_name(stem.name + extension)
                write_atomic(target, render(view), placement.mode, durable=self.durable)
                paths.append(target)
        if self.durable:
            fsync_dir(stem.parent)
        return paths

    def snapshot(self, meeting: Meeting, now: datetime) -> WrittenMeeting:
        """``#save``: copy the logs so far and write the minutes, while the meeting goes on."""
        self.flush()
        placement = self.claim(meeting)
        self._forget_saved(placement)
        self._saved = placement
        paths: list[Path] = []
        for extension, work_name in ((".log.txt", "log.txt"), (".log.html", "log.html")):
            if extension in self.formats:
                target = placement.stem.with_name(placement.stem.name + extension)
                text = (self._work / work_name).read_text(encoding="utf-8")
                body = text + log_html_footer() if work_name == "log.html" else text
                write_atomic(target, body, placement.mode, durable=self.durable)
                paths.append(target)
        unfinished = None if meeting.ended_at is not None else now
        view = self.view(meeting, placement, unfinished)
        paths += self._write_minutes(view, placement)
        url = url_for(self.url_base, placement.relative)
        return WrittenMeeting(placement.relative, tuple(paths), unfinished is not None, view, url)

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
        placement = self.claim(meeting)
        self._forget_saved(placement)
        paths: list[Path] = []
        for extension, work_name in ((".log.txt", "log.txt"), (".log.html", "log.html")):
            if extension in self.formats:
                target = placement.stem.with_name(placement.stem.name + extension)
                os.chmod(self._work / work_name, placement.mode)
                os.replace(self._work / work_name, target)
                paths.append(target)
        self.discard()
        view = self.view(meeting, placement, unfinished_at)
        paths += self._write_minutes(view, placement)
        url = url_for(self.url_base, placement.relative)
        return WrittenMeeting(placement.relative, tuple(paths), unfinished_at is not None, view, url)

    def _forget_saved(self, placement: Placement) -> None:
        """A ``#save`` wrote files under another name (``#meetingname`` since): remove them and their claim, so no
        stale copy stays behind (say a public one of a meeting restricted since)."""
        saved, self._saved = self._saved, None
        if saved is None or saved.relative == placement.relative:
            return
        for extension in ALL_FORMATS:
            saved.stem.with_name(saved.stem.name + extension).unlink(missing_ok=True)
        marker_path(self.root, saved.relative).unlink(missing_ok=True)
        if self.durable:
            fsync_dir(saved.stem.parent)

    def discard(self) -> None:
        """Remove the work directory (after finish, or when a meeting is abandoned)."""
        for stream in self._streams:
            if not stream.closed:
                stream.close()
        shutil.rmtree(self._work, ignore_errors=True)
