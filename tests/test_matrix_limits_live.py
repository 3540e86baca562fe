"""A homeserver that throttles the bot (``rc_message``) and one restarted under it: every line once, none lost."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gavel.app.config import load_config
from gavel.transports.matrix.connection import MatrixConnection, MatrixSettings, retry_delay
from homeserver import Synapse
from live_support import running_bot
from test_matrix_amend_live import text
from test_matrix_live import User, wait_for_bot, wait_until, write_config


def test_retry_delay_follows_retry_after_ms_within_bounds() -> None:
    assert retry_delay({"retry_after_ms": 1500}) == 1.5
    assert retry_delay({"retry_after_ms": 0}) == 0.05
    assert retry_delay({"retry_after_ms": 10**9}) == 60.0
    for odd in ({}, {"retry_after_ms": "soon"}, {"retry_after_ms": True}, {"retry_after_ms": float("nan")}):
        assert retry_delay(odd) == 1.0


@pytest.fixture(scope="module")
def limited_synapse(synapse: Synapse) -> Iterator[Synapse]:
    """A second homeserver allowing 2 messages a second in bursts of 3 (``synapse`` only marks the test `servers`
    and makes sure the Synapse venv is there)."""
    with Synapse(message_limit=(2.0, 3)) as server:
        yield server


def test_a_throttled_bot_waits_and_sends_each_line_exactly_once(limited_synapse: Synapse) -> None:
    server = limited_synapse
    token = server.register("meetbot")
    alice = User(server, "alice" + secrets.token_hex(2))

    async def scenario() -> tuple[list[str], int, float]:
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        settings = MatrixSettings(server.url, server.user_id("meetbot"), token, (room_id,))
        connection = MatrixConnection(settings, lambda output: None)
        task = asyncio.create_task(connection.run())
        try:
            await asyncio.wait_for(connection.connected.wait(), 20)
            started = time.monotonic()
            lines = [f"line {number}" for number in range(10)]
            for line in lines:
                connection.say(room_id, line)

            async def all_sent() -> list[str] | None:
                events = await alice.messages(room_id)
                bodies = [e["content"].get("body", "") for e in events if e["content"].get("msgtype") == "m.notice"]
                return bodies if len(bodies) >= len(lines) and not connection.pending() else None

            bodies = await wait_until(all_sent, timeout=30)
            return bodies, connection.rate_limited, time.monotonic() - started
        finally:
            await connection.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    bodies, limited, took = asyncio.run(scenario())
    assert bodies == [f"line {number}" for number in range(10)]  # in order, each once
    assert limited >= 1 and took >= 2.0  # the server did refuse some (the waits: the next test)


def test_a_refused_send_waits_retry_after_ms_and_goes_again_under_the_same_transaction_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Synapse itself holds a throttled request back half a second, so the real server cannot show the wait: a
    loopback HTTP server answers the first send 429 (``retry_after_ms`` 1234), then 200. The bot sends through
    mautrix's client API, and reads the wait from the answer mautrix's error drops."""
    from aiohttp import web

    from gavel.transports.matrix import connection as module

    puts: list[tuple[str, object]] = []
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def handler(request: web.Request) -> web.Response:
        puts.append((request.path, await request.json()))
        if len(puts) == 1:
            limited = {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 1234}
            return web.json_response(limited, status=429)
        return web.json_response({"event_id": "$1"})

    async def sleep(seconds: float) -> None:
        if seconds:
            waits.append(seconds)
        await real_sleep(0)

    async def scenario() -> int:
        app = web.Application()
        app.router.add_put("/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            host, port = runner.addresses[0][:2]
            settings = MatrixSettings(f"http://{host}:{port}", "@b:x", "t", ("!r:x",))
            connection = MatrixConnection(settings, lambda output: None)
            api, session = module.client_api(settings)
            monkeypatch.setattr(asyncio, "sleep", sleep)
            try:
                await connection._send(api, module._Outgoing("!r:x", "hello"))
            finally:
                monkeypatch.undo()
                await session.close()
            return connection.rate_limited
        finally:
            await runner.cleanup()

    assert asyncio.run(scenario()) == 1 and waits == [1.234]
    assert len(puts) == 2 and puts[0] == puts[1] and "/send/m.room.message/gavel-" in puts[0][0]
    assert puts[0][1] == {"msgtype": "m.notice", "body": "hello"}


def test_the_homeserver_restarted_under_the_bot_it_reconnects_and_the_meeting_goes_on(
    synapse: Synapse, tmp_path: Path
) -> None:
    """The session's Synapse is stopped mid-meeting and started again (same port and database): the bot's syncs
    fail, it retries with backoff, and the lines said after the restart reach the same meeting."""
    bot_token = synapse.register("meetbot")

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        config = load_config(write_config(tmp_path, synapse, room_id), environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        async with running_bot(config) as bot:
            await wait_for_bot(synapse, alice, room_id)
            await text(alice, room_id, "#startmeeting restart")
            await text(alice, room_id, "#info before the restart")
            await asyncio.sleep(0.5)
            await asyncio.to_thread(synapse.stop)
            await asyncio.sleep(1.0)  # the bot's sync fails meanwhile
            await asyncio.to_thread(synapse.start)
            await text(alice, room_id, "#info after the restart")
            await text(alice, room_id, "#endmeeting")
            await wait_until(lambda: list((tmp_path / "out").rglob("*.json")), timeout=60)
            connection = bot.connections["test"]
            assert isinstance(connection, MatrixConnection) and connection.failures >= 1  # it did lose the server
        (minutes,) = (tmp_path / "out").rglob("*.log.txt")
        log = minutes.read_text(encoding="utf-8")
        assert "#info before the restart" in log and "#info after the restart" in log
        assert log.count("#info after the restart") == 1

    asyncio.run(scenario())


def test_each_room_sends_in_order_without_waiting_for_a_slow_room(monkeypatch: pytest.MonkeyPatch) -> None:
    from gavel.transports.matrix import connection as module

    sent: list[str] = []
    slow_room_free = asyncio.Event()

    async def put(api: object, room: str, item: module._Outgoing) -> None:
        if "slow" in room:
            await slow_room_free.wait()
        sent.append(item.text)

    async def scenario() -> list[str]:
        monkeypatch.setattr(module, "_put", put)
        connection = MatrixConnection(MatrixSettings("http://127.0.0.1:1", "@b:x", "t"), lambda output: None)
        connection._api = object()  # type: ignore[assignment]  # connected, as far as sending goes
        for number in range(3):
            connection.say("!slow", f"slow {number}")
            connection.say("!fast", f"fast {number}")
        for _ in range(100):  # bounded
            if len(sent) == 3:
                break
            await asyncio.sleep(0.01)
        early = list(sent)
        slow_room_free.set()
        for _ in range(100):  # bounded
            if not connection.pending():
                break
            await asyncio.sleep(0.01)
        return early

    early = asyncio.run(scenario())
    assert early == ["fast 0", "fast 1", "fast 2"]  # the fast room did not wait behind the slow one
    assert [line for line in sent if line.startswith("slow")] == ["slow 0", "slow 1", "slow 2"]
