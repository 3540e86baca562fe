"""The event journal: what made a live meeting survive ``kill -9``.

A journal stores *events* (what people said), never derived state: resuming a meeting is feeding
the journal's events through a fresh ``Meeting``, the same path as replay and as the live bot.

Format (version 1), UTF-8 text made of ASCII only, one JSON object per line, each line ending in ``\\n``::

    {"gavel_journal":1,"network":"libera","channel":"#gavel","created":"2016-03-16T14:30:39.000000+00:00"}
    {"k":"msg","t":"2016-03-16T14:30:39.000000+00:00","n":"alice","x":"#startmeeting","a":"alice"}
    {"k":"nick","t":"2016-03-16T14:30:41.250000+00:00","o":"bob","n":"bob_"}

- The header is the first line; its ``gavel_journal`` value is the format version. A journal from a newer gavel is
  refused with a clear ``JournalError``, never half-read.
- Event keys: ``k`` kind (``msg`` ``act`` ``nick`` ``join`` ``part`` ``quit`` ``raw`` ``tick``), ``t`` time (UTC,
  microseconds), ``n`` nick (the new nick for ``nick``), ``o`` old nick, ``x`` text, ``a`` account, ``i`` message id.
  An optional field that is ``None`` is left out.
- JSON is written with ``ensure_ascii``: every non-ASCII character, including a lone surrogate, is escaped, so any
  ``str`` round-trips and no line holds a raw line break.
- The newline is the commit mark: an unterminated last line is a torn write (the process died mid-write) and is
  dropped; a complete line that does not decode is skipped and counted.

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
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, NoReturn

from gavel.core.errors import GavelError
from gavel.core.events import (
    Action,
    Event,
    Join,
    Message,
    NickChange,
    OpenAction,
    OpenActions,
    Part,
    Quit,
    RawLine,
    Tick,
)

VERSION = 1
SUFFIX = ".journal"
_VERSION_KEY = "gavel_journal"
_FILE_MODE = 0o600
_DIR_MODE = 0o700
_WRITE_BEHIND = 64 * 1024  # write (without fsync) once this much is buffered: bounded memory between syncs
_SLUG_MAX = 40
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False)
_encode = _ENCODER.encode
_DECODER = json.JSONDecoder()
_quote = encode_basestring_ascii  # a JSON string literal, every non-ASCII character (lone surrogates too) escaped

_sync_data: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


class JournalError(GavelError):
    """A journal cannot be read, created or written (its events are never silently damaged)."""


# ---------------------------------------------------------------------------------------------------------------------
# Encoding


def _time(moment: datetime) -> str:
    offset = moment.utcoffset()
    if offset is None:
        raise JournalError(f"refusing to journal a naive time {moment!r}: event times are timezone-aware UTC")
    if offset:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def encode_event(event: Event) -> bytes:
    """One journal line for ``event``: compact ASCII JSON ending in ``b"\\n"`` (no newline inside)."""
    # Built by hand around json's own C string escaper: 3x faster than json.dumps of a dict, same bytes.
    kind = type(event)
    if kind is Message or kind is Action:
        assert isinstance(event, Message | Action)
        tail = ""
        if event.account is not None:
            tail = ',"a":' + _quote(event.account)
        if event.msgid is not None:
            tail += ',"i":' + _quote(event.msgid)
        line = (
            f'{{"k":"{"msg" if kind is Message else "act"}","t":"{_time(event.time)}",'
            f'"n":{_quote(event.nick)},"x":{_quote(event.text)}{tail}}}\n'
        )
    elif kind is NickChange:
        assert isinstance(event, NickChange)
        line = f'{{"k":"nick","t":"{_time(event.time)}","o":{_quote(event.old)},"n":{_quote(event.new)}}}\n'
    elif kind is Join:
        assert isinstance(event, Join)
        tail = "" if event.account is None else ',"a":' + _quote(event.account)
        line = f'{{"k":"join","t":"{_time(event.time)}","n":{_quote(event.nick)}{tail}}}\n'
    elif kind is Part or kind is Quit:
        assert isinstance(event, Part | Quit)
        line = f'{{"k":"{"part" if kind is Part else "quit"}","t":"{_time(event.time)}","n":{_quote(event.nick)}}}\n'
    elif kind is RawLine:
        assert isinstance(event, RawLine)
        line = f'{{"k":"raw","t":"{_time(event.time)}","x":{_quote(event.text)}}}\n'
    elif kind is Tick:
        line = f'{{"k":"tick","t":"{_time(event.time)}"}}\n'
    elif kind is OpenActions:
        assert isinstance(event, OpenActions)
        actions = ",".join(f"[{_quote(a.ref)},{_quote(a.text)}]" for a in event.actions)
        line = f'{{"k":"open","t":"{_time(event.time)}","s":{_quote(event.series)},"l":[{actions}]}}\n'
    else:
        raise JournalError(f"cannot journal {event!r}: not an event")
    return line.encode("ascii")


def _parse_time(value: object) -> datetime:
    if type(value) is not str or not value.endswith("+00:00"):
        raise JournalError(f"bad event time {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise JournalError(f"bad event time {value!r}") from None
    return moment


def _str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if type(value) is not str:
        raise JournalError(f"field {key!r} must be a string, not {value!r}")
    return value


def _optional(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is not None and type(value) is not str:
        raise JournalError(f"field {key!r} must be a string, not {value!r}")
    return value


# kind -> the keys its record may have
_KEYS: dict[str, frozenset[str]] = {
    "msg": frozenset("ktnxai"),
    "act": frozenset("ktnxai"),
    "nick": frozenset("kton"),
    "join": frozenset("ktna"),
    "part": frozenset("ktn"),
    "quit": frozenset("ktn"),
    "raw": frozenset("ktx"),
    "tick": frozenset("kt"),
    "open": frozenset("ktsl"),
}


def _open_actions(record: dict[str, Any]) -> tuple[OpenAction, ...]:
    pairs = record.get("l")
    if type(pairs) is not list:
        raise JournalError(f"field 'l' must be a list, not {pairs!r}")
    actions = []
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2 or not all(type(part) is str for part in pair):
            raise JournalError(f"an open action must be [ref, text], not {pair!r}")
        actions.append(OpenAction(pair[0], pair[1]))
    return tuple(actions)


def _decode_record(record: object) -> Event:
    if type(record) is not dict:
        raise JournalError("a journal line must be a JSON object")
    kind = record.get("k")
    allowed = _KEYS.get(kind) if type(kind) is str else None
    if allowed is None:
        raise JournalError(f"unknown event kind {kind!r}")
    if not allowed.issuperset(record):
        raise JournalError(f"unexpected fields {sorted(set(record) - allowed)} in a {kind!r} event")
    time = _parse_time(record.get("t"))
    if kind == "msg":
        return Message(time, _str(record, "n"), _str(record, "x"), _optional(record, "a"), _optional(record, "i"))
    if kind == "act":
        return Action(time, _str(record, "n"), _str(record, "x"), _optional(record, "a"), _optional(record, "i"))
    if kind == "nick":
        return NickChange(time, _str(record, "o"), _str(record, "n"))
    if kind == "join":
        return Join(time, _str(record, "n"), _optional(record, "a"))
    if kind == "part":
        return Part(time, _str(record, "n"))
    if kind == "quit":
        return Quit(time, _str(record, "n"))
    if kind == "raw":
        return RawLine(time, _str(record, "x"))
    if kind == "open":
        return OpenActions(time, _str(record, "s"), _open_actions(record))
    return Tick(time)


def _loads(line: bytes) -> object:
    try:
        return _DECODER.decode(line.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise JournalError(f"not a journal line: {line[:80]!r}") from None


def decode_event(line: bytes) -> Event:
    """The event of one journal line (with or without its ``\\n``); ``JournalError`` if it is not one."""
    return _decode_record(_loads(line))


# ---------------------------------------------------------------------------------------------------------------------
# Header


@dataclass(frozen=True)
class JournalHeader:
    network: str
    channel: str
    created: datetime
    version: int = VERSION

    def encode(self) -> bytes:
        record = {_VERSION_KEY: self.version, "network": self.network, "channel": self.channel}
        return (_encode({**record, "created": _time(self.created)}) + "\n").encode("ascii")

    @classmethod
    def decode(cls, line: bytes, path: Path | str = "journal") -> JournalHeader:
        if not line.endswith(b"\n"):
            raise JournalError(f"{path}: not a gavel journal (no complete header line)")
        try:
            record = _loads(line) if line.startswith(b"{") else None
        except JournalError:
            record = None
        if type(record) is not dict or _VERSION_KEY not in record:
            raise JournalError(f"{path}: not a gavel journal")
        version = record[_VERSION_KEY]
        if type(version) is not int or version < 1:
            raise JournalError(f"{path}: bad journal format version {version!r}")
        if version > VERSION:
            raise JournalError(
                f"{path}: journal format version {version} was written by a newer gavel "
                f"(this one reads up to version {VERSION}); upgrade gavel to resume this meeting"
            )
        try:
            return cls(_str(record, "network"), _str(record, "channel"), _parse_time(record.get("created")), version)
        except JournalError as error:
            raise JournalError(f"{path}: bad journal header: {error}") from None


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
    def create(cls, path: Path, *, network: str, channel: str, created: datetime) -> Journal:
        """A new journal at ``path`` (which must not exist), header durably written, directory entry ``fsync``'d.

        The header goes to a temporary file that is then linked into place, so a journal never exists
        without its complete header.
        """
        header = JournalHeader(network, channel, created)
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
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise JournalError(f"{path}: cannot open journal: {error.strerror or error}") from None
        try:
            _lock(fd, path)
            scan = cls.scan(path)  # under the lock: nobody appends meanwhile
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
            _write_all(fd, self._buffer)
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
    def scan(path: Path) -> JournalScan:
        """Read a journal, keeping every complete event and accounting for what was skipped.

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
            append = scan.events.append
            good = len(first)
            number = 1
            for line in lines:
                number += 1
                if line[-1:] != b"\n":
                    scan.torn_bytes = len(line)
                    break
                try:
                    append(_decode_record(_loads(line)))
                except JournalError:
                    scan.corrupt_lines.append(number)
                    scan.corrupt_bytes += len(line)
                good += len(line)
            scan.good_length = good
        return scan

    @staticmethod
    def read(path: Path) -> tuple[JournalHeader, list[Event], int]:
        """The header, the complete events in order, and how many bytes (torn tail, corrupt lines) were ignored."""
        scan = Journal.scan(path)
        return scan.header, scan.events, scan.ignored_bytes


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
    offset = moment.utcoffset()
    if offset is None:
        raise JournalError(f"refusing a naive start time {moment!r}")
    if offset:
        moment = moment.astimezone(UTC)
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

    def create(self, network: str, channel: str, started: datetime) -> Journal:
        """A new journal for a meeting that starts now."""
        return Journal.create(
            self.path_for(network, channel, started), network=network, channel=channel, created=started
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
