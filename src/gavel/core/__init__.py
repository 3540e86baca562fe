"""Pure meeting logic: events in, effects out. No I/O, no clock, no globals."""

from gavel.core.effects import (
    AnnounceMinutes,
    Effect,
    LogLine,
    LogLines,
    MeetingEnded,
    MeetingStarted,
    SaveMinutes,
    Say,
    SetTopic,
)
from gavel.core.events import AccountChange, Action, Event, Join, Message, NickChange, Part, Quit, RawLine, Tick
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState

__all__ = [
    "AccountChange",
    "Action",
    "AnnounceMinutes",
    "Effect",
    "Event",
    "Join",
    "LogLine",
    "LogLines",
    "Meeting",
    "MeetingEnded",
    "MeetingSettings",
    "MeetingStarted",
    "MeetingState",
    "Message",
    "NickChange",
    "Part",
    "Quit",
    "RawLine",
    "SaveMinutes",
    "Say",
    "SetTopic",
    "Tick",
]
