"""Effects: what the core asks the runtime to do. Plain data; the runtime executes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gavel.core.events import LineKind as LineKind
from gavel.core.events import Row


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

    def row(self) -> Row:
        """This line as a row (what ``LogLines`` holds)."""
        time = self.time
        return (self.kind, time, "%02d:%02d:%02d" % (time.hour, time.minute, time.second), self.nick, self.text)  # noqa: UP031


@dataclass(slots=True)
class LogLines:
    """Append these rows to the meeting log; the first is line number ``first``, the rest follow.

    What ``Meeting.handle_rows`` returns for a run of lines that need nothing but logging.
    """

    first: int
    rows: list[Row]


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


@dataclass(frozen=True, slots=True)
class AnnounceMinutes:
    """Tell the channel where the minutes and the log are.

    The core does not know file names: the runtime picks them when it writes the files (a name already
    taken gets ``-2`` ...), so it words the links itself. Follows ``MeetingEnded``.
    """

    time: datetime


Effect = LogLine | LogLines | Say | SetTopic | MeetingStarted | SaveMinutes | MeetingEnded | AnnounceMinutes
