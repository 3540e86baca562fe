"""The Matrix side of the bot without I/O: /sync responses in, core events out (as IRC's ``IrcClient`` does).

Identity is the Matrix user id: every message carries it as the sender's account, so a chair is a chair by user id
whatever display name they take. The nick the core and the minutes see is the member's display name at that moment
(the user id's localpart when there is none), with the user id beside it while two members share the name. A
display-name change is a nick change. A message is read from its plain ``body`` (never ``formatted_body``); a body
of several lines is one line per line (each may be a command); a reply's quoted fallback is dropped and the line
names the message it answers (``reply_to``), a thread's lines name the thread's first message (``thread``). An edit
(``m.replace``) is an ``Edit`` of each line of its ``m.new_content``; a redaction a ``Redaction`` (the core checks
that an edit comes from the line's own sender).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from gavel.core.events import Action, Edit, Event, Join, Message, NickChange, Part, Redaction, RoleChairs
from gavel.core.records import mentions
from gavel.transports.matrix.backfill import Backfill, Gap, gaps
from gavel.transports.outputs import ChannelEvent, JoinedChannel, LeftChannel, Notice, Output

MAX_BODY = 64 * 1024  # characters of one message read; the rest is cut (a huge paste never stalls the bot)
MAX_MENTIONS = 50  # user ids read from one message's mentions and pills
_PILL = re.compile(r"""href\s*=\s*["']https://matrix\.to/#/([^"'?/<>\s]+)""")


# What the bot reads of a room: these state events, messages and redactions. Its /sync filter asks for nothing else
# (no presence, typing, receipts, account data, reactions ...), so the homeserver neither sends nor wakes it for them.
STATE_TYPES = ("m.room.member", "m.room.power_levels", "m.room.encryption", "m.room.canonical_alias", "m.room.name")
TIMELINE_TYPES = (*STATE_TYPES, "m.room.message", "m.room.redaction")
TIMELINE_LIMIT = 500  # events of one room in one sync; beyond that the homeserver leaves a gap (``limited``)


def sync_filter(timeline_limit: int = TIMELINE_LIMIT) -> dict[str, Any]:
    """The bot's /sync filter: the room state and timeline events it reads, up to ``timeline_limit`` per room."""
    nothing: dict[str, Any] = {"types": []}
    return {
        "presence": nothing,
        "account_data": nothing,
        "room": {
            "ephemeral": nothing,
            "account_data": nothing,
            "state": {"types": list(STATE_TYPES)},
            "timeline": {"types": list(TIMELINE_TYPES), "limit": timeline_limit},
        },
    }


@dataclass(frozen=True, slots=True)
class Invited:
    """The bot was invited to ``room`` (the runtime joins only configured rooms)."""

    room: str


MatrixOutput = Output | Invited


@dataclass
class RoomState:
    room_id: str
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name ("" for none), joined members
    encrypted: bool = False
    alias: str | None = None
    name: str | None = None
    power: dict[str, int] = field(default_factory=dict)
    default_power: int = 0
    role_chairs: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # the last RoleChairs told: accounts, nicks
    applied: set[str] = field(default_factory=set)  # ids of the state events applied here

    def nick(self, user_id: str) -> str:
        """What the minutes call ``user_id`` now: the display name, with the user id while another shares it. (A
        ``>`` in it is shown as U+203A, a single right angle quotation mark: the ``.log.txt`` line ``<nick> text``
        ends the nick at its ``>``.)"""
        name = self.names.get(user_id) or localpart(user_id) or user_id
        shared = sum(1 for other, shown in self.names.items() if (shown or localpart(other)) == name) > 1
        return (f"{name} ({user_id})" if shared else name).replace(">", "\u203a")


def localpart(user_id: str) -> str:
    """``alice`` of ``@alice:example.org``."""
    return user_id[1:].split(":", 1)[0] if user_id.startswith("@") else user_id


def event_time(event: Mapping[str, Any]) -> datetime:
    stamp = event.get("origin_server_ts")
    if type(stamp) is not int or not 0 <= stamp < 253402300800000:  # before year 10000
        stamp = 0
    return datetime.fromtimestamp(stamp / 1000, UTC)


def body_lines(content: Mapping[str, Any]) -> list[str]:
    """The lines of a message's plain body, without a reply's quoted fallback."""
    body = content.get("body")
    if not isinstance(body, str):
        return []
    lines = body[:MAX_BODY].split("\n")
    relates = content.get("m.relates_to")
    if isinstance(relates, Mapping) and "m.in_reply_to" in relates:
        while lines and lines[0].startswith("> "):
            lines.pop(0)
        if lines and lines[0] == "":
            lines.pop(0)
    return [line.rstrip("\r") for line in lines if line.strip()]


class MatrixClient:
    """One bot account's view of its rooms, fed /sync responses."""

    def __init__(self, user_id: str, rooms: Iterable[str] = (), *, power_level_chairs: int = 0) -> None:
        """``power_level_chairs``: members at this power level or above chair the room's meetings (0: none)."""
        self.user_id = user_id
        self.power_level_chairs = power_level_chairs
        self.wanted = set(rooms)  # room ids the bot serves (aliases resolved by the connection)
        self.rooms: dict[str, RoomState] = {}
        self.next_batch: str | None = None
        self.read: dict[str, str] = {}  # room id -> the id of the last event read there (where a gap's filling stops)
        self._outputs: list[MatrixOutput] = []

    def position(self) -> str:
        """Where a restart goes on from: the sync token, then on a second line (JSON) the id of the last event read
        in each room (where filling a gap after the restart stops, even if the homeserver ignores ``to``)."""
        last = dict(sorted(self.read.items()))
        return f"{self.next_batch or ''}\n{json.dumps(last, ensure_ascii=True, separators=(',', ':'))}"

    def restore(self, position: str | None) -> None:
        """Go on from a saved ``position()`` (or a bare sync token, as older versions saved it); bad text is no
        position (start from now)."""
        lines = (position or "").split("\n")
        self.next_batch = lines[0].strip() or None
        try:
            last = json.loads(lines[1]) if len(lines) > 1 else {}
        except ValueError:
            last = {}
        for room_id, event_id in _items(last):
            if isinstance(event_id, str):
                self.mark_read(room_id, event_id)

    def mark_read(self, room_id: str, event_id: str) -> None:
        """Note that the bot read (or chose to skip) event ``event_id`` of ``room_id``."""
        self.read[room_id] = event_id

    def bot_nick(self, room_id: str) -> str:
        room = self.rooms.get(room_id)
        return room.nick(self.user_id) if room is not None else localpart(self.user_id)

    def gaps(self, response: Mapping[str, Any]) -> list[Gap]:
        """The gaps (``limited`` timelines) of a /sync answer not applied yet, in the rooms the bot serves."""
        return gaps(response, self.wanted, self.read, self.next_batch)

    def receive_sync(
        self, response: Mapping[str, Any], filled: Mapping[str, Backfill] | None = None
    ) -> list[MatrixOutput]:
        """Apply one /sync response; the outputs, in timeline order. ``filled``: room id -> the events of its gap,
        read before the sync's timeline. Never raises for odd or hostile content."""
        outputs: list[MatrixOutput] = []
        batch = response.get("next_batch")
        rooms = response.get("rooms")
        rooms = rooms if isinstance(rooms, Mapping) else {}
        for room_id, joined in _items(rooms.get("join")):
            outputs += self._joined_room(room_id, joined, (filled or {}).get(room_id))
        for room_id, _ in _items(rooms.get("invite")):
            outputs.append(Invited(room_id))
        for room_id, _ in _items(rooms.get("leave")):
            self.read.pop(room_id, None)
            if self.rooms.pop(room_id, None) is not None:
                outputs.append(LeftChannel(room_id, "left the room"))
        if isinstance(batch, str):
            self.next_batch = batch
        return outputs

    def _joined_room(self, room_id: str, joined: Mapping[str, Any], fill: Backfill | None) -> list[MatrixOutput]:
        outputs: list[MatrixOutput] = []
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = RoomState(room_id)
            outputs.append(JoinedChannel(room_id))
        timeline = joined.get("timeline")
        timeline = timeline if isinstance(timeline, Mapping) else {}
        missed: list[Mapping[str, Any]] = []
        if fill is not None:
            missed = fill.events(timeline)
            if fill.stopped is not None:
                outputs.append(
                    Notice(
                        f"{room_id}: filling the gap the homeserver left in this sync ended early ({fill.stopped}): "
                        f"{len(missed)} events read back, older lines of the gap are missing from the log"
                    )
                )
        elif timeline.get("limited") is True:
            outputs.append(
                Notice(
                    f"{room_id}: the homeserver left out older events of this sync (too many at once): lines said "
                    "in that gap are missing from the log"
                )
            )
        # The sync's state is the room's as its timeline starts, after the gap: a room the bot knows reads the gap's
        # events first (its members' changes in their order); a room new to it (a restart) takes that state, then
        # goes back through the gap's state events to the state before them, so that reading the gap's events then
        # tells its joins, leaves and name changes as they happened.
        if room.names:
            for event in missed:
                self._timeline_event(room, event, outputs)
            missed = []
        state = joined.get("state")
        last: Mapping[str, Any] | None = None
        for event in _events(state.get("events") if isinstance(state, Mapping) else None):
            if event.get("event_id") not in room.applied:  # (Synapse may send again a state its timeline replaced)
                last = event
                self._state(room, event, outputs, emit=False)
        for event in reversed(missed):
            self._unwind(room, event)
        first = missed[0] if missed else last
        if first is not None:
            self._role_chairs(room, first, outputs)  # once for the whole state (it may list thousands of members)
        for event in missed:
            self._timeline_event(room, event, outputs)
        for event in _events(timeline.get("events")):
            self._timeline_event(room, event, outputs)
        return outputs

    def _timeline_event(self, room: RoomState, event: Mapping[str, Any], outputs: list[MatrixOutput]) -> None:
        event_id = event.get("event_id")
        if isinstance(event_id, str):
            self.mark_read(room.room_id, event_id)
        if "state_key" in event:
            self._state(room, event, outputs, emit=True)
            if event.get("type") in ("m.room.power_levels", "m.room.member"):
                self._role_chairs(room, event, outputs)
        elif event.get("type") == "m.room.message" and not room.encrypted:
            outputs += self._message(room, event)
        elif event.get("type") == "m.room.redaction" and not room.encrypted:
            outputs += self._redaction(room, event)

    def _state(self, room: RoomState, event: Mapping[str, Any], outputs: list[MatrixOutput], *, emit: bool) -> None:
        event_id = event.get("event_id")
        if isinstance(event_id, str):
            room.applied.add(event_id)
        kind, content = event.get("type"), event.get("content")
        content = content if isinstance(content, Mapping) else {}
        if kind == "m.room.member":
            self._member(room, event, content, outputs, emit=emit)
        elif kind == "m.room.encryption" and not room.encrypted:
            room.encrypted = True
            outputs.append(
                Notice(
                    f"{room.room_id} is end-to-end encrypted: gavel cannot read it and records nothing there "
                    "(use an unencrypted room for meetings)"
                )
            )
        elif kind == "m.room.canonical_alias":
            alias = content.get("alias")
            room.alias = alias if isinstance(alias, str) else None
        elif kind == "m.room.name":
            name = content.get("name")
            room.name = name if isinstance(name, str) else None
        elif kind == "m.room.power_levels":
            users = content.get("users")
            room.power = {k: v for k, v in _items(users) if type(v) is int}
            default = content.get("users_default")
            room.default_power = default if type(default) is int else 0

    def _unwind(self, room: RoomState, event: Mapping[str, Any]) -> None:
        """Put back the room's state as it was before the state event ``event``: its ``prev_content`` (which the
        homeserver adds to ``unsigned``), or no such state when it has none (a member's first join)."""
        if "state_key" not in event or event.get("type") == "m.room.encryption":
            return  # (an encrypted room stays refused)
        unsigned = event.get("unsigned")
        before = unsigned.get("prev_content") if isinstance(unsigned, Mapping) else None
        self._state(room, {**event, "content": before if isinstance(before, Mapping) else {}}, [], emit=False)

    def _role_chairs(self, room: RoomState, event: Mapping[str, Any], outputs: list[MatrixOutput]) -> None:
        """Tell the members at ``power_level_chairs`` or above when that set changed (power levels, a member who
        joins a room whose default level is that high)."""
        threshold = self.power_level_chairs
        if threshold <= 0:
            return
        users = set(room.power) | set(room.names)
        chairs = tuple(
            sorted(
                user for user in users if user != self.user_id and room.power.get(user, room.default_power) >= threshold
            )
        )
        told = (chairs, tuple(room.nick(user) for user in chairs))
        if told != room.role_chairs:  # a new set, or a new name in it (the log names them)
            room.role_chairs = told
            outputs.append(ChannelEvent(room.room_id, RoleChairs(event_time(event), *told)))

    def _member(
        self,
        room: RoomState,
        event: Mapping[str, Any],
        content: Mapping[str, Any],
        outputs: list[MatrixOutput],
        *,
        emit: bool,
    ) -> None:
        user_id = event.get("state_key")
        if not isinstance(user_id, str) or not user_id:
            return
        membership = content.get("membership")
        shown = content.get("displayname")
        shown = " ".join(shown[:256].split()) if isinstance(shown, str) else ""  # one space between words
        time = event_time(event)
        if membership == "join":
            if user_id in room.names:
                if room.names[user_id] != shown:
                    old = room.nick(user_id)
                    room.names[user_id] = shown
                    new = room.nick(user_id)
                    if emit and old != new:
                        outputs.append(ChannelEvent(room.room_id, NickChange(time, old, new)))
                return
            room.names[user_id] = shown
            if emit:
                outputs.append(ChannelEvent(room.room_id, Join(time, room.nick(user_id), user_id)))
        elif user_id in room.names:
            nick = room.nick(user_id)
            del room.names[user_id]
            if emit:
                outputs.append(ChannelEvent(room.room_id, Part(time, nick)))

    def _message(self, room: RoomState, event: Mapping[str, Any]) -> list[MatrixOutput]:
        sender, content = event.get("sender"), event.get("content")
        if not isinstance(sender, str) or not isinstance(content, Mapping):
            return []
        relates = content.get("m.relates_to")
        relates = relates if isinstance(relates, Mapping) else {}
        event_id = _string(event.get("event_id"))
        time, nick = event_time(event), room.nick(sender)
        outputs: list[MatrixOutput] = []
        if relates.get("rel_type") == "m.replace":
            target = _string(relates.get("event_id"))
            new = content.get("m.new_content")
            if target is None or not isinstance(new, Mapping):
                return []  # an edit without its target or its new content: nothing to apply
            lines = body_lines(new)
            named = mentioned(new, room, self.user_id)  # the new content's own mentions and pills
            for number, line in enumerate(lines):
                edited = target if number == 0 else f"{target}#{number + 1}"
                edit = Edit(
                    time, nick, edited, line, sender, _line_id(event_id, number), _named_in(line, named, len(lines))
                )
                outputs.append(ChannelEvent(room.room_id, edit))
            return outputs
        thread = _string(relates.get("event_id")) if relates.get("rel_type") == "m.thread" else None
        reply_to = None
        answered = relates.get("m.in_reply_to")
        if isinstance(answered, Mapping) and not (thread is not None and relates.get("is_falling_back") is True):
            reply_to = _string(answered.get("event_id"))
        action = content.get("msgtype") == "m.emote"
        lines = body_lines(content)
        named = mentioned(content, room, self.user_id)
        for number, line in enumerate(lines):
            # Each line its own id (the event id, then "#2", "#3" ...): a repeated delivery is recognised line by line.
            msgid = _line_id(event_id, number)
            said: Event = (
                Action(time, nick, line, sender, msgid)
                if action
                else Message(time, nick, line, sender, msgid, reply_to, thread, _named_in(line, named, len(lines)))
            )
            outputs.append(ChannelEvent(room.room_id, said))
        return outputs

    def _redaction(self, room: RoomState, event: Mapping[str, Any]) -> list[MatrixOutput]:
        sender, content = event.get("sender"), event.get("content")
        target = event.get("redacts")  # room versions up to 10; from 11 on it is in the content
        if not isinstance(target, str) and isinstance(content, Mapping):
            target = content.get("redacts")
        if not isinstance(sender, str) or not isinstance(target, str):
            return []
        redaction = Redaction(event_time(event), room.nick(sender), target, sender, _string(event.get("event_id")))
        return [ChannelEvent(room.room_id, redaction)]


def mentioned(content: Mapping[str, Any], room: RoomState, bot: str) -> list[tuple[str, str]]:
    """``(user id, nick)`` of each member of ``room`` a message names by reference: ``m.mentions`` user ids and pills
    (``matrix.to`` links) in its HTML; never the bot. The HTML is only searched for links, never parsed or kept."""
    ids: list[str] = []
    mentions = content.get("m.mentions")
    users = mentions.get("user_ids") if isinstance(mentions, Mapping) else None
    if isinstance(users, list):
        ids += [user for user in users[:MAX_MENTIONS] if isinstance(user, str)]
    formatted = content.get("formatted_body")
    if isinstance(formatted, str) and "matrix.to" in formatted:
        ids += [unquote(found) for found in _PILL.findall(formatted[:MAX_BODY])[:MAX_MENTIONS]]  # "%40a%3Ax" too
    return [(user, room.nick(user)) for user in dict.fromkeys(ids) if user in room.names and user != bot]


def _named_in(line: str, named: list[tuple[str, str]], lines: int) -> tuple[str, ...]:
    """The mentions that belong to ``line``: all of them for a message of one line, else those the line names (by
    display name, localpart or user id, as a whole word)."""
    if lines == 1:
        return tuple(nick for _, nick in named)
    return tuple(nick for user, nick in named if any(mentions(line, word) for word in (nick, localpart(user), user)))


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _line_id(event_id: str | None, number: int) -> str | None:
    """The id of line ``number`` (from 0) of a message: its event id, then ``id#2``, ``id#3`` ..."""
    return event_id if event_id is None or number == 0 else f"{event_id}#{number + 1}"


def _items(value: object) -> list[tuple[str, Any]]:
    return [(key, item) for key, item in value.items() if isinstance(key, str)] if isinstance(value, Mapping) else []


def _events(value: object) -> list[Mapping[str, Any]]:
    return [event for event in value if isinstance(event, Mapping)] if isinstance(value, list) else []
