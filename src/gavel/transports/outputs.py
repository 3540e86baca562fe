"""What a live transport (IRC, Matrix) tells the runtime: events of a channel or room, and its own state."""

from __future__ import annotations

from dataclasses import dataclass

from gavel.core.events import Event


@dataclass(frozen=True, slots=True)
class ChannelEvent:
    """Something happened in ``channel`` (as the server spells it in our JOIN; a Matrix room's id)."""

    channel: str
    event: Event


@dataclass(frozen=True, slots=True)
class Registered:
    nick: str


@dataclass(frozen=True, slots=True)
class JoinedChannel:
    channel: str


@dataclass(frozen=True, slots=True)
class LeftChannel:
    """We are no longer in ``channel`` (kicked, parted, or the server said so)."""

    channel: str
    reason: str


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the operator should know (SASL failure, nick in use ...), for the log."""

    text: str


Output = ChannelEvent | Registered | JoinedChannel | LeftChannel | Notice


__all__ = ["ChannelEvent", "JoinedChannel", "LeftChannel", "Notice", "Output", "Registered"]
