"""Pure meeting logic: events in, effects out. No I/O, no clock, no globals."""

from gavel.core.effects import Effect, LogLine, MeetingEnded, MeetingStarted, SaveMinutes, Say, SetTopic
from gavel.core.events import Action, Event, Join, Message, NickChange, Part, Quit, RawLine, Tick
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState

__all__ = [
    "Action",
    "Effect",
    "Event",
    "Join",
    "LogLine",
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
