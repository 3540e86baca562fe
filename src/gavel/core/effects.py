"""Effects: what the core asks the runtime to do. Plain data; the runtime executes them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class LineKind(enum.Enum):
    MESSAGE = "message"
    ACTION = "action"
    NICK = "nick"
    RAW = "raw"


@dataclass(slots=True)
class LogLine:
    """Append this line to the meeting log (``number`` is 1-based, the ``#l-N`` anchor).

    Treat as immutable; not ``frozen`` because one is built per log line (see core/events.py).
    """

    number: int
    time: datetime
    kind: LineKind
    nick: str
    text: str


@dataclass(frozen=True, slots=True)
class Say:
    """Send this text to the channel."""

    text: str


@dataclass(frozen=True, slots=True)
class SetTopic:
    """Set the channel topic (the runtime decides whether it may)."""

    text: str


@dataclass(frozen=True, slots=True)
class MeetingStarted:
    time: datetime


@dataclass(frozen=True, slots=True)
class SaveMinutes:
    """Write the minutes now (``#save``); the meeting goes on."""

    time: datetime


@dataclass(frozen=True, slots=True)
class MeetingEnded:
    """The meeting is over: write the final minutes. ``reason`` is "endmeeting", "idle" or "overlong"."""

    time: datetime
    reason: str


Effect = LogLine | Say | SetTopic | MeetingStarted | SaveMinutes | MeetingEnded
