"""The bot's /sync on a real Synapse: its filter keeps typing, receipts and reactions from waking it, and lets a
long absence through whole (a timeline limit well above the homeserver's default of 10 events per room)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from gavel.core.events import Join, Message, NickChange, Part
from gavel.transports.matrix.connection import MatrixConnection, MatrixSettings
from gavel.transports.matrix.protocol import TIMELINE_LIMIT, MatrixOutput
from gavel.transports.outputs import ChannelEvent, Notice
from homeserver import Synapse
from test_matrix_live import User, wait_until


@asynccontextmanager
async def connected(
    synapse: Synapse,
    name: str,
    room_id: str,
    outputs: list[MatrixOutput],
    since: str | None = None,
    timeline_limit: int = TIMELINE_LIMIT,
) -> AsyncIterator[MatrixConnection]:
    """A bot account's connection, joined to ``room_id`` and long-polling, until the block ends."""
    settings = MatrixSettings(synapse.url, synapse.user_id(name), synapse.register(name), (room_id,))
    connection = MatrixConnection(settings, outputs.append, since=since, timeline_limit=timeline_limit)
    task = asyncio.create_task(connection.run())
    try:
        await asyncio.wait_for(connection.connected.wait(), 20)
        yield connection
    finally:
        await connection.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def syncs(synapse: Synapse, user_id: str, log_from: int) -> int:
    """How many /sync requests of ``user_id`` Synapse answered since offset ``log_from`` of its log."""
    pattern = re.compile(r"\{" + re.escape(user_id) + r"\} Processed request: .* \"GET /_matrix/client/v3/sync\?")
    return len(pattern.findall(synapse.log()[log_from:]))


def said(outputs: list[MatrixOutput]) -> list[str]:
    return [o.event.text for o in outputs if isinstance(o, ChannelEvent) and isinstance(o.event, Message)]


def described(event: object) -> tuple[str, str, str | None]:
    """An event as (kind, who, what): a message's text, a name change's new name."""
    if isinstance(event, NickChange):
        return ("NickChange", event.old, event.new)
    if isinstance(event, Message):
        return ("Message", event.nick, event.text)
    assert isinstance(event, Join | Part)
    return (type(event).__name__, event.nick, None)


def test_typing_receipts_and_reactions_do_not_wake_the_bot(synapse: Synapse) -> None:
    name = "syncbot" + secrets.token_hex(2)
    alice = User(synapse, "alice" + secrets.token_hex(2))
    outputs: list[MatrixOutput] = []

    async def scenario() -> int:
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        room = quote(room_id)
        await alice.say(room_id, "before the bot")
        async with connected(synapse, name, room_id, outputs):
            await asyncio.sleep(0.5)  # the bot is in its long poll
            start = len(synapse.log())
            typing = f"/_matrix/client/v3/rooms/{room}/typing/{quote(alice.synapse.user_id(alice.name))}"
            for number in range(8):
                await alice.call("PUT", typing, {"typing": number % 2 == 0, "timeout": 30000})
            for number in range(4):
                await alice.say(room_id, f"line {number}")
            events = await alice.messages(room_id)
            for event in events[-4:]:
                await alice.call(
                    "POST", f"/_matrix/client/v3/rooms/{room}/receipt/m.read/{quote(event['event_id'])}", {}
                )
                reaction = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event["event_id"], "key": "+1"}}
                await alice.call(
                    "PUT", f"/_matrix/client/v3/rooms/{room}/send/m.reaction/{secrets.token_hex(6)}", reaction
                )
            await wait_until(lambda: len(said(outputs)) >= 4)
            await asyncio.sleep(1.0)  # what the receipts and reactions would wake
            return syncs(synapse, synapse.user_id(name), start)

    woken = asyncio.run(scenario())
    assert said(outputs) == [f"line {number}" for number in range(4)]
    # The four lines wake it at most four times; 8 typing changes, 4 receipts and 4 reactions not once more.
    assert woken <= 4, woken


def test_lines_said_while_the_bot_was_away_arrive_whole(synapse: Synapse) -> None:
    name = "syncbot" + secrets.token_hex(2)
    alice = User(synapse, "alice" + secrets.token_hex(2))
    outputs: list[MatrixOutput] = []
    lines = [f"said while away {number}" for number in range(30)]

    async def scenario() -> None:
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        async with connected(synapse, name, room_id, []) as first:
            await asyncio.sleep(0.3)
            since = first.client.next_batch
        for line in lines:
            await alice.say(room_id, line)
        async with connected(synapse, name, room_id, outputs, since=since):
            await wait_until(lambda: len(said(outputs)) >= len(lines), timeout=10)

    asyncio.run(scenario())
    assert said(outputs) == lines  # all 30, in order: the homeserver's default limit (10) would drop 20
    assert not [o for o in outputs if isinstance(o, Notice) and "left out" in o.text]


def test_a_gap_beyond_the_timeline_limit_is_filled_in_order(synapse: Synapse) -> None:
    name = "syncbot" + secrets.token_hex(2)
    alice = User(synapse, "alice" + secrets.token_hex(2))
    outputs: list[MatrixOutput] = []
    lines = [f"said in the gap {number}" for number in range(23)]

    async def scenario() -> None:
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        async with connected(synapse, name, room_id, outputs, timeline_limit=4) as first:
            await alice.say(room_id, "before the gap")
            await wait_until(lambda: len(said(outputs)) >= 1)
            since = first.client.next_batch
        for line in lines:
            await alice.say(room_id, line)
        async with connected(synapse, name, room_id, outputs, since=since, timeline_limit=4):
            await wait_until(lambda: len(said(outputs)) > len(lines), timeout=10)
            await alice.say(room_id, "after the gap")
            await wait_until(lambda: len(said(outputs)) > len(lines) + 1, timeout=10)

    asyncio.run(scenario())
    # 23 lines with a limit of 4 per sync after a restart (the bot's new state knows no event): 19 came from
    # /messages in pages of 4, back to the saved token and no further (the line before the gap comes once).
    assert said(outputs) == ["before the gap", *lines, "after the gap"]
    assert not [o for o in outputs if isinstance(o, Notice) and "missing" in o.text]


def test_members_who_change_name_join_or_leave_in_a_gap_are_logged_as_live(synapse: Synapse) -> None:
    name = "syncbot" + secrets.token_hex(2)
    alice = User(synapse, "alice" + secrets.token_hex(2))
    bob = User(synapse, "bob" + secrets.token_hex(2))
    carol = User(synapse, "carol" + secrets.token_hex(2))
    outputs: list[MatrixOutput] = []

    async def rename(user: User, room_id: str, shown: str) -> None:
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.member/{quote(synapse.user_id(user.name))}"
        await user.call("PUT", path, {"membership": "join", "displayname": shown})

    async def scenario() -> None:
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        await bob.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        await rename(bob, room_id, "Bob")
        async with connected(synapse, name, room_id, outputs, timeline_limit=4) as first:
            await alice.say(room_id, "before the gap")
            await wait_until(lambda: len(said(outputs)) >= 1)
            since = first.client.position()  # as the runtime saves it
        # Said while the bot is away, more than one sync holds: the first half comes from /messages.
        await bob.say(room_id, "bob before")
        await rename(bob, room_id, "Robert")
        await bob.say(room_id, "robert after")
        await carol.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        await rename(carol, room_id, "Carol")
        await carol.say(room_id, "carol here")
        await carol.call("POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/leave", {})
        for number in range(6):
            await alice.say(room_id, f"filler {number}")
        async with connected(synapse, name, room_id, outputs, since=since, timeline_limit=4):
            await wait_until(lambda: len(said(outputs)) >= 10, timeout=10)

    asyncio.run(scenario())
    events = [o.event for o in outputs if isinstance(o, ChannelEvent)]
    shown = [described(event) for event in events if isinstance(event, Message | NickChange | Join | Part)]
    carol_id = synapse.user_id(carol.name)
    assert shown[:8] == [
        ("Message", alice.name, "before the gap"),
        ("Message", "Bob", "bob before"),
        ("NickChange", "Bob", "Robert"),
        ("Message", "Robert", "robert after"),
        ("Join", carol.name, None),
        ("NickChange", carol.name, "Carol"),
        ("Message", "Carol", "carol here"),
        ("Part", "Carol", None),
    ], shown
    assert [event.account for event in events if isinstance(event, Join)] == [carol_id]
