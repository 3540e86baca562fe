"""The journal's line format: one event (or the header) per line of ASCII JSON.

Format (version 2; version 1 journals are read too), UTF-8 text made of ASCII only, one JSON object per line,
each line ending in ``\\n``::

    {"gavel_journal":2,"network":"libera","channel":"#gavel","created":"2016-03-16T14:30:39.000000+00:00",
     "meeting":"5f1c0a7e9d3b2468","settings":{"bot_nick":"gavel","idle_end_minutes":0,...}}
    {"k":"acct","t":"2016-03-16T14:30:39.000000+00:00","n":"chair","a":"chair-account"}
    {"k":"msg","t":"2016-03-16T14:30:39.000000+00:00","n":"alice","x":"#startmeeting","a":"alice"}
    {"k":"nick","t":"2016-03-16T14:30:41.250000+00:00","o":"bob","n":"bob_"}

- The header is the first line; its ``gavel_journal`` value is the format version. A journal from a newer gavel is
  refused with a clear ``JournalError``, never half-read. ``meeting`` is the runtime's id of the meeting and
  ``settings`` what it was run with (the bot's nick, lengths, time zone ...: recovery replays the meeting under the
  same rules even when the configuration changed meanwhile); both new in version 2, optional.
- Event keys: ``k`` kind (``msg`` ``act`` ``nick`` ``join`` ``part`` ``quit`` ``acct`` ``raw`` ``tick`` ``open``
  ``edit`` ``redact`` ``role``), ``t`` time (UTC, microseconds), ``n`` nick (the new nick for ``nick``), ``o`` old
  nick, ``x`` text, ``a`` account, ``i`` message id, ``r`` the message id a ``msg`` answers, ``h`` the message id
  of its thread, ``m`` the list of nicks a ``msg`` or ``edit`` mentions, ``g`` the message id an ``edit`` or
  ``redact`` targets, ``s`` series and ``l`` list of ``[ref, text]`` (``open``) or of accounts (``role``), ``w``
  the nicks of a ``role``'s accounts. An
  optional field that is ``None`` (or an empty ``m``) is left out.
- JSON is written with ``ensure_ascii``: every non-ASCII character, including a lone surrogate, is escaped, so any
  ``str`` round-trips and no line holds a raw line break.
- The newline is the commit mark: an unterminated last line is a torn write (the process died mid-write) and is
  dropped; a complete line that does not decode is skipped and counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from gavel.core.errors import GavelError
from gavel.core.events import (
    AccountChange,
    Action,
    Edit,
    Event,
    Join,
    Message,
    NickChange,
    OpenAction,
    OpenActions,
    Part,
    Quit,
    RawLine,
    Redaction,
    RoleChairs,
    Tick,
)

VERSION = 2
_VERSION_KEY = "gavel_journal"

_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False)
_encode = _ENCODER.encode
_DECODER = json.JSONDecoder()
_quote = encode_basestring_ascii  # a JSON string literal, every non-ASCII character (lone surrogates too) escaped


def _quote_all(values: Iterable[str]) -> str:
    """A JSON list of strings, quoted as ``_quote`` does."""
    return "[" + ",".join(map(_quote, values)) + "]"


def _settings(value: object) -> dict[str, str | int | bool | None] | None:
    """The header's ``settings``: an object of plain values (strings, integers, booleans, null)."""
    if value is None:
        return None
    if type(value) is not dict or not all(
        type(key) is str and (item is None or type(item) in (str, int, bool)) for key, item in value.items()
    ):
        raise JournalError(f"field 'settings' must be an object of plain values, not {value!r}")
    return dict(value)


class JournalError(GavelError):
    """A journal cannot be read, created or written (its events are never silently damaged)."""


def in_utc(moment: datetime, what: str = "time") -> datetime:
    """``moment`` in UTC; ``JournalError`` for a naive time (a journal never guesses a zone)."""
    offset = moment.utcoffset()
    if offset is None:
        raise JournalError(f"refusing to journal a naive {what} {moment!r}: journal times are timezone-aware UTC")
    return moment.astimezone(UTC) if offset else moment


def _time(moment: datetime) -> str:
    return in_utc(moment).isoformat(timespec="microseconds")


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
        if kind is Message:
            assert isinstance(event, Message)
            if event.reply_to is not None:
                tail += ',"r":' + _quote(event.reply_to)
            if event.thread is not None:
                tail += ',"h":' + _quote(event.thread)
            if event.mentions:
                tail += ',"m":' + _quote_all(event.mentions)
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
    elif kind is AccountChange:
        assert isinstance(event, AccountChange)
        tail = "" if event.account is None else ',"a":' + _quote(event.account)
        line = f'{{"k":"acct","t":"{_time(event.time)}","n":{_quote(event.nick)}{tail}}}\n'
    elif kind is Tick:
        line = f'{{"k":"tick","t":"{_time(event.time)}"}}\n'
    elif kind is OpenActions:
        assert isinstance(event, OpenActions)
        actions = ",".join(f"[{_quote(a.ref)},{_quote(a.text)}]" for a in event.actions)
        line = f'{{"k":"open","t":"{_time(event.time)}","s":{_quote(event.series)},"l":[{actions}]}}\n'
    elif kind is Edit or kind is Redaction:
        assert isinstance(event, Edit | Redaction)
        tail = "" if event.account is None else ',"a":' + _quote(event.account)
        if event.msgid is not None:
            tail += ',"i":' + _quote(event.msgid)
        if isinstance(event, Edit):
            tail = ',"x":' + _quote(event.text) + tail
            if event.mentions:
                tail += ',"m":' + _quote_all(event.mentions)
        line = (
            f'{{"k":"{"edit" if kind is Edit else "redact"}","t":"{_time(event.time)}",'
            f'"n":{_quote(event.nick)},"g":{_quote(event.target)}{tail}}}\n'
        )
    elif kind is RoleChairs:
        assert isinstance(event, RoleChairs)
        nicks = f',"w":{_quote_all(event.nicks)}' if event.nicks else ""
        line = f'{{"k":"role","t":"{_time(event.time)}","l":{_quote_all(event.accounts)}{nicks}}}\n'
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


def _strings(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key, [])
    if type(value) is not list or not all(type(item) is str for item in value):
        raise JournalError(f"field {key!r} must be a list of strings, not {value!r}")
    return tuple(value)


# kind -> the keys its record may have
_KEYS: dict[str, frozenset[str]] = {
    "msg": frozenset("ktnxairhm"),
    "act": frozenset("ktnxai"),
    "nick": frozenset("kton"),
    "join": frozenset("ktna"),
    "part": frozenset("ktn"),
    "quit": frozenset("ktn"),
    "acct": frozenset("ktna"),
    "raw": frozenset("ktx"),
    "tick": frozenset("kt"),
    "open": frozenset("ktsl"),
    "edit": frozenset("ktngxaim"),
    "redact": frozenset("ktngai"),
    "role": frozenset("ktlw"),
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
        return Message(
            time,
            _str(record, "n"),
            _str(record, "x"),
            _optional(record, "a"),
            _optional(record, "i"),
            _optional(record, "r"),
            _optional(record, "h"),
            _strings(record, "m"),
        )
    if kind == "edit":
        return Edit(
            time,
            _str(record, "n"),
            _str(record, "g"),
            _str(record, "x"),
            _optional(record, "a"),
            _optional(record, "i"),
            _strings(record, "m"),
        )
    if kind == "redact":
        return Redaction(time, _str(record, "n"), _str(record, "g"), _optional(record, "a"), _optional(record, "i"))
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
    if kind == "acct":
        return AccountChange(time, _str(record, "n"), _optional(record, "a"))
    if kind == "raw":
        return RawLine(time, _str(record, "x"))
    if kind == "role":
        return RoleChairs(time, _strings(record, "l"), _strings(record, "w"))
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


@dataclass(frozen=True)
class JournalHeader:
    network: str
    channel: str
    created: datetime
    version: int = VERSION
    meeting_id: str | None = None  # the runtime's id of the meeting (version 2)
    settings: dict[str, str | int | bool | None] | None = None  # what the meeting was run with (version 2)

    def encode(self) -> bytes:
        record: dict[str, object] = {_VERSION_KEY: self.version, "network": self.network, "channel": self.channel}
        record["created"] = _time(self.created)
        if self.meeting_id is not None:
            record["meeting"] = self.meeting_id
        if self.settings is not None:
            record["settings"] = dict(sorted(self.settings.items()))
        return (_encode(record) + "\n").encode("ascii")

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
            return cls(
                _str(record, "network"),
                _str(record, "channel"),
                _parse_time(record.get("created")),
                version,
                _optional(record, "meeting"),
                _settings(record.get("settings")),
            )
        except JournalError as error:
            raise JournalError(f"{path}: bad journal header: {error}") from None
