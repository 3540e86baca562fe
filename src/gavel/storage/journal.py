"""The event journal: what made a live meeting survive ``kill -9``.

A journal stores *events* (what people said), never derived state: resuming a meeting is feeding
the journal's events through a fresh ``Meeting``, the same path as replay and as the live bot.

The line format (header, events, commit mark) is in ``gavel.storage.journal_codec``.

Durability: ``append`` only buffers (and writes, without ``fsync``, past 64 KiB); ``sync`` writes the buffer and
``fdatasync``s it. The caller decides the batching: the runtime syncs before sending any reply and on a short timer,
so every acknowledged line is on disk. Creating and finishing a journal ``fsync`` the directory too. A journal is
locked (``flock``) while open, so two bots never append to one file. POSIX only; not thread-safe.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from gavel.core.events import Event
from gavel.storage.journal_codec import (
    VERSION,
    JournalError,
    JournalHeader,
    decode_event,
    encode_event,
    in_utc,
)

__all__ = ["VERSION", "Journal", "JournalDir", "JournalError", "JournalHeader", "decode_event", "encode_event"]

SUFFIX = ".journal"
_FILE_MODE = 0o600
_DIR_MODE = 0o700
_WRITE_BEHIND = 64 * 1024  # write (without fsync) once this much is buffered: bounded memory between syncs
_SLUG_MAX = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

_sync_data: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


@dataclass
class JournalScan:
    """Everything ``Journal.scan`` learnt from a journal file."""

    header: JournalHeader
    events: list[Event] = field(default_factory=list)
    corrupt_lines: list[int] = field(default_factory=list)  # 1-based line numbers of complete lines that were skipped
    corrupt_bytes: int = 0
    torn_bytes: int = 0  # the unterminated tail: a write the process did not finish
    good_length: int = 0  # offset just past the last complete line: where appending may continue

    @property
    def ignored_bytes(self) -> int:
        return self.corrupt_bytes + self.torn_bytes


# ---------------------------------------------------------------------------------------------------------------------
# Files


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise JournalError(f"{path}: journal is in use by another process") from None
        raise


class Journal:
    """One open meeting's journal file: a header line, then one event per line.

    Open it with ``create`` (a new meeting) or ``reopen`` (continue after recovery).
    """

    def __init__(self, path: Path, fd: int, header: JournalHeader) -> None:
        """Internal: use ``create`` or ``reopen``."""
        self.path = path
        self.header = header
        self._fd: int | None = fd
        self._buffer = bytearray()
        self._dirty = False
        self._failed: BaseException | None = None

    # -- opening ------------------------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        network: str,
        channel: str,
        created: datetime,
        meeting_id: str | None = None,
        settings: dict[str, str | int | bool | None] | None = None,
    ) -> Journal:
        """A new journal at ``path`` (which must not exist), header durably written, directory entry ``fsync``'d.

        The header goes to a temporary file that is then linked into place, so a journal never exists
        without its complete header.
        """
        header = JournalHeader(network, channel, created, meeting_id=meeting_id, settings=settings)
        data = header.encode()
        path = Path(path)
        directory = path.parent
        try:
            fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as error:
            raise JournalError(f"{path}: cannot create journal: {error.strerror or error}") from None
        try:
            try:
                # append mode (mkstemp's descriptor is not): after a failed write is truncated away, the next one
                # lands at the new end, not past a hole
                fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
                os.fchmod(fd, _FILE_MODE)
                _lock(fd, path)
                _write_all(fd, data)
                os.fsync(fd)
                try:
                    os.link(temp, path)
                except FileExistsError:
                    raise JournalError(f"{path}: journal already exists") from None
                except OSError:  # a file system without hard links: a plain rename, checked first
                    if path.exists():
                        raise JournalError(f"{path}: journal already exists") from None
                    os.replace(temp, path)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
                _fsync_dir(directory)
            except OSError as error:
                raise JournalError(f"{path}: cannot create journal: {error.strerror or error}") from None
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        return cls(path, fd, header)

    @classmethod
    def reopen(cls, path: Path) -> Journal:
        """Continue appending to an existing journal after recovery, truncating a torn tail first."""
        return cls.resume(path, _ignore)

    @classmethod
    def resume(cls, path: Path, on_event: Callable[[Event], None]) -> Journal:
        """Lock the journal, hand each complete event to ``on_event`` (one pass, in constant memory), truncate a
        torn tail, and return the journal open for appending. An exception from ``on_event`` propagates, with the
        journal closed and untouched."""
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise JournalError(f"{path}: cannot open journal: {error.strerror or error}") from None
        try:
            _lock(fd, path)
            scan = cls.scan(path, on_event)  # under the lock: nobody appends meanwhile
            if os.fstat(fd).st_size != scan.good_length:
                os.ftruncate(fd, scan.good_length)
                os.fsync(fd)
        except OSError as error:
            os.close(fd)
            raise JournalError(f"{path}: cannot reopen journal: {error.strerror or error}") from None
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, scan.header)

    # -- writing ------------------------------------------------------------------------------------------------------

    def append(self, event: Event) -> None:
        """Buffer one event (cheap: called for every channel line). Durable only after ``sync``."""
        if self._fd is None or self._failed is not None:
            self._unusable()
        self._buffer += encode_event(event)
        self._dirty = True
        if len(self._buffer) >= _WRITE_BEHIND:
            self._write_buffer()

    @property
    def dirty(self) -> bool:
        """Whether events were appended since the last ``sync``."""
        return self._dirty

    def sync(self) -> None:
        """Make every appended event durable (write + ``fdatasync``); a cheap no-op when nothing is pending."""
        if not self._dirty:
            return
        if self._fd is None or self._failed is not None:
            self._unusable()
        self._write_buffer()
        try:
            _sync_data(self._fd)
        except OSError as error:
            # After a failed fsync the kernel may have dropped the dirty pages: never pretend a later one succeeded.
            self._failed = error
            raise JournalError(f"{self.path}: fsync failed, journal unusable: {error.strerror or error}") from None
        self._dirty = False

    def _write_buffer(self) -> None:
        if not self._buffer:
            return
        assert self._fd is not None
        fd = self._fd
        try:
            size = os.fstat(fd).st_size
        except OSError as error:
            raise JournalError(f"{self.path}: cannot write journal: {error.strerror or error}") from None
        try:
            _write_all(fd, bytes(self._buffer))  # a copy: a failed write's traceback must not pin the buffer
        except OSError as error:
            # Leave no partial line behind (a later retry would glue the next line onto it); keep the buffer.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise JournalError(f"{self.path}: cannot write journal: {error.strerror or error}") from None
        self._buffer.clear()

    def _unusable(self) -> NoReturn:
        if self._failed is not None:
            raise JournalError(f"{self.path}: journal unusable after an I/O error: {self._failed}")
        raise JournalError(f"{self.path}: journal is closed")

    # -- closing ------------------------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._fd is None

    def close(self) -> None:
        """Sync what is pending and close. The file stays: the meeting is resumable. Idempotent."""
        if self._fd is None:
            return
        try:
            if self._failed is None:
                self.sync()
        finally:
            os.close(self._fd)
            self._fd = None

    def finish(self) -> None:
        """The meeting ended and its files are written: remove the journal durably (unlink + directory ``fsync``)."""
        if self._fd is not None:
            self._buffer.clear()  # nothing pending matters any more
            self._dirty = False
            os.close(self._fd)
            self._fd = None
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            _fsync_dir(self.path.parent)
        except OSError as error:
            raise JournalError(f"{self.path}: cannot remove journal: {error.strerror or error}") from None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._fd is None else ("dirty" if self._dirty else "synced")
        return f"<Journal {str(self.path)!r} {state}>"

    # -- reading ------------------------------------------------------------------------------------------------------

    @staticmethod
    def read_header(path: Path) -> JournalHeader:
        """Only the header (the first line): which network, channel and meeting a journal belongs to."""
        path = Path(path)
        try:
            with path.open("rb") as stream:
                return JournalHeader.decode(stream.readline(), path)
        except OSError as error:
            raise JournalError(f"{path}: cannot read journal: {error.strerror or error}") from None

    @staticmethod
    def scan(path: Path, on_event: Callable[[Event], None] | None = None) -> JournalScan:
        """Read a journal, keeping every complete event (or handing each to ``on_event``, keeping none) and
        accounting for what was skipped.

        Never fails on a torn tail or a corrupt line; raises ``JournalError`` only when the file is not a
        journal at all (missing or bad header) or comes from a newer format version.
        """
        path = Path(path)
        try:
            stream = path.open("rb")
        except OSError as error:
            raise JournalError(f"{path}: cannot read journal: {error.strerror or error}") from None
        with stream:
            lines = iter(stream)  # a binary file splits on b"\n" only: exactly the record separator
            first = next(lines, b"")
            scan = JournalScan(JournalHeader.decode(first, path))
            append = scan.events.append if on_event is None else on_event
            good = len(first)
            number = 1
            for line in lines:
                number += 1
                if line[-1:] != b"\n":
                    scan.torn_bytes = len(line)
                    break
                try:
                    event = decode_event(line)
                except JournalError:
                    scan.corrupt_lines.append(number)
                    scan.corrupt_bytes += len(line)
                else:
                    append(event)
                good += len(line)
            scan.good_length = good
        return scan

    @staticmethod
    def read(path: Path) -> tuple[JournalHeader, list[Event], int]:
        """The header, the complete events in order, and how many bytes (torn tail, corrupt lines) were ignored."""
        scan = Journal.scan(path)
        return scan.header, scan.events, scan.ignored_bytes


def _ignore(event: Event) -> None:
    pass


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# ---------------------------------------------------------------------------------------------------------------------
# The journal directory


def _slug(text: str) -> str:
    return _UNSAFE.sub("_", text)[:_SLUG_MAX]


def _stamp(moment: datetime) -> str:
    moment = in_utc(moment, "start time")
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}T"
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}.{moment.microsecond:06d}Z"
    )


class JournalDir:
    """The directory holding the journals of open meetings (one file per meeting, removed when it ends)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            try:
                self.root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
                os.chmod(self.root, _DIR_MODE)  # whatever the umask
                _fsync_dir(self.root.resolve().parent)
            except OSError as error:
                raise JournalError(f"{self.root}: cannot create journal directory: {error.strerror or error}") from None

    def path_for(self, network: str, channel: str, started: datetime) -> Path:
        """A file name for one meeting: ``<UTC start>-<network>-<channel>-<hash>.journal``.

        Network and channel are reduced to ``[A-Za-z0-9_-]`` (so hostile names stay inside the root) and a
        hash of the exact pair keeps distinct channels distinct. Names sort by start time.
        """
        exact = f"{network}\x00{channel}".encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(exact).hexdigest()[:12]
        name = f"{_stamp(started)}-{_slug(network)}-{_slug(channel)}-{digest}{SUFFIX}"
        path = self.root / name
        if path.parent != self.root or os.sep in name or (os.altsep and os.altsep in name):
            raise JournalError(f"refusing journal name {name!r}")  # unreachable by construction; belt and braces
        return path

    def create(
        self,
        network: str,
        channel: str,
        started: datetime,
        *,
        meeting_id: str | None = None,
        settings: dict[str, str | int | bool | None] | None = None,
    ) -> Journal:
        """A new journal for a meeting that starts now."""
        return Journal.create(
            self.path_for(network, channel, started),
            network=network,
            channel=channel,
            created=started,
            meeting_id=meeting_id,
            settings=settings,
        )

    def pending(self) -> list[Path]:
        """Journals of meetings that were open when the bot stopped, oldest first.

        A journal another process (or this one) holds open is live, not pending, and is left out.
        """
        found = []
        for path in sorted(self.root.glob("*" + SUFFIX)):
            if path.name.startswith(".") or not path.is_file():
                continue
            if _locked(path):
                continue
            found.append(path)
        return found


def _locked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
