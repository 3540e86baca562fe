"""Effects: what the core asks the runtime to do. Plain data; the runtime executes them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from gavel.core.events import LineKind as LineKind
from gavel.core.events import Row


class Relation(enum.Enum):
    """How a log line relates to an earlier line (the HTML log links the two)."""

    REPLY = "reply"  # it answers that line
    THREAD = "thread"  # it was said in the thread that line started
    EDIT = "edit"  # it is that line, edited
    REDACTION = "redaction"  # it says that line was removed


@dataclass(slots=True)
class LogLine:
    """Append this line to the meeting log (``number`` is 1-based, the ``#l-N`` anchor).

    ``relation`` and ``refers_to`` (the earlier line's number, when known): what the line answers, edits ... The
    ``.log.txt`` shows only the text (it is the raw log); the ``.log.html`` links the lines.

    Treat as immutable; not ``frozen`` because one is built per log line (see core/events.py).
    """

    number: int
    time: datetime
    kind: LineKind
    nick: str
    text: str
    relation: Relation | None = None
    refers_to: int | None = None

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


@dataclass(frozen=True, slots=True)
class ReplaceLine:
    """Line ``line.number``, logged already, now reads as ``line`` (a redaction: its text is ``[redacted]``).

    Logs are streamed, so the runtime applies this when it writes the meeting's files (and to the archive's lines).
    """

    line: LogLine


Effect = (
    LogLine | LogLines | ReplaceLine | Say | SetTopic | MeetingStarted | SaveMinutes | MeetingEnded | AnnounceMinutes
)
