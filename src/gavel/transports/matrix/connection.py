"""A Matrix account's connection: /sync long-polling and sending, with mautrix's typed client API.

The state of the conversation (rooms, members, display names) is ``MatrixClient``'s, without I/O; this module
only moves requests. What the bot says is an ``m.notice``, sent in order by one task per room (rooms never wait
for each other); a 429 (``M_LIMIT_EXCEEDED``) waits ``retry_after_ms`` and sends again with the same transaction id,
so a line is never posted twice.

Everything goes through mautrix's public client API (``send_message_event``, ``send_state_event``, ``sync`` ...).
Its ``MLimitExceeded`` does not carry the answer's ``retry_after_ms``, so the aiohttp session the bot gives mautrix
has a trace hook (aiohttp's public ``TraceConfig``) that reads a 429's answer and keeps its ``retry_after_ms`` for
the task whose request it was (a context variable): the sender reads it when mautrix raises.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
from mautrix.api import HTTPAPI, Method, Path
from mautrix.client import ClientAPI
from mautrix.errors import MatrixConnectionError, MatrixError, MatrixRequestError, MatrixResponseError, MLimitExceeded
from mautrix.types import (
    JSON,
    EventType,
    Filter,
    MessageType,
    PaginationDirection,
    RoomAlias,
    RoomID,
    RoomTopicStateEventContent,
    SyncToken,
    TextMessageEventContent,
    UserID,
)

from gavel.transports.matrix.backfill import Backfill
from gavel.transports.matrix.protocol import (
    TIMELINE_LIMIT,
    TIMELINE_TYPES,
    Invited,
    MatrixClient,
    MatrixOutput,
    sync_filter,
)
from gavel.transports.outputs import Notice, Registered

log = logging.getLogger("gavel.matrix")

SYNC_TIMEOUT_MS = 20_000
MAX_PENDING = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class MatrixSettings:
    homeserver: str
    user_id: str
    access_token: str = field(repr=False)
    rooms: tuple[str, ...] = ()  # aliases (#room:server) or ids (!id:server)
    power_level_chairs: int = 0  # members at this power level or above are chairs (0: none)
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0


@dataclass(frozen=True)
class _Outgoing:
    room: str
    text: str
    topic: bool = False  # set the room topic to ``text`` instead of saying it
    txn_id: str = field(default_factory=lambda: "gavel-" + secrets.token_hex(12))


class MatrixConnection:
    """One account on one homeserver: joins its rooms, turns /sync into outputs, sends what the bot says."""

    def __init__(
        self,
        settings: MatrixSettings,
        on_output: Callable[[MatrixOutput], None],
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        since: str | None = None,
        checkpoint: Callable[[str], None] | None = None,
        timeline_limit: int = TIMELINE_LIMIT,
    ) -> None:
        """``since``: the position saved by the last run (``MatrixClient.position()``; None: start from now).
        ``checkpoint(position)`` is called after each sync's events were handed on: the runtime makes them durable,
        then saves the position.
        ``timeline_limit``: events of one room per sync (and per page when filling a gap), tests make it small."""
        self.settings = settings
        self.timeline_limit = timeline_limit
        self.on_output = on_output
        self.checkpoint = checkpoint
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 -- jitter, not security
        self.client = MatrixClient(settings.user_id, power_level_chairs=settings.power_level_chairs)
        self.client.restore(since)
        self.connected = asyncio.Event()
        self.registered = False
        self._outgoing: dict[str, deque[_Outgoing]] = {}  # room -> what the bot has yet to send there, in order
        self._senders: dict[str, asyncio.Task[None]] = {}  # room -> the task sending its lines
        self._pending = 0  # lines not sent yet (the one being sent included)
        self._api: ClientAPI | None = None
        self._stopping = False
        self.dropped = 0
        self.rate_limited = 0  # sends the homeserver refused with M_LIMIT_EXCEEDED (each then sent again)
        self.attempts = 0  # failed sessions in a row (the backoff's exponent)
        self.failures = 0  # failed sessions in all (a homeserver that went away and came back)
        self.room_ids: dict[str, str] = {}  # configured spelling (alias or id) -> room id
        self.configured: dict[str, str] = {}  # room id -> configured spelling

    # ------------------------------------------------------------------ what the runtime calls

    maubot_spellings = True  # rooms that move from maubot-meetings keep its command spellings

    def configured_name(self, room: str) -> str:
        """The configured spelling (an alias, perhaps) of a room its events name by id."""
        return self.configured.get(room, room)

    def bot_nick(self, room: str) -> str:
        return self.client.bot_nick(self.room_ids.get(room, room))

    def room_name(self, room: str) -> str | None:
        """What a meeting in ``room`` is called when ``#startmeeting`` names none: the localpart of its alias (the
        configured one, else the room's canonical alias), else the room's name; None when nothing is known yet."""
        state = self.client.rooms.get(self.room_ids.get(room, room))
        alias = room if room.startswith("#") else (state.alias if state is not None else None)
        if alias:
            return alias[1:].split(":", 1)[0]
        return state.name if state is not None else None

    def say(self, room: str, text: str) -> None:
        if self._pending >= MAX_PENDING:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("%s: reply queue full, %d replies dropped so far", self.settings.user_id, self.dropped)
            return
        self._enqueue(_Outgoing(room, text))

    def _enqueue(self, item: _Outgoing) -> None:
        self._outgoing.setdefault(item.room, deque()).append(item)
        self._pending += 1
        self._wake(item.room)

    def _wake(self, room: str) -> None:
        """Make sure a task sends ``room``'s lines: one per room, so rooms never wait for each other (a homeserver
        takes a while to accept each message) while each room's lines keep their order."""
        if self._api is None:
            return  # run() wakes every room once it is connected
        task = self._senders.get(room)
        if task is None or task.done():
            self._senders[room] = asyncio.get_running_loop().create_task(self._room_sender(self._api, room))

    def say_now(self, room: str, text: str) -> bool:
        """Send ahead of the queue (the failure notice); returns whether a send was started."""
        if self._api is None:
            return False
        item = _Outgoing(room, text)
        asyncio.get_running_loop().create_task(self._send(self._api, item))
        return True

    def set_topic(self, room: str, topic: str) -> bool:
        self._enqueue(_Outgoing(room, topic, topic=True))
        return True

    def join(self, room: str, key: str | None = None) -> None:
        if self._api is not None:
            asyncio.get_running_loop().create_task(self._join(self._api, room))

    def pending(self) -> int:
        return self._pending

    # ------------------------------------------------------------------ the loops

    async def run(self) -> None:
        """Connect and stay connected until ``stop()``."""
        api, session = client_api(self.settings)
        self._api = api
        for room, waiting in self._outgoing.items():
            if waiting:
                self._wake(room)
        try:
            while not self._stopping:
                try:
                    await self._session(api)
                except (MatrixError, OSError, TimeoutError) as error:
                    if self._stopping:
                        break
                    self.connected.clear()
                    self.failures += 1
                    delay = self.backoff()
                    log.warning("%s: %s; retrying in %.1f s", self.settings.homeserver, error, delay)
                    self.attempts += 1
                    await asyncio.sleep(delay)
        finally:
            senders = list(self._senders.values())
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
            await session.close()
            self._api = None

    def backoff(self) -> float:
        ceiling = min(self.settings.reconnect_max, self.settings.reconnect_min * 2.0 ** min(self.attempts, 30))
        return ceiling * (0.5 + self.rng.random() / 2)

    async def _session(self, api: ClientAPI) -> None:
        wanted = set()
        for room in self.settings.rooms:
            wanted.add(await self._join(api, room))
        self.client.wanted = wanted
        live = await api.create_filter(_filter(self.timeline_limit))
        if not self.registered:
            if self.client.next_batch is None:
                # Start from now: what was said before the bot came is not part of any meeting it records (so
                # the homeserver need not load any history: one timeline event per room).
                now = await api.create_filter(_filter(1))
                first = await api.sync(timeout=0, filter_id=now)
                for room_id, event_id in _without_timeline(first).items():
                    self.client.mark_read(room_id, event_id)  # a later gap is filled back to here, no further
            else:
                # Go on from the saved position: what was said while the bot was down reaches its meetings.
                first = await api.sync(since=_token(self.client.next_batch), timeout=0, full_state=True, filter_id=live)
            self._handle(first, await self._fill(api, first))
            self.registered = True
            self.on_output(Registered(self.settings.user_id))
        self.connected.set()
        self.attempts = 0
        while not self._stopping:
            since = _token(self.client.next_batch)
            response = await api.sync(since=since, timeout=SYNC_TIMEOUT_MS, filter_id=live)
            self._handle(response, await self._fill(api, response))

    async def _fill(self, api: ClientAPI, response: dict[str, Any]) -> dict[str, Backfill]:
        """The events of each gap (``limited`` timeline) of ``response`` in the bot's rooms, read backwards with
        /messages, at most ``MAX_PAGES`` pages each. A homeserver that refuses a page or answers nonsense ends that
        gap's filling (the protocol tells what is missing); a lost connection fails the sync (it is tried again)."""
        filled: dict[str, Backfill] = {}
        for gap in self.client.gaps(response):
            fill = filled[gap.room_id] = Backfill(gap)
            while fill.token is not None:
                try:
                    answer = await _messages(api, gap.room_id, fill.token, gap.end, self.timeline_limit)
                except (MatrixRequestError, MatrixResponseError) as error:
                    fill.fail(f"the homeserver refused a page: {error}")
                    break
                fill.take(answer)
            log.info("%s: read %d pages back to fill a gap in %s", self.settings.user_id, fill.pages, gap.room_id)
        return filled

    def _handle(self, response: dict[str, Any], filled: dict[str, Backfill] | None = None) -> None:
        for output in self.client.receive_sync(response, filled):
            self._emit(output)
        if self.checkpoint is not None and self.client.next_batch is not None:
            self.checkpoint(self.client.position())

    def _emit(self, output: MatrixOutput) -> None:
        if isinstance(output, Invited):
            if output.room in self.client.wanted and self._api is not None:
                asyncio.get_running_loop().create_task(self._join(self._api, output.room))
            else:
                self.on_output(Notice(f"invited to {output.room}, which is not configured: ignored"))
            return
        self.on_output(output)

    async def _join(self, api: ClientAPI, room: str) -> str:
        """Join ``room`` (an alias or an id); its id, remembered for the configured spelling."""
        room_id = str((await api.resolve_room_alias(RoomAlias(room))).room_id) if room.startswith("#") else room
        await api.join_room(RoomID(room_id), max_retries=0)
        self.room_ids[room] = room_id
        self.configured[room_id] = room
        return room_id

    async def _room_sender(self, api: ClientAPI, room: str) -> None:
        waiting = self._outgoing[room]
        while waiting:
            await self._send(api, waiting[0])
            waiting.popleft()
            self._pending -= 1

    async def _send(self, api: ClientAPI, item: _Outgoing) -> None:
        """Send one line (or the topic) with mautrix: a 429 waits the ``retry_after_ms`` the homeserver asked (read
        by the session's trace hook) and sends again under the same transaction id, which the homeserver keeps once
        however often it arrives."""
        room = self.room_ids.get(item.room, item.room)
        for _ in range(20):  # bounded: a room that keeps refusing does not hold the queue for ever
            _LIMITED.set(None)
            try:
                await _put(api, room, item)
                return
            except MLimitExceeded:
                self.rate_limited += 1
                await asyncio.sleep(retry_delay(_LIMITED.get() or {}))
            except MatrixRequestError as error:
                log.warning("%s: cannot send to %s: %s", self.settings.user_id, item.room, error)
                return
            except (MatrixConnectionError, OSError, TimeoutError, aiohttp.ClientError) as error:
                log.warning("%s: sending to %s failed (%s); retrying", self.settings.user_id, item.room, error)
                await asyncio.sleep(1)

    async def stop(self, message: str = "gavel stopping") -> None:
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2
        while self._pending and loop.time() < deadline:  # bounded: the last replies go out
            await asyncio.sleep(0.02)


def client_api(settings: MatrixSettings) -> tuple[ClientAPI, aiohttp.ClientSession]:
    """mautrix's client for the account, on an aiohttp session of the bot's own (with the 429 trace hook); the
    caller closes the session."""
    session = aiohttp.ClientSession(trace_configs=[_limit_tracer()])
    http = HTTPAPI(settings.homeserver, settings.access_token, client_session=session)
    return ClientAPI(UserID(settings.user_id), api=http), session


def retry_delay(answer: dict[str, Any]) -> float:
    """Seconds to wait after a 429: the answer's ``retry_after_ms`` (kept within 50 ms .. 60 s), else 1 s."""
    wait = answer.get("retry_after_ms")
    if type(wait) is not int and type(wait) is not float:
        return 1.0
    return min(60.0, max(0.05, wait / 1000)) if wait == wait else 1.0  # (NaN: 1 s)


async def _messages(api: ClientAPI, room: str, start: str, end: str | None, limit: int) -> object:
    """One page of ``room``'s events before ``start`` (back to ``end`` at most), as the homeserver's JSON. This is
    the request mautrix's ``get_messages`` makes, without its typed events: their round trip rewrites content (an
    edit's fallback, unknown keys), and the bot reads a gap's events exactly as it reads synced ones."""
    query = {"dir": PaginationDirection.BACKWARD.value, "from": start, "limit": str(limit), "filter": _GAP_FILTER}
    if end is not None:
        query["to"] = end
    return await api.api.request(Method.GET, Path.v3.rooms[RoomID(room)].messages, query_params=query)


_GAP_FILTER = json.dumps({"types": list(TIMELINE_TYPES)})


async def _put(api: ClientAPI, room: str, item: _Outgoing) -> None:
    """Send ``item`` to ``room`` (an id) through mautrix's client API; its errors as mautrix raises them."""
    if item.topic:
        await api.send_state_event(RoomID(room), EventType.ROOM_TOPIC, RoomTopicStateEventContent(topic=item.text))
    else:
        content = TextMessageEventContent(msgtype=MessageType.NOTICE, body=item.text)
        await api.send_message_event(RoomID(room), EventType.ROOM_MESSAGE, content, txn_id=item.txn_id)


# The answer of the current task's last request that the homeserver refused with 429 (set by the trace hook).
_LIMITED: ContextVar[dict[str, Any] | None] = ContextVar("gavel_matrix_limited", default=None)


def _limit_tracer() -> aiohttp.TraceConfig:
    """A trace hook that keeps a 429's JSON answer in ``_LIMITED`` (aiohttp keeps the body read, so mautrix reads it
    again as usual). It runs in the task that made the request, so concurrent rooms never see each other's."""

    async def on_request_end(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if params.response.status != 429:
            return
        try:
            answer = await params.response.json(content_type=None)
        except (ValueError, aiohttp.ClientError):
            answer = None
        _LIMITED.set(answer if isinstance(answer, dict) else {})

    tracer = aiohttp.TraceConfig()
    tracer.on_request_end.append(on_request_end)
    return tracer


def _filter(timeline_limit: int) -> Filter:
    return Filter.deserialize(cast(JSON, sync_filter(timeline_limit)))


def _token(value: str | None) -> SyncToken | None:
    return SyncToken(value) if value is not None else None


def _without_timeline(response: dict[str, Any]) -> dict[str, str]:
    """Make the first sync's rooms keep their state but no timeline (history is not replayed into a meeting); the
    id of each room's last timeline event (room id -> event id)."""
    rooms = response.get("rooms")
    last: dict[str, str] = {}
    if isinstance(rooms, dict):
        for room_id, joined in (rooms.get("join") or {}).items():
            if isinstance(joined, dict):
                timeline = joined.get("timeline")
                events = timeline.get("events") if isinstance(timeline, dict) else None
                events = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
                joined.setdefault("state", {}).setdefault("events", []).extend(e for e in events if "state_key" in e)
                joined["timeline"] = {"events": []}
                if events and isinstance(events[-1].get("event_id"), str):
                    last[room_id] = events[-1]["event_id"]
    return last
