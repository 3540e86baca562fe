"""Events: what happened in a channel, each carrying its own time (timezone-aware, UTC).

Transports (IRC, replay, Matrix) turn wire traffic into these; the core never reads a clock.

Treat every event as immutable. The per-line events (``Message``, ``Action``, ``NickChange``,
``RawLine``) are plain slotted dataclasses rather than ``frozen=True`` ones because a frozen
dataclass costs about 7x more to construct (measured: 1.07 us vs 0.15 us), and one is built for
every log line on the replay hot path.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime


class LineKind(enum.Enum):
    MESSAGE = "message"
    ACTION = "action"
    NICK = "nick"
    RAW = "raw"


Row = tuple[LineKind, datetime, str, str, str]
"""One log line as plain data: ``(kind, time, stamp, nick, text)``; ``stamp`` is ``time`` as ``HH:MM:SS``.

The replay transport reads a log as batches of rows and ``Meeting.handle_rows`` takes them (a row
stands for the event ``row_event`` gives); the log writers take rows too. A row costs a tuple where
an event costs an object, and carries the time stamp as read, which the log files show: both matter
on the replay hot path. A RAW row has an empty ``nick``; a NICK row's ``nick`` is the old nick and its
``text`` is ``nick_change_text(old, new)``, as logged.
"""

NICK_CHANGE_VERB = " is now known as "


@dataclass(slots=True)
class Message:
    """A line said in the channel.

    ``reply_to``: the message id of the line it answers (a Matrix reply); ``thread``: the message id of the line
    that starts the thread it was said in (a Matrix thread). Neither changes what the line means. ``mentions``: the
    nicks the line names by reference (Matrix pills and ``m.mentions``): an ``#action`` is theirs too.
    """

    time: datetime
    nick: str
    text: str
    account: str | None = None
    msgid: str | None = None
    reply_to: str | None = None
    thread: str | None = None
    mentions: tuple[str, ...] = ()


@dataclass(slots=True)
class Action:
    """A CTCP ACTION (``/me does something``)."""

    time: datetime
    nick: str
    text: str
    account: str | None = None
    msgid: str | None = None


@dataclass(slots=True)
class NickChange:
    time: datetime
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Join:
    time: datetime
    nick: str
    account: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    time: datetime
    nick: str


@dataclass(frozen=True, slots=True)
class Quit:
    time: datetime
    nick: str


@dataclass(frozen=True, slots=True)
class AccountChange:
    """The transport learnt a nick's services account (``None``: not logged in).

    From account-notify, WHOX or NAMES replies, or at a meeting's start the accounts the meeting already
    knew (the runtime journals them first, so recovery knows every account the live meeting knew).
    """

    time: datetime
    nick: str
    account: str | None


@dataclass(slots=True)
class RawLine:
    """A log line that matched no known format: kept verbatim, never interpreted."""

    time: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passes (lets the core end forgotten meetings)."""

    time: datetime


@dataclass(frozen=True, slots=True)
class OpenAction:
    """An action item still open from an earlier meeting of the series (``ref`` is the archive's id)."""

    ref: str
    text: str


@dataclass(frozen=True, slots=True)
class OpenActions:
    """The runtime tells the meeting which earlier action items are still open (from the archive).

    Fed right after the meeting starts (and journaled like any event), so ``#done N`` numbers are the
    same in replay and recovery.
    """

    time: datetime
    series: str
    actions: tuple[OpenAction, ...]


@dataclass(frozen=True, slots=True)
class Edit:
    """``nick`` changed a line said earlier (a Matrix ``m.replace``): ``target`` is that line's message id.

    Only the line's own sender may edit it (the core compares accounts, else nicks); ``msgid`` is the edit's id.
    ``mentions``: the nicks the new text names by reference, as ``Message.mentions`` (an edited ``#action`` is
    theirs, exactly as if the line had been said so).
    """

    time: datetime
    nick: str
    target: str
    text: str
    account: str | None = None
    msgid: str | None = None
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Redaction:
    """``nick`` removed a message (a Matrix redaction): ``target`` is its message id.

    A message of several lines has the ids ``target``, ``target#2``, ``target#3`` ... (one per line, as the Matrix
    transport numbers them): a redaction takes them all. The homeserver decides who may redact; the core does not.
    """

    time: datetime
    nick: str
    target: str
    account: str | None = None
    msgid: str | None = None


@dataclass(frozen=True, slots=True)
class RoleChairs:
    """The accounts that chair by their role in the channel: a Matrix room's members whose power level is at least
    the configured ``power_level_chairs``. Each replaces the set before it; the bot is never among them.

    ``nicks``: what they are called now, as the log names them (``role_chairs_text``). Read back from a log there
    are no accounts: then these nicks chair (following their nick changes), as the accounts did live."""

    time: datetime
    accounts: tuple[str, ...]
    nicks: tuple[str, ...] = ()


Event = (
    Message
    | Action
    | NickChange
    | Join
    | Part
    | Quit
    | AccountChange
    | RawLine
    | Tick
    | OpenActions
    | Edit
    | Redaction
    | RoleChairs
)


def nick_change_text(old: str, new: str) -> str:
    """What the log says of a nick change."""
    return f"{old}{NICK_CHANGE_VERB}{new}"


# What follows the nick in the log line of an edit (``amendments.edited_text``) or a redaction.
_AMENDMENT = re.compile(r" \(edited line ([1-9]\d{0,8})\): (.*)\Z| redacted line ([1-9]\d{0,8})\Z", re.DOTALL)


ROLE_CHAIRS_PREFIX = "chairs by power level: "
_ROLE_NICKS = re.compile(r"<[^>]+>(?: <[^>]+>)*\Z")
_ROLE_NICK = re.compile(r"<([^>]+)>")


def role_chairs_text(nicks: tuple[str, ...]) -> str:
    """What the log says when the chairs by role change: ``chairs by power level: <Alice> <Carol Ann>`` (a nick
    holds no ``>``), or ``... none``."""
    return ROLE_CHAIRS_PREFIX + (" ".join(f"<{nick}>" for nick in nicks) if nicks else "none")


def role_chairs_nicks(text: str) -> tuple[str, ...] | None:
    """The nicks of a ``role_chairs_text``; None if ``text`` is not one."""
    if not text.startswith(ROLE_CHAIRS_PREFIX):
        return None
    listed = text[len(ROLE_CHAIRS_PREFIX) :]
    if listed == "none":
        return ()
    if _ROLE_NICKS.match(listed) is None:
        return None
    return tuple(_ROLE_NICK.findall(listed))


def log_line_id(number: int) -> str:
    """The id a replayed log gives line ``number`` of its meeting, for its edits and redactions to name it (live
    lines have message ids; a log has only the numbers its edit and redaction lines give: ``(edited line 12)``)."""
    return f"line {number}"


# Read once per command line (row_event): on Python 3.11 a member read from its enum class costs ~1,100 instructions.
_MESSAGE, _ACTION, _NICK = LineKind.MESSAGE, LineKind.ACTION, LineKind.NICK


def row_event(row: Row) -> Event:
    """The event a row stands for (a NICK row whose text ``nick_change_text`` did not make stays a ``RawLine``;
    one that reads as an edit's or a redaction's log line is that ``Edit`` or ``Redaction`` of a line by number)."""
    kind, time, _, nick, text = row
    if kind is _MESSAGE:
        return Message(time, nick, text)
    if kind is _ACTION:
        return Action(time, nick, text)
    if kind is _NICK:
        nicks = None if nick else role_chairs_nicks(text)
        if nicks is not None:
            return RoleChairs(time, (), nicks)
        prefix = nick + NICK_CHANGE_VERB
        if text.startswith(prefix) and len(text) > len(prefix):
            return NickChange(time, nick, text[len(prefix) :])
        if nick and text.startswith(nick):
            amended = _AMENDMENT.match(text, len(nick))
            if amended is not None:
                edited, new, redacted = amended.groups()
                if edited is not None:
                    return Edit(time, nick, log_line_id(int(edited)), new)
                return Redaction(time, nick, log_line_id(int(redacted)))
    return RawLine(time, text)
