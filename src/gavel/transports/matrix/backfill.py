"""Filling a /sync gap without I/O: which rooms have one, and the events of its /messages pages.

When a room's timeline in a /sync answer is ``limited``, the homeserver left out events older than those it sent.
The connection pages backwards from the timeline's ``prev_batch`` with ``/rooms/{id}/messages`` (up to the sync's
``since`` token), feeding each answer to a ``Backfill``, which stops at the last event the bot already read in that
room, at the end of the history, at a garbled answer, or after ``MAX_PAGES`` pages. Its events, oldest first, go
before the sync's own timeline, through the same path as any synced event.

A homeserver may ignore ``to`` (the spec only asks it to stop there) and page on into what the bot read before the
gap: a ``Backfill`` stops at the last event the bot read in that room (``Gap.seen``, kept across a restart with the
sync position), so nothing it read is read twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_PAGES = 10  # /messages requests for one gap; at the default page size 5000 events behind the sync


@dataclass(frozen=True, slots=True)
class Gap:
    """Events left out of ``room_id``'s timeline: before ``start`` (its ``prev_batch``), after ``end`` (the sync's
    ``since``, None if unknown) and after ``seen`` (the last event the bot read there, None if none)."""

    room_id: str
    start: str
    end: str | None
    seen: str | None


@dataclass
class Backfill:
    """One gap's events, collected page by page backwards."""

    gap: Gap
    max_pages: int = MAX_PAGES
    token: str | None = None  # where the next page starts; None: done
    pages: int = 0
    stopped: str | None = None  # why it ended before the gap was whole (None: whole)
    _newest_first: list[Mapping[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.token = self.gap.start

    def take(self, answer: object) -> str | None:
        """Read one /messages answer (``dir=b``); the token of the next page, or None when the gap is done."""
        asked, self.token = self.token, None
        self.pages += 1
        chunk = answer.get("chunk") if isinstance(answer, Mapping) else None
        if not isinstance(chunk, list):
            self.stopped = "the homeserver's answer had no list of events"
            return None
        for event in chunk:
            if not isinstance(event, Mapping) or not isinstance(event.get("event_id"), str):
                continue
            if event["event_id"] == self.gap.seen:
                return None  # reached what the bot read before the gap (a homeserver that ignores ``to`` goes on)
            self._newest_first.append(event)
        end = answer.get("end") if isinstance(answer, Mapping) else None
        if not chunk or not isinstance(end, str) or end == asked:
            return None  # the start of the room, or the sync's ``since`` (nothing older is missing)
        if self.pages >= self.max_pages:
            self.stopped = f"stopped after {self.pages} pages ({len(self._newest_first)} events)"
            return None
        self.token = end
        return end

    def fail(self, reason: str) -> None:
        """The homeserver refused a page: keep what came so far."""
        self.token = None
        self.stopped = reason

    def events(self, after: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The gap's events, oldest first, without those also in ``after`` (the sync's timeline) or repeated."""
        known = {event.get("event_id") for event in _listed(after.get("events"))}
        events: list[Mapping[str, Any]] = []
        for event in reversed(self._newest_first):
            if event["event_id"] not in known:
                known.add(event["event_id"])
                events.append(event)
        return events


def gaps(response: Mapping[str, Any], wanted: set[str], seen: Mapping[str, str], since: str | None) -> list[Gap]:
    """The gaps of a /sync answer in the rooms the bot serves: each joined room in ``wanted`` whose timeline is
    ``limited`` and names where it starts (``prev_batch``). ``seen``: room id -> the last event id read there."""
    rooms = response.get("rooms")
    joined = rooms.get("join") if isinstance(rooms, Mapping) else None
    found: list[Gap] = []
    for room_id, room in joined.items() if isinstance(joined, Mapping) else ():
        timeline = room.get("timeline") if isinstance(room, Mapping) else None
        if room_id not in wanted or not isinstance(timeline, Mapping) or timeline.get("limited") is not True:
            continue
        start = timeline.get("prev_batch")
        if isinstance(start, str) and start:
            found.append(Gap(room_id, start, since, seen.get(room_id)))
    return found


def _listed(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
