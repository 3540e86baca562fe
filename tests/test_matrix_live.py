"""The bot in a Matrix room on a real Synapse: the same meetings, minutes and files as on IRC."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import secrets
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from gavel.app.config import load_config
from homeserver import Synapse
from irc_client import connected
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, running_bot
from live_support import write_config as live_config
from test_live_crash import show_bot_log, start_bot, stop_bot


def write_config(work: Path, synapse: Synapse, room: str) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    path = work / "gavel.toml"
    path.write_text(
        f"""
[bot]
nick = "meetbot"
output_dir = "{work / "out"}"
journal_dir = "{work / "journal"}"
url_base = "https://meetings.example.org/"

[[matrix]]
name = "test"
homeserver = "{synapse.url}"
user_id = "{synapse.user_id("meetbot")}"
access_token_env = "GAVEL_TEST_MATRIX_TOKEN"
rooms = ["{room}"]
""",
        encoding="utf-8",
    )
    return path


class User:
    """A scripted Matrix user: plain HTTP requests, no client library."""

    def __init__(self, synapse: Synapse, name: str) -> None:
        self.synapse, self.name, self.token = synapse, name, synapse.register(name)

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self.synapse.request, method, path, body, self.token)

    async def say(self, room_id: str, text: str, msgtype: str = "m.text") -> None:
        txn = secrets.token_hex(8)
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/{txn}"
        await self.call("PUT", path, {"msgtype": msgtype, "body": text})

    async def messages(self, room_id: str) -> list[dict[str, Any]]:
        page = await self.call("GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/messages?dir=b&limit=100")
        events: list[dict[str, Any]] = page["chunk"]
        return events[::-1]


async def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded
        result = await predicate() if asyncio.iscoroutinefunction(predicate) else predicate()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s")


async def wait_for_bot(synapse: Synapse, user: User, room_id: str) -> None:
    """Until ``user`` sees the bot among the room's members, then the bot's first sync after joining (what was said
    before it is not recorded)."""
    members_path = f"/_matrix/client/v3/rooms/{quote(room_id)}/joined_members"

    async def bot_joined() -> bool:
        return synapse.user_id("meetbot") in (await user.call("GET", members_path))["joined"]

    await wait_until(bot_joined)
    await asyncio.sleep(0.5)


def test_a_meeting_in_a_matrix_room(synapse: Synapse, tmp_path: Path) -> None:
    bot_token = synapse.register("meetbot")
    alias_name = "meet" + secrets.token_hex(3)
    alias = f"#{alias_name}:{synapse.user_id('x').split(':', 1)[1]}"

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        bob = User(synapse, "bob" + secrets.token_hex(2))
        room = await alice.call(
            "POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat", "room_alias_name": alias_name}
        )
        room_id = room["room_id"]
        await bob.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        config = load_config(write_config(tmp_path, synapse, alias), environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        async with running_bot(config):
            await wait_for_bot(synapse, alice, room_id)
            await alice.say(room_id, "#startmeeting matrix test")
            await alice.say(room_id, "#topic the first topic")
            await bob.say(room_id, "#info said by bob\nand a second line")
            await alice.say(room_id, "waves", "m.emote")
            await alice.say(room_id, "#endmeeting")
            await wait_until(lambda: list((tmp_path / "out").rglob("*.json")))

            async def announced() -> bool:
                bodies = [e["content"].get("body", "") for e in await alice.messages(room_id)]
                return any(body.startswith("Log:") for body in bodies)

            await wait_until(announced)
            events = await alice.messages(room_id)
        notices = [e["content"]["body"] for e in events if e["content"].get("msgtype") == "m.notice"]
        assert notices[0].startswith("Meeting started") and any("matrix_test" in n for n in notices)
        (path,) = (tmp_path / "out").rglob("*.json")
        minutes = json.loads(path.read_text(encoding="utf-8"))
        assert minutes["meeting"]["name"] == "matrix_test"
        assert [(i["kind"], i["text"], i["nick"]) for i in minutes["items"]] == [
            ("topic", "the first topic", alice.name),
            ("info", "said by bob", bob.name),
        ]
        assert sorted(p["nick"] for p in minutes["people"]) == sorted([alice.name, bob.name])  # the bot is no person
        log = path.with_name(path.name.replace(".json", ".log.txt")).read_text(encoding="utf-8")
        assert f"<{bob.name}> and a second line" in log and f"* {alice.name} waves" in log

    asyncio.run(scenario())


def test_kill_9_mid_meeting_loses_nothing_and_doubles_nothing(
    synapse: Synapse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot is killed mid-meeting; lines said while it is down reach the meeting when it comes back (its sync
    position is saved after the journal), and none twice."""
    bot_token = synapse.register("crashbot" + secrets.token_hex(2))
    bot_name = synapse.user_id("x").split(":", 1)[1]
    alias_name = "crash" + secrets.token_hex(3)
    monkeypatch.setenv("GAVEL_TEST_MATRIX_TOKEN", bot_token)
    bot_log = tmp_path / "bot.log"

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        bob = User(synapse, "bob" + secrets.token_hex(2))
        room_id = (
            await alice.call(
                "POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat", "room_alias_name": alias_name}
            )
        )["room_id"]
        await bob.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        config = write_config(tmp_path, synapse, f"#{alias_name}:{bot_name}")
        text = config.read_text(encoding="utf-8").replace(synapse.user_id("meetbot"), whoami(synapse, bot_token))
        config.write_text(text, encoding="utf-8")

        async def notice(prefix: str) -> bool:
            return any(
                e["content"].get("msgtype") == "m.notice" and e["content"].get("body", "").startswith(prefix)
                for e in await alice.messages(room_id)
            )

        bot = start_bot(config, bot_log)
        try:
            await wait_until(functools.partial(notice_or_joined, alice, room_id, whoami(synapse, bot_token)))
            await asyncio.sleep(0.5)
            await alice.say(room_id, "#startmeeting crash matrix")
            await wait_until(functools.partial(notice, "Meeting started"))
            for number in range(5):
                await alice.say(room_id, f"before the crash {number}")
            await alice.say(room_id, "#showvote")
            await wait_until(functools.partial(notice, "alice"))  # the reply: every line before it is durable
            os.killpg(bot.pid, signal.SIGKILL)
            bot.wait(10)
            await bob.say(room_id, "said while the bot was down\nand a second line")
            bot = start_bot(config, bot_log)
            await wait_until(functools.partial(notice, "gavel restarted"), timeout=30)
            await alice.say(room_id, "#endmeeting")
            await wait_until(lambda: list((tmp_path / "out").rglob("*.log.txt")), timeout=30)
        finally:
            stop_bot(bot)

    try:
        asyncio.run(scenario())
    finally:
        show_bot_log(bot_log)
    (log,) = (tmp_path / "out").rglob("*.log.txt")
    lines = log.read_text(encoding="utf-8").split("\n")
    people = [line.split("> ", 1)[1] for line in lines if " <alice" in line or " <bob" in line]
    assert people == [
        "#startmeeting crash matrix",
        *[f"before the crash {number}" for number in range(5)],
        "#showvote",
        "said while the bot was down",
        "and a second line",
        "#endmeeting",
    ]


def whoami(synapse: Synapse, token: str) -> str:
    user_id: str = synapse.request("GET", "/_matrix/client/v3/account/whoami", None, token)["user_id"]
    return user_id


async def notice_or_joined(user: User, room_id: str, bot: str) -> bool:
    joined = (await user.call("GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/joined_members"))["joined"]
    return bot in joined


def test_one_process_serves_an_irc_channel_and_a_matrix_room_at_once(
    synapse: Synapse, ircd: Ircd, tmp_path: Path
) -> None:
    """Two meetings at once, one on InspIRCd and one on Synapse, from one bot into one output tree; in the Matrix
    room two members share a display name and the minutes tell them apart by user id."""
    bot_token = synapse.register("bothbot" + secrets.token_hex(2))
    bot_id = whoami(synapse, bot_token)
    alias_name = "both" + secrets.token_hex(3)
    server = bot_id.split(":", 1)[1]

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        twin_a = User(synapse, "twina" + secrets.token_hex(2))
        twin_b = User(synapse, "twinb" + secrets.token_hex(2))
        room_id = (
            await alice.call(
                "POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat", "room_alias_name": alias_name}
            )
        )["room_id"]
        for twin in (twin_a, twin_b):
            await twin.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
            await twin.call("PUT", f"/_matrix/client/v3/profile/{quote(twin.synapse.user_id(twin.name))}/displayname",
                            {"displayname": "Sam"})  # fmt: skip
        path = live_config(ircd, tmp_path, tls=False, nick="bothbot")
        matrix = (
            f'\n[[matrix]]\nname = "mx"\nhomeserver = "{synapse.url}"\nuser_id = "{bot_id}"\n'
            f'access_token_env = "GAVEL_TEST_MATRIX_TOKEN"\nrooms = ["#{alias_name}:{server}"]\n'
        )
        path.write_text(path.read_text(encoding="utf-8") + matrix, encoding="utf-8")
        config = load_config(path, environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        async with connected(ircd.host, ircd.port, "carol") as (carol,):
            await carol.join(CHANNEL)
            async with running_bot(config):
                await bot_in_channel(carol, nick="bothbot")
                await wait_until(functools.partial(notice_or_joined, alice, room_id, bot_id))
                await asyncio.sleep(0.5)
                carol.say(CHANNEL, "#startmeeting irc side")
                await alice.say(room_id, "#startmeeting matrix side")
                carol.say(CHANNEL, "#info from irc")
                await twin_a.say(room_id, "#info from the first Sam")
                await twin_b.say(room_id, "#info from the second Sam")
                carol.say(CHANNEL, "#endmeeting")
                await alice.say(room_id, "#endmeeting")
                await wait_until(lambda: len(list((tmp_path / "out").rglob("*.json"))) == 2, timeout=30)
        minutes = {
            data["meeting"]["name"]: data
            for data in (json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "out").rglob("*.json"))
        }
        assert [i["text"] for i in minutes["irc_side"]["items"]] == ["from irc"]
        nicks = [i["nick"] for i in minutes["matrix_side"]["items"]]
        assert nicks == [f"Sam ({synapse.user_id(twin_a.name)})", f"Sam ({synapse.user_id(twin_b.name)})"]

    asyncio.run(scenario())
